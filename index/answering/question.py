"""Reading a question: its words, the kind of answer it wants, and whose words it asks about.

Chat questions are short, lower-case and elliptical ("yeo's take on where nk stands re: talks?"). Three
things in them matter for picking a quote, whatever the corpus:

* the answer type: "how many" wants a number, "when" a date or time, "who" a name;
* the source: "X's view", "according to X", "per X", "what did X say/warn/expect" ask about what X
  said or did, so X must be named in the quote or just before it (the speaker of a quotation is often
  named a sentence or a paragraph earlier);
* chat spellings ("whats", "gonna") that are not words of any document;
* the names it mentions (capitalised words inside it, "who preceded John Jenkins?"): a corpus that
  never mentions a name cannot say anything about it.

Nothing here names a word of a particular corpus; everything is English question syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from index.documents.cues import DATE, DAYS, MONTHS, NUMBER, REASON
from index.lexical.tokens import STOPWORDS, content_words, normalize

CHAT_FORMS = {
    "whats": "what is", "whos": "who is", "wheres": "where is", "whens": "when is", "hows": "how is",
    "whys": "why is", "thats": "that is", "theres": "there is", "gonna": "going to", "wanna": "want to",
    "gotta": "got to", "dont": "do not", "doesnt": "does not", "didnt": "did not", "isnt": "is not",
    "wasnt": "was not", "arent": "are not", "werent": "were not", "wont": "will not", "cant": "cannot",
    "couldnt": "could not", "wouldnt": "would not", "shouldnt": "should not", "im": "i am", "ive": "i have",
    "u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "abt": "about", "bc": "because",
    "cuz": "because", "w/": "with", "thx": "thanks", "re:": "about", "tho": "though", "govt": "government",
    "re": "about", "w/o": "without", "ppl": "people", "rn": "right now", "b4": "before", "smth": "something",
    "coz": "because",
}
"""Common English chat spellings and their standard forms (not tied to any corpus). Only spellings no
document would use: an abbreviation documents use too ("info", "admin", ".gov") would lose its match."""

AUXILIARIES = frozenset(
    "did does do would will could should can has have had is was are were might may must".split()
)
WH_WORDS = frozenset("what which who whom whose when where why how".split())


ANSWER_TYPES = ("number", "date", "person", "place", "reason", "manner", "choice", "other")

_FIRST_WH = re.compile(r"\b(?:what|which|who|whom|whose|when|where|why|how)\b")
_TYPE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("number", re.compile(r"how (?:many|much|often|long|far|old|big|large|tall|high)\b|what (?:number|percentage|percent|amount|proportion)\b")),
    ("date", re.compile(r"when\b|(?:what|which) (?:year|day|date|month|time|century|decade|period|season)\b")),
    ("person", re.compile(r"who(?:m|se)?\b|(?:what|which) (?:person|people|man|woman|official|leader|diplomat|president|minister|expert)\b")),
    ("place", re.compile(r"where\b|(?:what|which) (?:country|city|place|state|region|town|nation)\b")),
    ("reason", re.compile(r"why\b|what (?:(?:is|was|are|were) )?(?:the )?(?:\w+ )?(?:reasons?|purpose|motive)\b|what (?:caused|causes|led|motivated|drives)\b")),
    ("manner", re.compile(r"how\b")),
    ("choice", re.compile(r"which\b")),
]
"""Matched at the question's first wh-word: "what did X say when..." asks what X said, not when."""

_SOURCE_PATTERNS = [
    # "according to X", "per X", "in X's view": X is who the question asks about.
    re.compile(r"\b(?:according to|per|in the view of|in the words of)\s+((?:[\w'\-.]+[ \t]*){1,4})"),
    # "X's take", "X's view": the possessor of a statement or opinion ("X's behaviour" is about X, not by X).
    re.compile(
        r"([\w\-.]+)'s\s+(?:\w+\s+)?(?:take|view|views|opinion|opinions|position|stance|assessment|reaction"
        r"|response|comment|comments|statement|statements|remarks|claim|claims|argument|answer|reply|warning"
        r"|prediction|predictions|thoughts|words|message|criticism|verdict|advice|analysis|account|explanation"
        r"|argument|point|concern|concerns|worry|fear|hope|expectation|expectations|answer)\b"
    ),
    # "what did X say", "did X admit", "would X go": the subject between an auxiliary and a verb of
    # saying, thinking or acting (copulas are left out: "is the reason X wants" is not about X's words).
    re.compile(
        r"\b(?:did|does|do|would|will|could|should|has|have|had|might|can)\s+"
        r"((?:[\w'\-.]+\s+){0,3}?[\w'\-.]+)\s+(?:say|said|says|tell|told|warn|warned|think|thought|expect|expects"
        r"|believe|believed|want|wants|offer|offered|claim|claimed|argue|argued|admit|admitted|suggest|suggested"
        r"|mean|propose|proposed|predict|predicted|note|noted|insist|insisted|deny|denied|ask|asked|announce"
        r"|announced|call|called|write|wrote|go|do|feel|see|view|make|plan|planned|hope|fear|reply|respond"
        r"|support|back|oppose|endorse|reject|accept|agree|approve|favou?r|welcome|criticize|criticise)\b"
    ),
]


@dataclass(frozen=True)
class QuestionAnalysis:
    """What the retriever needs to know about a question beyond its text."""

    text: str
    """The question with chat spellings written out: what is embedded and tokenized."""
    answer_type: str
    source_words: tuple[str, ...] = field(default_factory=tuple)
    """Content words naming whose statement or action the question is about."""
    source_names: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    """Per source phrase, the words that name it: the owner in "japan's government", every content
    word otherwise. A source is absent from the documents only when all of its naming words are."""
    names: tuple["MentionedName", ...] = field(default_factory=tuple)
    """The names the question mentions (runs of capitalised words)."""
    years: tuple[str, ...] = field(default_factory=tuple)
    """The years the question mentions ("2009", "the 1990s"), which an answer would have to mention too."""


def expand_chat_forms(question: str) -> str:
    words = re.split(r"(\s+)", question)
    return "".join(CHAT_FORMS.get(word.lower().rstrip("?,.!"), word) + _trailing(word) if word.strip() and word.lower().rstrip("?,.!") in CHAT_FORMS else word for word in words)


def _trailing(word: str) -> str:
    stripped = word.rstrip("?,.!")
    return word[len(stripped):]


def answer_type(question: str) -> str:
    """The kind of answer asked for, read from the question's first wh-phrase."""
    lowered = normalize(question)
    first = _FIRST_WH.search(lowered)
    if first is None:
        return "other"
    for kind, pattern in _TYPE_PATTERNS:
        if pattern.match(lowered, first.start()):
            return kind
    return "other"


CORPUS_WORDS = frozenset(
    "document documents doc docs text texts article articles source sources file files corpus author authors "
    "writer writers post posts page pages material materials record records report reports they it "
    "blogger bloggers reporter reporters journalist journalists columnist columnists editor editors".split()
)
"""Words by which a question refers to the documents themselves or whoever wrote them ("what do the
documents say", "what does the blogger think"), not to a source inside them."""

_PHRASE_END = re.compile(r"[,;:?!]|\b(?:%s)\b" % "|".join(sorted(WH_WORDS | AUXILIARIES)))
"""Where a captured source phrase stops: "per X, what did..." and "per X what happens" name X only."""
_OWNER = re.compile(r"^(.*?)'s\b")


def _source_phrases(question: str) -> list[str]:
    lowered = normalize(question)
    phrases = []
    for pattern in _SOURCE_PATTERNS:
        for match in pattern.finditer(lowered):
            phrase = match.group(1)
            end = _PHRASE_END.search(phrase)
            phrases.append(phrase[: end.start()] if end else phrase)
    return phrases


def _keep(word: str) -> bool:
    return word not in WH_WORDS and word not in AUXILIARIES and word not in STOPWORDS and word not in CORPUS_WORDS


def source_words(question: str) -> tuple[str, ...]:
    """Content words of the phrases that name a source or subject: see the module docstring."""
    words: list[str] = []
    for phrase in _source_phrases(question):
        words.extend(w for w in content_words(phrase) if _keep(w) and w not in words)
    return tuple(words)


def source_names(question: str) -> tuple[tuple[str, ...], ...]:
    """The naming words of each source phrase: "seoul's spy agency" is named by "seoul" (the owner;
    "spy agency" describes it), "the former us ambassador" by all its content words."""
    names: list[tuple[str, ...]] = []
    for phrase in _source_phrases(question):
        owner = _OWNER.match(phrase.strip())
        naming = tuple(w for w in content_words(owner.group(1) if owner else phrase) if _keep(w))
        if naming and naming not in names:
            names.append(naming)
    return tuple(names)


_WORD = re.compile(r"\S+")
_EDGE_PUNCTUATION = re.compile(r"^[^\w@#<]+|[^\w]+$")
_ENDS_CLAUSE = re.compile(r"[.?!:;]$")
_ENDS_PHRASE = re.compile(r"[,.?!:;)]$")
SHORT_CAPITALS = 2
"""All-capital words this short ("OK", "CI") are as often words as names: not counted as names."""
_INNER_CAPITAL = re.compile(r"[a-z][A-Z]")
"""A capital inside a word marks a name however it starts: "iPod", "eBay", "McDonald"."""
_DATE_WORD = re.compile(rf"(?:{MONTHS}|{DAYS}|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?")
"""Months and days are capitalised but name no one."""


class MentionedName(NamedTuple):
    words: tuple[str, ...]
    """Its content words, as the documents are searched for them."""
    text: str
    """As the question spells it, for messages."""


POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
"""A possessive ending: "Okafor's" names Okafor."""


def _names_an_owner(word: str) -> bool:
    """A clause's first word that is a possessive other than "What's" or "Today's" is a name:
    "Beyonce's first tour was when?"."""
    owner = POSSESSIVE.sub("", word)
    key = normalize(owner)
    return owner != word and key not in STOPWORDS and not _DATE_WORD.fullmatch(key)


def mentioned_names(question: str) -> tuple[MentionedName, ...]:
    """Each run of capitalised words after the first word of a clause (or a possessive opening it):
    "What did Kanye West's label say?" mentions ("kanye", "west") spelt "Kanye West". Capitals mark
    names only in sentence case: a question in lower case, title case or all capitals ("How Do I
    Configure It": every later content word and some function word capitalised) mentions none. Chat
    handles (@bot) are not names."""
    words = _WORD.findall(question)
    capitalised = []
    later_content, later_function = [], []
    for i, word in enumerate(words):
        core = _EDGE_PUNCTUATION.sub("", word)
        upper = bool(core) and (core[0].isupper() or bool(_INNER_CAPITAL.search(core)))
        if i > 0 and core:
            (later_function if normalize(core) in STOPWORDS else later_content).append(upper)
        starts_clause = i == 0 or bool(_ENDS_CLAUSE.search(words[i - 1]))
        if not upper or (starts_clause and not _names_an_owner(core)):
            capitalised.append(False)
            continue
        is_date = bool(_DATE_WORD.fullmatch(normalize(core)))
        capitalised.append(not is_date and (len(core) > SHORT_CAPITALS or not core.isupper()))
    if all(later_content) and any(later_function):
        return ()
    names: list[MentionedName] = []
    run: list[str] = []
    for word, is_name in zip(words + [""], capitalised + [False]):
        if is_name:
            run.append(word)
        if run and (not is_name or _ENDS_PHRASE.search(word)):
            naming = tuple(w for w in content_words(" ".join(run)) if _keep(w))
            if naming and naming not in [n.words for n in names]:
                spelt = POSSESSIVE.sub("", _EDGE_PUNCTUATION.sub("", " ".join(run)))
                names.append(MentionedName(naming, spelt))
            run = []
    return tuple(names)


_YEAR = re.compile(r"(?<![\w,.:/\-])(?:1\d{3}|20\d{2})s?(?![\w,.:/\-]*\d)(?!\w)")


def mentioned_years(question: str) -> tuple[str, ...]:
    """Four-digit years and decades ("in 2009", "the 1990s"), not parts of other numbers ("2,019",
    "555-2019", "17:1700"). A year is written in digits in questions and documents alike, so one that
    no document contains is as telling as an unknown name."""
    return tuple(dict.fromkeys(_YEAR.findall(question)))


def analyse(question: str, chat_forms: bool = True) -> QuestionAnalysis:
    """What the question asks about; `chat_forms` (the rule of that name) reads chat spellings first."""
    text = expand_chat_forms(question) if chat_forms else question
    return QuestionAnalysis(
        text=text, answer_type=answer_type(text), source_words=source_words(text), source_names=source_names(text),
        names=mentioned_names(text), years=mentioned_years(text),
    )


def satisfies_type(kind: str, sentence: str) -> bool:
    """Whether a sentence holds the kind of thing the answer type asks for (numbers, dates, reasons)."""
    if kind == "number":
        return bool(NUMBER.search(sentence))
    if kind == "date":
        return bool(DATE.search(sentence))
    if kind == "reason":
        return bool(REASON.search(sentence))
    return True
