"""Evaluation: the evaluators (hit@k, abstention, SQuAD as open retrieval), the question-set suite, the
peers measured beside the engine (naive 500-char chunks, BM25) and the training pairs drawn from sets.

Sits above the engine API and uses it as a front-end would; the scripts import it. Nothing in the
engine imports it.
"""

from index.evaluation.evaluators import (
    DevQuestion,
    SquadQuestion,
    evaluate_dev,
    evaluate_follow_ups,
    evaluate_off_topic,
    evaluate_squad,
    gold_units,
    normalize_answer,
    read_dev_questions,
    read_follow_ups,
    sample,
    squad_documents,
    with_typo,
    write_documents,
)
from index.evaluation.suite import (
    HEADER,
    EvalSet,
    Figures,
    SuiteError,
    corpus_texts,
    engine_answerer,
    evaluate_set,
    figures_line,
    format_row,
    macro,
    open_engine,
    peer_answerers,
    read_suite,
    select,
)
from index.evaluation.training import LabelledSet, hard_negatives, label_set

__all__ = [
    "HEADER", "DevQuestion", "EvalSet", "Figures", "LabelledSet", "SquadQuestion", "SuiteError", "corpus_texts",
    "engine_answerer", "evaluate_dev", "evaluate_follow_ups", "evaluate_off_topic", "evaluate_squad",
    "evaluate_set", "figures_line", "format_row", "gold_units", "hard_negatives", "label_set", "macro", "normalize_answer",
    "open_engine", "peer_answerers", "read_dev_questions", "read_follow_ups", "read_suite", "sample", "select",
    "squad_documents", "with_typo", "write_documents",
]
