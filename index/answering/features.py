"""Candidate sentences for a question and the features the ranker scores them by.

Candidates are the union of the best sentences by four retrievers (dense and BM25, over sentences and
over sentence windows). Each candidate is described by how well it, its neighbours, its paragraph and
its document match the question, densely and lexically; by what it offers against the answer type the
question asks for; and by whether the source the question names ("what did X say") appears in or
before it. `scripts/train_ranker.py` learns the weights from these same functions, so training and
answering cannot drift apart.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Container, Iterator

import numpy as np

from index.answering.question import ANSWER_TYPES, POSSESSIVE, QuestionAnalysis, analyse
from index.answering.spelling import WORD, speller_of
from index.documents.readable import readable
from index.lexical.tokens import content_words, stem, tokenize
from index.storage.loaded import LoadedIndex

CANDIDATES_PER_RETRIEVER = 30
DENSE_DEPTH = 100
"""Dense ranks beyond this depth count as this depth (exact ranks would need a full scan)."""
LEXICAL_RANK_DEPTH = 1000
"""BM25 ranks beyond this depth count as this depth."""
SELECTIVE_TERMS = 2
SOURCE_PENALTY = 4.0
"""Taken off the ranker score of a candidate that misses the source the question names (rule
`source_penalty`)."""

BASE_FEATURES = (
    "dense_sentence", "dense_window", "dense_paragraph", "dense_previous", "dense_next",
    "bm25_sentence", "bm25_window", "bm25_paragraph", "bm25_document", "log_bm25_sentence", "log_bm25_window",
    "rr_dense_sentence", "rr_dense_window", "rr_bm25_sentence", "rr_bm25_window",
    "coverage_sentence", "coverage_window", "coverage_paragraph", "dense_sentence_gap", "dense_window_gap",
    "log_length", "bm25_previous", "bm25_next", "bm25_wide_window", "bm25_previous_paragraph", "bigrams",
)
SELECTIVE_FEATURES = tuple(
    f"term{k}_{where}" for k in range(SELECTIVE_TERMS)
    for where in ("sentence", "wide_window", "paragraph", "previous_paragraph", "log_df")
)
CUE_FEATURES = ("number", "date", "names", "quotation", "window_number", "window_date", "reason")
FEATURE_NAMES = (
    BASE_FEATURES + SELECTIVE_FEATURES + ("doc_name_match", "heading") + CUE_FEATURES
    + tuple(f"type_{t}{'' if c is None else '_x_' + c}" for t in ANSWER_TYPES for c in (None, *CUE_FEATURES))
    + ("has_source", "source_in_sentence", "source_in_context", "source_unknown", "other_document")
)

FEATURE_SCHEMA = hashlib.sha256(("\n".join(FEATURE_NAMES) + f"\n{CANDIDATES_PER_RETRIEVER}").encode()).hexdigest()[:16]
"""Stamped into the ranker and policy files: a model fitted on other columns is refused when loaded,
instead of silently scoring the wrong features."""


@dataclass(frozen=True)
class QueryPlan:
    """A question as the retriever uses it."""

    question: str
    text: str
    """Chat spellings written out, corpus acronyms expanded, misspelt words corrected: what is embedded
    and tokenized."""
    analysis: QuestionAnalysis
    terms: tuple[str, ...]
    source_terms: frozenset[str]
    unknown_source_terms: frozenset[str]
    """Source terms that no sentence and no file name contains (a ranker feature)."""
    unknown_sources: tuple[str, ...]
    """Sources none of whose naming words the documents contain: the corpus cannot say what X said."""
    unknown_names: tuple[str, ...]
    """Other names the question mentions of which the documents contain no word (accents aside), and
    years no document mentions."""
    referenced_docs: frozenset[int]
    """Documents the question names by a word of their file name ("the herald article")."""


@dataclass(frozen=True)
class Candidates:
    ids: np.ndarray
    features: np.ndarray
    violates_source: np.ndarray
    """Candidates missing the named source from their context, or outside the document the question names."""


def plan_query(
    index: LoadedIndex, question: str, dictionary: frozenset[str] | None = None, off: frozenset[str] = frozenset()
) -> QueryPlan:
    """`dictionary`: words of the language (`index.answering.spelling.model_dictionary`), never taken for typos;
    `off`: names of question rewriters (`index/rules.py`) not to apply."""
    sentences = index.lexical["sentences"]
    name_vocabulary = index.name_vocabulary
    chat = "chat_forms" not in off
    text = analyse(question, chat).text
    if "acronyms" not in off:
        text = expand_acronyms(index, text)
    if "spelling" not in off:
        text = correct_spelling(index, text, name_vocabulary, dictionary)
    analysis = analyse(text, chat)  # again, so that "according to the NIS" names the expanded source
    source = frozenset(tokenize(" ".join(analysis.source_words)))
    unknown = frozenset(t for t in source if t not in sentences and t not in name_vocabulary)

    def known(word: str) -> bool:
        """Whether the documents contain the word, up to accents (typos were corrected in `text`)."""
        terms = tokenize(word)
        return any(t in sentences or t in name_vocabulary for t in terms) or any(
            True for _ in file_words_named(word, name_vocabulary)
        ) or any(speller_of(index.words).correct(w, name=True, typos=False) is not None for w in content_words(word))

    unknown_sources = tuple(" ".join(name) for name in analysis.source_names if not any(known(w) for w in name))
    unknown_names = tuple(
        name.text for name in analysis.names
        if not any(known(w) for w in name.words) and " ".join(name.words) not in unknown_sources
    ) + tuple(year for year in analysis.years if not known(year))
    referenced: set[int] = set()
    for word in content_words(text):
        for name_word in file_words_named(word, index.doc_reference_words):
            referenced |= index.doc_reference_words[name_word]
    return QueryPlan(
        question, text, analysis, tuple(tokenize(text)), source, unknown, unknown_sources, unknown_names,
        frozenset(referenced),
    )


FILE_WORD_MIN_PREFIX = 4
"""A question word refers to a file-name word it equals or starts with, if that has this many letters."""


def file_words_named(word: str, file_words: Container[str]) -> Iterator[str]:
    """The file-name words a question word refers to ("blogger" to "blog", "herald" to "herald"):
    looked up by the word's own prefixes, so the time does not grow with the number of files."""
    if word in file_words:
        yield word
    for length in range(FILE_WORD_MIN_PREFIX, len(word)):
        if word[:length] in file_words:
            yield word[:length]


def expand_acronyms(index: LoadedIndex, text: str) -> str:
    """Write out acronyms the documents imply ("nk" -> "North Korea") for words no sentence contains."""
    sentences = index.lexical["sentences"]
    out = []
    for piece in re.split(r"(\s+)", text):
        core = piece.strip("?,.!:;")
        key = core.lower()
        terms = tokenize(key)
        if len(key) >= 2 and key in index.acronyms and terms and not any(t in sentences for t in terms):
            out.append(piece.replace(core, index.acronyms[key]))
        else:
            out.append(piece)
    return "".join(out)


MAX_SPELLING_TRIES = 8
"""Typo lookups per question: each costs a pass over the words of its length, and a question of
gibberish should not cost a second."""


def correct_spelling(
    index: LoadedIndex, text: str, name_vocabulary: frozenset[str] = frozenset(),
    dictionary: frozenset[str] | None = None,
) -> str:
    """Replace each word no document uses (nor any file name) by the word the documents most likely
    mean, keeping its capital and possessive: "Klinger's" -> "Klingner's" (see `index/answering/spelling.py`).
    A word of the `dictionary` is left alone ("former" is no typo of "formed"). A capitalised word
    becomes a name where one is close; otherwise, only with a dictionary to say it is no word
    ("Reigion" -> "religion"): without one, "Victor" might become "victory"."""
    sentences = index.lexical["sentences"]
    speller = speller_of(index.words)
    tries = 0

    def fix(match: re.Match[str]) -> str:
        nonlocal tries
        word = match.group()
        words = content_words(word)
        if len(words) != 1 or words[0].isdigit():
            return word
        key = words[0]
        if all(t in sentences or t in name_vocabulary for t in stem([key])) or key in speller:
            return word
        if dictionary is not None and key in dictionary:
            return word
        tries += 1
        if tries > MAX_SPELLING_TRIES:
            return word
        capitalised = word[:1].isupper()
        better = speller.correct(key, name=capitalised)
        if better is None and capitalised and dictionary is not None and tries < MAX_SPELLING_TRIES:
            tries += 1
            better = speller.correct(key)
        if better is None or better == key:
            return word
        possessive = POSSESSIVE.search(word)
        spelt = better[:1].upper() + better[1:] if capitalised else better
        return spelt + (possessive.group() if possessive else "")

    return WORD.sub(fix, text)


def _normaliser(scores: np.ndarray) -> float:
    """What divides scores so the best is 1 (1 when nothing scores, so everything stays 0)."""
    top = float(scores.max()) if len(scores) else 0.0
    return top if top > 0 else 1.0


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Ids of the k best positive scores."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        positive = positive[np.argpartition(-scores[positive], k)[:k]]
    return positive


def _sparse_ranks(scores: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """0-based rank of each id among all units (ties share the better rank); ranks beyond
    `LEXICAL_RANK_DEPTH` count as that depth, so a question costs no full sort of a large corpus."""
    positive = scores[scores > 0]
    if len(positive) > LEXICAL_RANK_DEPTH:
        positive = positive[np.argpartition(-positive, LEXICAL_RANK_DEPTH)[:LEXICAL_RANK_DEPTH]]
    positive = np.sort(positive)[::-1]
    return np.searchsorted(-positive, -scores[ids], side="left").astype(np.float64)


def _contains(postings: np.ndarray, ids: np.ndarray) -> np.ndarray:
    if len(postings) == 0:
        return np.zeros(len(ids), dtype=bool)
    at = np.searchsorted(postings, ids)
    return (at < len(postings)) & (postings[np.minimum(at, len(postings) - 1)] == ids)


def candidate_features(index: LoadedIndex, plan: QueryPlan, query_vector: np.ndarray) -> Candidates:
    """The candidates for one question and their feature rows (columns: `FEATURE_NAMES`)."""
    n = index.size
    lexical = index.lexical
    terms = list(plan.terms)
    dense_s_top, dense_s_ids = index.dense["sentences"].search(query_vector, min(DENSE_DEPTH, n))
    dense_w_top, dense_w_ids = index.dense["windows"].search(query_vector, min(DENSE_DEPTH, n))
    bm25 = {level: lexical[level].scores(terms) for level in ("sentences", "windows", "wide_windows")}
    bs, bw, bw2 = bm25["sentences"], bm25["windows"], bm25["wide_windows"]
    # Paragraph and document scores stay per paragraph / document (every one has sentences, so their
    # maxima are the maxima over sentences, and document rows are `doc_of`); only candidates look
    # them up, so a question costs no pass over a large corpus beyond scoring it.
    paragraph_scores = lexical["paragraphs"].scores(terms)
    doc_scores = lexical["documents"].scores(terms)
    previous_scores = np.where(
        index.previous_paragraph >= 0, paragraph_scores[np.maximum(index.previous_paragraph, 0)], 0.0
    )

    ids = np.unique(np.concatenate([
        dense_s_ids[:CANDIDATES_PER_RETRIEVER], dense_w_ids[:CANDIDATES_PER_RETRIEVER],
        _top(bs, CANDIDATES_PER_RETRIEVER), _top(bw, CANDIDATES_PER_RETRIEVER),
    ]).astype(np.int64))
    before = index.same_doc_before[ids]
    after = index.same_doc_after[ids]
    prev_ids = np.where(before, ids - 1, ids)
    next_ids = np.where(after, ids + 1, ids)

    # Dense similarities of candidates, neighbours and paragraphs.
    neighbourhood = np.unique(np.concatenate([ids, prev_ids, next_ids]))
    sims = dict(zip(neighbourhood.tolist(), index.dense["sentences"].similarities(query_vector, neighbourhood).tolist()))
    ds = np.array([sims[i] for i in ids.tolist()])
    ds_prev = np.where(before, [sims[i] for i in prev_ids.tolist()], 0.0)
    ds_next = np.where(after, [sims[i] for i in next_ids.tolist()], 0.0)
    dw = index.dense["windows"].similarities(query_vector, ids)
    dp = index.dense["paragraphs"].similarities(query_vector, index.paragraph_of[ids])
    dense_rank = {}
    for name, top_ids in (("s", dense_s_ids), ("w", dense_w_ids)):
        position = {int(u): r for r, u in enumerate(top_ids.tolist())}
        dense_rank[name] = np.array([position.get(int(i), len(top_ids)) for i in ids], dtype=np.float64)

    top_s, top_w, top_w2 = _normaliser(bs), _normaliser(bw), _normaliser(bw2)
    cand_paras = index.paragraph_of[ids]
    nbp = paragraph_scores[cand_paras] / _normaliser(paragraph_scores)
    nbd = doc_scores[index.doc_of[ids]] / _normaliser(doc_scores)
    nbpp = previous_scores[cand_paras] / _normaliser(previous_scores)

    # Which query terms each candidate, its windows and its paragraphs contain.
    qset = sorted(set(terms))
    sentence_index = lexical["sentences"]
    para_index = lexical["paragraphs"]
    idf = np.array([index.idf(t) for t in qset])
    total_idf = idf.sum() or 1.0
    in_s = np.zeros((len(qset), len(ids)), dtype=bool)
    in_w = np.zeros_like(in_s)
    in_w2 = np.zeros_like(in_s)
    in_p = np.zeros_like(in_s)
    in_pp = np.zeros_like(in_s)
    cand_prev_paras = index.previous_paragraph[cand_paras]
    docs = index.doc_of[ids]
    for row, term in enumerate(qset):
        postings = sentence_index.postings(term)
        if len(postings) == 0:
            continue
        in_s[row] = _contains(postings, ids)
        for offset in (-2, -1, 1, 2):
            other = ids + offset
            valid = (other >= 0) & (other < n)
            same = valid & (index.doc_of[np.clip(other, 0, n - 1)] == docs)
            hit = same & _contains(postings, np.clip(other, 0, n - 1))
            in_w2[row] |= hit
            if abs(offset) == 1:
                in_w[row] |= hit
        in_w[row] |= in_s[row]
        in_w2[row] |= in_s[row]
        para_postings = para_index.postings(term)
        in_p[row] = _contains(para_postings, cand_paras)
        in_pp[row] = (cand_prev_paras >= 0) & _contains(para_postings, np.maximum(cand_prev_paras, 0))
    coverage = lambda present: (idf[:, None] * present).sum(axis=0) / total_idf  # noqa: E731

    query_pairs = set(zip(terms, terms[1:]))
    bigrams = np.zeros(len(ids))
    if query_pairs:
        for k, unit in enumerate(ids.tolist()):
            tokens = tokenize(readable(index.sentence(unit)))
            bigrams[k] = len(query_pairs & set(zip(tokens, tokens[1:]))) / len(query_pairs)

    lengths = (index.units["end"][ids] - index.units["start"][ids]).astype(np.float64)
    columns = [
        ds, dw, dp, ds_prev, ds_next,
        bs[ids] / top_s, bw[ids] / top_w, nbp, nbd, np.log1p(bs[ids]), np.log1p(bw[ids]),
        1 / (1 + dense_rank["s"]), 1 / (1 + dense_rank["w"]),
        1 / (1 + _sparse_ranks(bs, ids)), 1 / (1 + _sparse_ranks(bw, ids)),
        coverage(in_s), coverage(in_w), coverage(in_p),
        ds - (dense_s_top[0] if len(dense_s_top) else 0.0), dw - (dense_w_top[0] if len(dense_w_top) else 0.0),
        np.log(np.maximum(lengths, 1)), np.where(before, bs[prev_ids] / top_s, 0.0), np.where(after, bs[next_ids] / top_s, 0.0),
        bw2[ids] / top_w2, nbpp, bigrams,
    ]

    # The rarest query terms the corpus knows: where exactly do they occur around the candidate?
    known = sorted((t for t in qset if sentence_index.document_frequency(t) > 0), key=sentence_index.document_frequency)
    for k in range(SELECTIVE_TERMS):
        if k < len(known):
            row = qset.index(known[k])
            columns += [in_s[row], in_w2[row], in_p[row], in_pp[row],
                        np.full(len(ids), math.log(1 + sentence_index.document_frequency(known[k])))]
        else:
            columns += [np.zeros(len(ids))] * 5

    name_weight = sum(index.name_idf.get(t, 0.0) for t in qset)
    name_match = np.array([
        sum(index.name_idf[t] for t in qset if t in index.doc_name_terms[d]) / name_weight if name_weight > 0 else 0.0
        for d in docs.tolist()
    ])
    cues = index.cues
    window_number = cues["number"][ids] | np.where(before, cues["number"][prev_ids], 0) | np.where(after, cues["number"][next_ids], 0)
    window_date = cues["date"][ids] | np.where(before, cues["date"][prev_ids], 0) | np.where(after, cues["date"][next_ids], 0)
    cue_columns = [cues["number"][ids], cues["date"][ids], cues["names"][ids] / 3.0, cues["quotation"][ids],
                   window_number, window_date, cues["reason"][ids]]
    columns += [name_match, cues["heading"][ids]] + cue_columns
    for answer_type in ANSWER_TYPES:
        on = 1.0 if plan.analysis.answer_type == answer_type else 0.0
        columns += [np.full(len(ids), on)] + [on * c for c in cue_columns]

    # The source the question names: in the sentence, or in its context (neighbours, paragraph,
    # previous paragraph, file name)?
    source = sorted(plan.source_terms)
    if source:
        src_s = np.zeros(len(ids))
        src_ctx = np.zeros(len(ids))
        for term in source:
            row_s = qset.index(term) if term in qset else None
            if row_s is None:
                continue
            src_s += in_s[row_s]
            in_name = np.array([term in index.doc_name_terms[d] for d in docs.tolist()])
            src_ctx += in_w2[row_s] | in_p[row_s] | in_pp[row_s] | in_name
        src_s /= len(source)
        src_ctx /= len(source)
        unknown_share = len(plan.unknown_source_terms) / len(source)
        columns += [np.ones(len(ids)), src_s, src_ctx, np.full(len(ids), unknown_share)]
    else:
        src_ctx = np.zeros(len(ids))
        unknown_share = 0.0
        columns += [np.zeros(len(ids))] * 4
    other_document = np.array([bool(plan.referenced_docs) and d not in plan.referenced_docs for d in docs.tolist()])
    columns.append(other_document.astype(np.float64))

    features = np.column_stack([np.asarray(c, dtype=np.float32) for c in columns])
    violates = (bool(source) and unknown_share < 1) & (src_ctx == 0)
    violates = np.asarray(violates, dtype=bool) | other_document
    return Candidates(ids=ids, features=features, violates_source=violates)
