"""The engine's front door: open once, answer many questions, rebuild without stopping.

`Engine.open` loads the embedding model and the index once per process (seconds); `answer` then takes
milliseconds and may be called from several threads. `rebuild` brings the index up to date with the
corpus (atomically, incrementally) and swaps it in, while questions keep being answered from the old
one until the new one is ready. A version published by another process (`scripts/rebuild_index.py`) is
noticed between questions and swapped in the same way, so a long-running bot never quotes a stale index.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Callable, Iterator

from index.answer import Answer
from index.answering.features import FEATURE_SCHEMA
from index.answering.followup import read_follow_up
from index.answering.policy import load_policy, policy_file, policy_fingerprint
from index.answering.ranker import Ranker, load_ranker
from index.answering.rerank import load_cross_encoder
from index.answering.search import Searcher
from index.answering.spelling import model_dictionary, speller_of
from index.config import Settings
from index.dense.embedding import Encoder, load_encoder, resolve_model
from index.errors import (
    IndexIncompatible,
    IndexProblem,
    IndexReadOnly,
    IndexStale,
    ModelError,
    PolicyError,
    RankerError,
    RebuildBusy,
)
from index.rules import checked
from index.storage.builder import Progress, RebuildSummary, corpus_changes, rebuild
from index.storage.loaded import open_index
from index.storage.store import REBUILD_HINT, IndexFolder

WARM_UP_QUESTION = "What do the documents say?"
log = logging.getLogger("quotebot.engine")


@dataclass(frozen=True)
class SourceInfo:
    """One indexed document, for listings such as the bot's `/sources`."""

    path: str
    size: int
    units: int
    indexed_at: str


class Engine:
    """Documents in, verbatim quotes out. Create with `Engine.open`."""

    def __init__(self, settings: Settings, encoder: Encoder, ranker: Ranker | None, searcher: Searcher) -> None:
        self.settings = settings
        self.encoder = encoder
        self.ranker = ranker
        self.reranker = searcher.reranker
        self._searcher = searcher
        self._rebuild_lock = threading.Lock()
        self._folder = IndexFolder(settings.index_dir)
        self._stamp: tuple[int, int] | None = None
        """`CURRENT` as last checked; none yet, so the first question checks that the version loaded
        is still the published one (one may have been published while it loaded)."""
        self._swap_lock = threading.Lock()
        self._sources: tuple[object, list[SourceInfo]] | None = None
        self.notes: list[str] = []
        """Standing notes for every answer (e.g. that the index is older than the corpus and why)."""

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        auto_rebuild: bool = True,
        allow_stale: bool = False,
        progress: Progress | None = None,
        notify: Callable[[str], None] | None = None,
        encoder: Encoder | None = None,
    ) -> "Engine":
        """Load the model and the index. With `auto_rebuild`, an index that is missing, built by another
        model or splitter, or older than the corpus is rebuilt first (and `notify` is told why);
        otherwise those raise `IndexProblem`, except that with `allow_stale` an index older than the
        corpus is served as published (a note in `notes` says what changed)."""
        notify = notify or (lambda message: None)
        encoder = encoder or load_encoder(settings)
        try:
            ranker: Ranker | None = load_ranker(schema=FEATURE_SCHEMA)
        except RankerError as exc:
            notify(f"{exc} Falling back to rank fusion.")
            ranker = None
        reranker = load_cross_encoder(settings.rerank_model) if settings.rerank_model else None
        policy = None
        if ranker is not None:
            try:
                policy = load_policy(policy_file(reranker), ranker=policy_fingerprint(ranker, reranker))
            except PolicyError as exc:
                notify(f"{exc} Abstaining only on names the documents never mention.")
        index = None
        notes: list[str] = []
        try:
            index = open_index(settings)
            changes = corpus_changes(settings, index.manifest)
            problem: IndexProblem | None = None
            if changes:
                problem = IndexStale(f"The index in {settings.index_dir} is older than the corpus ({changes}): {REBUILD_HINT}.")
        except IndexProblem as exc:
            problem = exc
        if allow_stale and not auto_rebuild and isinstance(problem, IndexStale):
            notes.append(str(problem))
            problem = None
        if problem is not None:
            if not auto_rebuild:
                raise problem
            notify(f"{problem} Rebuilding the index now.")
            try:
                rebuild(settings, full=isinstance(problem, IndexIncompatible), progress=progress, encoder=encoder)
            except (RebuildBusy, IndexReadOnly) as exc:
                if not isinstance(problem, IndexStale) or index is None:
                    raise
                # Answering never needs the write lock: the published index still quotes its documents
                # verbatim, as they were when it was built.
                note = (f"{exc} Answering from the published index, built before the latest changes "
                        f"to the corpus ({changes}).")
                notify(note)
                notes.append(note)
            else:
                index = open_index(settings)
        try:
            dictionary = model_dictionary(resolve_model(settings.embed_model)[1])
        except ModelError:  # only with an encoder passed in for a model this machine lacks
            dictionary = None
        engine = cls(settings, encoder, ranker, Searcher(
            index, encoder, ranker, reranker, dictionary, settings.rules_off, policy,
        ))
        engine.notes = notes
        return engine

    def answer(self, question: str, k: int | None = None, *, abstain: bool = True, after: str | None = None) -> Answer:
        """The quotes that answer `question`, best first (at most k), or an abstention (unless
        `abstain` is false: benchmarks measure retrieval on its own). `after`: the question asked
        before it in the same conversation; a follow-up that needs it ("why?", "what did he say about
        sanctions?") is read in its context (`index/answering/followup.py`), and the answer says how it was read."""
        k = k or self.settings.top_k
        # Lone UTF-16 surrogates (Discord JSON may carry them) crash the tokenizer: pair or replace them.
        question = question.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        cleaned = " ".join(question.replace("\x00", " ").split())
        notes: list[str] = []
        if not cleaned:
            return Answer(question, False, [], notes=["The question is empty: type a question."])
        limit = self.settings.max_question_chars
        if len(cleaned) > limit:
            cleaned = cut_at_word(cleaned, limit)
            notes.append(f"The question was cut to its first {len(cleaned)} characters (at most {limit}).")
        served = self._served()
        reading = read_follow_up(" ".join(after.split())[:limit], cleaned, speller_of(served.index.words).is_name) \
            if after and after.strip() else None
        if reading:
            notes.insert(0, f"Reading this as: {reading}")
        answer = served.answer(
            reading or cleaned, k, show_closest=self.settings.show_closest, notes=self.notes + notes, abstain=abstain
        )
        return replace(answer, question=cleaned, reading=reading or "") if reading else answer

    def _served(self) -> Searcher:
        """The searcher of the newest published version. One `stat` of `CURRENT` per question tells
        whether a rebuild in another process published a new version; the first thread to see it
        loads that version while the others keep answering from the one they have."""
        stamp = self._folder.current_stamp()
        if stamp == self._stamp or not self._swap_lock.acquire(blocking=False):
            return self._searcher
        try:
            self._swap_to_current()
            self._stamp = stamp
        finally:
            self._swap_lock.release()
        return self._searcher

    def _swap_to_current(self) -> None:
        """Serve the version `CURRENT` names, unless it is the one served or cannot be opened (then the
        served one stays, and the log says why)."""
        try:
            if self._folder.current() == self._searcher.index.directory:
                return
            index = open_index(self.settings)
        except IndexProblem as exc:
            log.warning("a newer index was published but cannot be served, so the one loaded stays: %s", exc)
            return
        searcher = self._searcher
        self._searcher = Searcher(
            index, self.encoder, self.ranker, self.reranker, searcher.dictionary, searcher.off, searcher.policy,
        )
        self.notes = []
        log.info("now answering from %s", index.directory)

    @property
    def searcher(self) -> Searcher:
        """The answering stages of the served index version (`Searcher.candidates`, `scored`): what
        `scripts/train_ranker.py` and `scripts/calibrate.py` take so that they see exactly what serving
        sees. Front-ends use `answer`."""
        return self._searcher

    @contextmanager
    def rules_off(self, names: set[str] | frozenset[str]) -> Iterator[None]:
        """Answer with these rules (`index/rules.py`) turned off as well, for as long as the block runs:
        how `scripts/evaluate.py --ablate` measures each rule. Not for serving (set `RULES_OFF`)."""
        searcher = self._searcher
        before = searcher.off
        searcher.off = before | checked(frozenset(names))
        try:
            yield
        finally:
            searcher.off = before

    def warm_up(self) -> None:
        """Run one query so the first real question does not pay for lazy initialisation."""
        self.answer(WARM_UP_QUESTION)

    def sources(self) -> list[SourceInfo]:
        """The served version's documents, listed once per version (front-ends page through it)."""
        index = self._served().index
        listed = self._sources
        if listed is None or listed[0] is not index:
            listed = (index, [SourceInfo(d.path, d.size, d.units, d.indexed_at) for d in index.manifest.documents])
            self._sources = listed
        return listed[1]

    @property
    def index_directory(self) -> str:
        return str(self._searcher.index.directory)

    def rebuild(self, *, full: bool = False, progress: Progress | None = None) -> RebuildSummary:
        """Bring the index up to date and answer from it from now on; questions asked meanwhile are
        answered from the previous version. Raises `RebuildBusy` if another rebuild holds the index."""
        if not self._rebuild_lock.acquire(blocking=False):  # a second /reindex says so instead of queueing
            raise RebuildBusy(f"A rebuild of {self.settings.index_dir} is already running in this process.")
        try:
            summary = rebuild(self.settings, full=full, progress=progress, encoder=self.encoder)
            with self._swap_lock:  # also when another process published the version found up to date
                self._swap_to_current()
                self._stamp = self._folder.current_stamp()
            return summary
        finally:
            self._rebuild_lock.release()


def cut_at_word(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at the last space, so no word is cut in two ("Abrams"
    never becomes "Ab", which the documents would then "never mention"); a text with no space in its
    second half is cut at the limit."""
    if len(text) <= limit:
        return text
    space = text.rfind(" ", limit // 2, limit + 1)
    return text[:space] if space > 0 else text[:limit]


def with_paths(settings: Settings, corpus: str | None, index: str | None) -> Settings:
    """Settings with the corpus and index folders given on a command line, if any."""
    from pathlib import Path

    changes = {}
    if corpus:
        changes["corpus_dir"] = Path(corpus).expanduser().resolve()
    if index:
        changes["index_dir"] = Path(index).expanduser().resolve()
    return replace(settings, **changes) if changes else settings
