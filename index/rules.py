"""The named rules of the answering path: each one a switch, so that its worth can be measured.

Every question rewriter, score adjustment and abstention check that is not plain retrieval and
ranking is listed here with the stage it belongs to. `RULES_OFF` (comma-separated names; `.env`) turns
rules off for serving, and `scripts/evaluate.py --suite --ablate` turns each off in turn and prints
what the macro figures across corpora gain or lose: a rule that does not pay across corpora goes.
"""

from __future__ import annotations

from index.errors import RuleError  # noqa: F401 - raised here, part of the API

RULES: dict[str, str] = {
    # question stage: rewriters
    "chat_forms": "question: chat spellings read as standard words ('u' -> 'you', 'ppl' -> 'people')",
    "acronyms": "question: acronyms the documents define written out ('nk' -> 'North Korea')",
    "spelling": "question: a word no document uses read as the documents' nearest word",
    # rank stage: score adjustments
    "source_penalty": "rank: candidates missing the source the question names ('what did X say'), or outside the document it names, sink",
    # quote stage
    "section_body": "quote: a matching section title gives way to the text under it",
    # abstain stage: checks
    "unknown_names": "abstain: the question names someone, something or a year no document mentions",
    "score_floor": "abstain: the cross-encoder's best logit (ranker score with RERANK_MODEL=off) is below the calibrated floor",
    "answer_type": "abstain: a number question whose best quote holds no number",
}


def checked(names: frozenset[str] | set[str] | tuple[str, ...]) -> frozenset[str]:
    """The names, after checking that each is a rule; the message lists the rules there are."""
    unknown = sorted(set(names) - set(RULES))
    if unknown:
        raise RuleError(f"unknown rule {', '.join(unknown)} (in RULES_OFF?); rules: {', '.join(RULES)}")
    return frozenset(names)
