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

from .question import AUXILIARIES, WH_WORDS, expand_chat_forms, mentioned_names

PRONOUNS = {"he": "", "she": "", "they": "", "him": "", "them": "", "it": "", "this": "", "that": "",
            "these": "", "those": "", "his": "'s", "her": "'s", "their": "'s", "its": "'s", "hers": "'s",
            "theirs": "'s"}
"""Pronouns that point back, with the possessive ending their replacement takes."""
PERSONAL = frozenset("he she they him them his her their hers theirs".split())
"""Pronouns for people: they stand for the previous question's names when it has any."""
SHIFT_OPENERS = ("and what about", "what about", "how about", "and how about", "what of", "and also", "and", "also")
PREPOSITIONS = frozenset("in on at for during before after since from to with without under by about against".split())
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


def read_follow_up(previous: str, follow_up: str) -> str | None:
    """The follow-up as a question of its own in the context of `previous`, or None when it already
    stands on its own (or nothing can be carried)."""
    words = _words(expand_chat_forms(follow_up))
    before = _words(expand_chat_forms(previous))
    if not words or not before:
        return None
    lowered = [w.lower() for w in words]
    if lowered[0] in WH_WORDS and len(words) <= BARE_WH_MAX_WORDS:
        return _ask_again(lowered[0], before)
    opener = next((o for o in SHIFT_OPENERS if " ".join(lowered[:len(o.split())]) == o), None)
    if opener is not None and len(words) > len(opener.split()):
        rest = words[len(opener.split()):]
        if rest[0].lower() in WH_WORDS or rest[0].lower() in AUXILIARIES:  # "and why does he think so?"
            words, lowered = rest, [w.lower() for w in rest]
        elif not any(w in PRONOUNS for w in (r.lower() for r in rest)):
            return _swap_in(rest, before)
    if any(w in PRONOUNS for w in lowered):
        names = " and ".join(name.text for name in mentioned_names(previous))
        phrase = _asked_about(before)

        def stands_for(pronoun: str) -> str:  # people are named; things are the phrase asked about
            return (names or phrase) if pronoun in PERSONAL else (phrase or names)

        if names or phrase:
            return " ".join(stands_for(w) + PRONOUNS[w] if w in PRONOUNS else word for word, w in zip(words, lowered))
    return None


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


def _asked_about(before: list[str]) -> str:
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
        return " ".join(phrase[:1])  # the subject of "did/does/can X verb ..."
    return " ".join(before[i + 1:]) if len(before) > i + 1 else ""


def _swap_in(rest: list[str], before: list[str]) -> str:
    """"what about borrowing" after "what does the book say about ownership" -> "... about borrowing";
    "and in 2018" -> the previous question "in 2018"."""
    if rest[0].lower() in PREPOSITIONS or _YEAR.fullmatch(rest[0]):
        return " ".join(before + rest)
    last_function = max((k for k, w in enumerate(before) if w.lower() in FUNCTION_WORDS), default=-1)
    if 0 <= last_function < len(before) - 1:
        return " ".join(before[:last_function + 1] + rest)
    return " ".join(before + rest)
