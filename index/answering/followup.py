"""Reading a follow-up in the context of the question before it, without any language model.

In a conversation people ask "what did Abrams warn?" and then "why?", "and what did he say about
sanctions?", "what about borrowing?" or "and in 2018?". Read alone, these retrieve nothing useful. The
follow-up is rewritten into a question of its own from the previous one, by English syntax only:

* a bare question word ("why?", "when?", "how so?") asks it of the previous question: "why did
  Abrams warn?";
* a third-person or demonstrative pronoun stands for what the previous question was about: "he",
  "his", "they" for its names, "it", "this", "that" for the phrase it asks about ("what is a slice in
  rust?" -> "a slice in rust"), each falling back on the other;
* "what about X?", "and X?", "how about X?" swap X into the previous question: for the phrase after
  its last function word ("...say about ownership?" -> "...say about borrowing?"), or, when X starts
  with a preposition or is a year ("and in 2018?"), added to it.

A question that stands on its own (no such pronoun, more than a bare question word, no "what about")
is left as it is. The reading is shown to the asker ("Reading this as: ..."), so a wrong one is seen.
"""

from __future__ import annotations

import re
from typing import Callable

from index.answering.question import AUXILIARIES, WH_WORDS, expand_chat_forms, mentioned_names

PRONOUNS = {"he": "", "she": "", "they": "", "him": "", "them": "", "it": "", "this": "", "that": "",
            "these": "", "those": "", "his": "'s", "her": "'s", "their": "'s", "its": "'s", "hers": "'s",
            "theirs": "'s"}
"""Pronouns that point back, with the possessive ending their replacement takes."""
PERSONAL = frozenset("he she they him them his her their hers theirs".split())
"""Pronouns for people: they stand for the previous question's names when it has any."""
SHIFT_OPENERS = ("and what about", "what about", "how about", "and how about", "what of", "and also", "and", "also")
PREPOSITIONS = frozenset("in on at for during before after since from to with without under by about against".split())
SUBORDINATORS = frozenset("if when while unless because although".split())
"""Words opening a clause that a follow-up may swap for the previous question's ("and if it's private?")."""
FUNCTION_WORDS = frozenset(
    "a an the of in on at for to from with about by into over under during before after since against "
    "and or as than this that these those is was are were be been do does did".split()
)
_WORD = re.compile(r"[\w'’-]+")
_YEAR = re.compile(r"(?:1\d{3}|20\d{2})s?")
WH_PHRASE_MAX_WORDS = 3
"""Words of a question phrase before its auxiliary ("how many ships did ...", "which treaty was ...")."""
BARE_WH_MAX_WORDS = 2
"""A follow-up of a question word and at most this many words in all ("why?", "how so?", "why not")."""


def read_follow_up(previous: str, follow_up: str, is_name: Callable[[str], bool] | None = None) -> str | None:
    """The follow-up as a question of its own in the context of `previous`, or None when it already
    stands on its own (or nothing can be carried). `is_name` tells a name from the corpus's own
    statistics (how often the documents capitalise a word), so names are found in lower-case chat."""
    words = _words(expand_chat_forms(follow_up))
    before = _words(expand_chat_forms(previous))
    if not words or not before:
        return None
    is_name = is_name or (lambda word: False)
    lowered = [w.lower() for w in words]
    if lowered[0] in WH_WORDS and len(words) <= BARE_WH_MAX_WORDS:
        return _ask_again(lowered[0], before)
    opener = next((o for o in SHIFT_OPENERS if " ".join(lowered[:len(o.split())]) == o), None)
    if opener is not None and len(words) > len(opener.split()):
        rest = words[len(opener.split()):]
        first = rest[0].lower()
        if first in WH_WORDS or first in AUXILIARIES:  # "and why does he think so?"
            words, lowered = rest, [w.lower() for w in rest]
        elif first in PREPOSITIONS or first in SUBORDINATORS or not any(w.lower() in PRONOUNS for w in rest):
            return _swap_in(rest, before, is_name)
    if any(w in PRONOUNS for w in lowered):
        names = _names(previous, before, is_name)
        phrase = _asked_about(before, is_name)
        return _replace_pronouns(words, " and ".join(names), phrase)
    return None


def _replace_pronouns(words: list[str], names: str, phrase: str) -> str | None:
    """The first personal pronoun ("he", "his") stands for the names, the first other one ("it",
    "that") for the phrase asked about (each falling back on the other); later ones stay, as they
    usually point to something the follow-up itself introduced."""
    out, used = [], set()
    for word in words:
        pronoun = word.lower()
        kind = "personal" if pronoun in PERSONAL else "thing"
        if pronoun in PRONOUNS and kind not in used:
            meant = (names or phrase) if kind == "personal" else (phrase or names)
            if meant:
                out.append(meant + PRONOUNS[pronoun])
                used.add(kind)
                continue
        out.append(word)
    return " ".join(out) if used else None


def _names(previous: str, before: list[str], is_name: Callable[[str], bool]) -> list[str]:
    """The previous question's names: capitalised runs, or in lower-case chat the words the documents
    write capitalised."""
    capitalised = [name.text for name in mentioned_names(previous)]
    if capitalised:
        return capitalised
    names: list[str] = []
    run: list[str] = []
    for word in before + [""]:
        if word and word.lower() not in FUNCTION_WORDS and word.lower() not in WH_WORDS and is_name(word.lower()):
            run.append(word)
        elif run:
            names.append(" ".join(run))
            run = []
    return names


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _ask_again(wh: str, before: list[str]) -> str:
    """"why?" after "what did Abrams warn" -> "why did Abrams warn"."""
    lowered = [w.lower() for w in before]
    start = next((i for i, w in enumerate(lowered) if w in WH_WORDS), None)
    tail = before[start + 1:] if start is not None else before
    if start is not None:  # "how many ships did X count" asked again: "why did X count"
        auxiliary = next((k for k, w in enumerate(tail[:WH_PHRASE_MAX_WORDS + 1]) if w.lower() in AUXILIARIES), None)
        tail = tail[auxiliary:] if auxiliary is not None else tail
    return " ".join([wh, *tail])


def _asked_about(before: list[str], is_name: Callable[[str], bool] = lambda word: False) -> str:
    """The phrase the previous question asks about: after its question word and auxiliary ("when was
    the armistice signed" -> "the armistice"; "what did abrams warn" -> "abrams"; "who signed the
    armistice" -> "the armistice")."""
    lowered = [w.lower() for w in before]
    i = next((k + 1 for k, w in enumerate(lowered) if w in WH_WORDS), 0)
    if i < len(lowered) and lowered[i] in AUXILIARIES:
        auxiliary = lowered[i]
        phrase = before[i + 1:]
        if auxiliary in {"is", "was", "are", "were"}:
            while phrase and phrase[-1].lower().endswith(("ed", "en")) and len(phrase) > 1:
                phrase = phrase[:-1]  # "the armistice signed" -> "the armistice"
            return " ".join(phrase)
        subject = phrase[:1]  # the subject of "did/does/can X verb ...", with the rest of its name
        for word in phrase[1:]:
            if not (word[:1].isupper() or is_name(word.lower())):
                break
            subject.append(word)
        return " ".join(subject)
    return " ".join(before[i + 1:]) if len(before) > i + 1 else ""


def _swap_in(rest: list[str], before: list[str], is_name: Callable[[str], bool] = lambda word: False) -> str:
    """"what about borrowing" after "what does the book say about ownership" -> "... about borrowing";
    "what about tokola" after "what does aum say ..." -> "what does tokola say ..." (a name for the
    name); "and on linux" after "... on mac for rust" -> "... on linux for rust" (a phrase of the same
    preposition, or an "-ly" word for an "-ly" word, replaced; else added); "and in 2018" -> added."""
    lowered = [w.lower() for w in before]
    first = rest[0].lower()
    if first in PREPOSITIONS or first in SUBORDINATORS:
        if first in lowered:
            start = len(lowered) - 1 - lowered[::-1].index(first)
            end = next((k for k in range(start + 1, len(lowered)) if lowered[k] in PREPOSITIONS | SUBORDINATORS), len(lowered))
            return " ".join(before[:start] + rest + before[end:])
        return " ".join(before + rest)
    if _YEAR.fullmatch(rest[0]):
        return " ".join(before + rest)
    if len(rest) == 1 and first.endswith("ly"):
        adverb = next((k for k, w in enumerate(lowered) if w.endswith("ly") and w not in FUNCTION_WORDS), None)
        return " ".join(before[:adverb] + rest + before[adverb + 1:]) if adverb is not None else " ".join(before + rest)
    if all(is_name(w.lower()) for w in rest):  # a name for the previous question's last name
        named = [k for k, w in enumerate(lowered) if w not in FUNCTION_WORDS and w not in WH_WORDS and is_name(w)]
        if named:
            end = start = named[-1]
            while start > 0 and lowered[start - 1] not in FUNCTION_WORDS and is_name(lowered[start - 1]):
                start -= 1
            return " ".join(before[:start] + rest + before[end + 1:])
    last_function = max((k for k, w in enumerate(before) if w.lower() in FUNCTION_WORDS), default=-1)
    if 0 <= last_function < len(before) - 1:
        return " ".join(before[:last_function + 1] + rest)
    return " ".join(before + rest)
