"""Quote selection over any ranking: quotes stay inside one paragraph and under the length limits,
never overlap or repeat each other, and point at the sentence that answers. Hypothesis draws the
scores; the index is real (real model, real files), built once for the module."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import settings_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.answering.quotes import (
    DUPLICATE_OVERLAP,
    QUOTE_MAX_CHARS,
    QUOTE_TARGET_CHARS,
    choose_spans,
    is_lead_in,
    opens_section,
    rank_sections,
    to_quote,
)
from index.lexical.tokens import content_words
from index.storage.builder import rebuild
from index.storage.loaded import open_index

FERRY = (
    "The ferry to Marlow Island was cancelled because the harbour crane collapsed during the storm. "
    "Engineers expect repairs to take three weeks."
)
LONG = (
    "The council's report, which ran to several hundred pages and was delayed twice by disagreements "
    "between the harbour authority, the island's fishing cooperative and the regional transport office, "
    "concluded that the crane had not been inspected since the previous winter and that the inspection "
    "schedule itself had never been written down anywhere that the engineers, the harbour master or the "
    "insurers could find it when they went looking."
)

LEAD_IN = "The harbour master put it plainly:"
INTRODUCED = "“Nobody sails from this quay until the crane is rebuilt.”"


def _island_news() -> str:
    weather = " ".join(f"On day {k} the wind blew from the {d} at {10 + k} knots." for k, d in
                       zip(range(1, 7), ["north", "east", "south", "west", "north", "east"]))
    return "\n\n".join([
        "# Island News",
        FERRY + " Passengers were offered a refund at the quay.",
        weather,
        f"{LONG} {LONG.replace('council', 'mayor')} The mayor disagreed.",
        "## Timetable",
        "- Monday: no ferry\n- Tuesday: no ferry\n- Wednesday: a small boat from the north pier",
        FERRY + " Passengers were offered a refund at the quay.",  # the same paragraph pasted again
    ]) + "\n"


@pytest.fixture(scope="module")
def index(tmp_path_factory, encoder):
    corpus = tmp_path_factory.mktemp("quotes") / "corpus"
    corpus.mkdir()
    (corpus / "news.md").write_text(_island_news(), encoding="utf-8")
    (corpus / "blog.txt").write_text(
        f"My week.\n\n{FERRY} I was annoyed. The café on the quay stayed open.\n\n"
        "Short line.\nAnother short line, which is its own paragraph here.\n\n"
        f"{LEAD_IN}\n\n{INTRODUCED}\n\nThe ferry company has not commented.\n",
        encoding="utf-8",
    )
    (corpus / "notes.md").write_text("# Ferry notes\n## Week one\n\nThe ferry ran twice that week.\n", encoding="utf-8")
    settings = settings_for(corpus, tmp_path_factory.mktemp("quotes-index"))
    rebuild(settings, encoder=encoder)
    loaded = open_index(settings)
    loaded.corpus = corpus  # type: ignore[attr-defined]
    return loaded


def words(index, unit: int) -> frozenset[str]:
    return frozenset(content_words(index.sentence(unit)))


def repeats(a: frozenset[str], b: frozenset[str]) -> bool:
    return len(a & b) >= DUPLICATE_OVERLAP * max(1, min(len(a), len(b)))


@st.composite
def rankings(draw: st.DrawFn, size: int) -> tuple[np.ndarray, np.ndarray, int]:
    """A candidate set (any subset of units, any order) with scores (ties allowed) and a k."""
    ids = draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=size, unique=True))
    scores = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0]) | st.floats(-5, 5), min_size=len(ids), max_size=len(ids)))
    return np.array(ids, dtype=np.int64), np.array(scores), draw(st.integers(1, 8))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_quotes_obey_every_rule_for_any_ranking(index, data):
    ids, scores, k = data.draw(rankings(index.size))
    headed: dict[int, int] = {}
    if data.draw(st.booleans(), label="headings pass their scores on"):
        ranking = rank_sections(index, ids, scores)
        ids, scores, headed = ranking.ids, ranking.scores, dict(ranking.headed)
    spans = choose_spans(index, ids, scores, k, headed=headed)
    candidate_score = dict(zip(ids.tolist(), scores.tolist()))
    assert 1 <= len(spans) <= k
    assert spans[0].focus == int(ids[np.argmax(scores)]), "the best candidate is always quoted first"
    assert [s.score for s in spans] == sorted((s.score for s in spans), reverse=True)
    used: set[int] = set()
    for n, span in enumerate(spans):
        units = set(range(span.first, span.last + 1))
        assert span.focus in candidate_score and span.score == candidate_score[span.focus]
        assert span.first <= span.focus <= span.last
        assert not units & used, "quotes overlap"
        heading = headed.get(span.focus)
        for u in range(span.first, span.last):
            if index.paragraph_of[u] != index.paragraph_of[u + 1]:
                bridged = is_lead_in(index, u) or (u == span.first == heading)
                assert bridged, "a quote crosses a paragraph break no lead-in or heading bridges"
        if span.first != span.focus and index.cues["heading"][span.first] and span.first == heading:
            units_but_heading = units - {heading}
        else:
            units_but_heading = units
        joined = {u + 1 for u in units if is_lead_in(index, u)}
        assert not any(index.cues["heading"][u] for u in units_but_heading - {span.focus} - joined), "a heading added as context"
        assert span.last == span.focus or not is_lead_in(index, span.last), "a quote ends on a lead-in"
        quote = to_quote(index, span, 0.5)
        assert len(quote.text) <= QUOTE_MAX_CHARS
        if span.last - span.first >= 2:
            assert len(quote.text) <= QUOTE_TARGET_CHARS, "only the first widening step may pass the target"
        document = (index.corpus / quote.doc).read_text(encoding="utf-8")
        assert document[quote.start:quote.end] == quote.text
        assert quote.text[quote.focus[0]:quote.focus[1]] == index.sentence(span.focus)
        assert quote.line == document.count("\n", 0, quote.start) + 1
        for earlier in spans[:n]:  # nothing in a later quote repeats a sentence already quoted
            for a in range(earlier.first, earlier.last + 1):
                for b in units:
                    assert not repeats(words(index, a), words(index, b)), (index.sentence(a), index.sentence(b))
        used |= units


def test_paragraph_pasted_twice_is_quoted_once_by_the_engine(index, encoder):
    """Through the whole pipeline (real ranker, real model): the ferry paragraph appears twice in one
    document and once, extended, in another; it is quoted once."""
    from index.engine import Engine

    settings = settings_for(index.corpus, index.directory.parent)
    engine = Engine.open(settings, auto_rebuild=False, encoder=encoder)
    answer = engine.answer("why was the ferry to Marlow Island cancelled?", k=5, abstain=False)
    assert answer.quotes
    assert sum("harbour crane collapsed" in q.text for q in answer.quotes) == 1
    top = answer.quotes[0]
    assert "crane collapsed" in top.text[top.focus[0]:top.focus[1]]


def test_widening_takes_the_better_neighbour_and_stops_at_the_paragraph(index):
    news = index.doc_names.index("news.md")
    ferry = next(u for u in range(index.size) if index.sentence(u).startswith("The ferry") and index.doc_of[u] == news)
    refund = ferry + 2
    assert index.sentence(refund).startswith("Passengers")
    scores = np.zeros(index.size)
    scores[ferry + 1] = 1.0  # "Engineers expect ..." is the answer
    scores[refund] = 0.6
    scores[ferry] = 0.2
    span = choose_spans(index, np.arange(index.size), scores, k=1)[0]
    assert (span.first, span.focus, span.last) == (ferry, ferry + 1, refund)  # the whole paragraph, no more
    assert index.sentence(span.first - 1) == "# Island News"


def test_long_sentences_are_quoted_alone_when_a_neighbour_would_pass_the_limit(index):
    longs = [u for u in range(index.size) if len(index.sentence(u)) > QUOTE_MAX_CHARS / 2]
    assert len(longs) >= 2 and longs[1] == longs[0] + 1, "the fixture needs two adjacent long sentences"
    scores = np.zeros(index.size)
    scores[longs[0]], scores[longs[1]] = 1.0, 0.9
    span = choose_spans(index, np.arange(index.size), scores, k=1)[0]
    quote = to_quote(index, span, 1.0)
    assert span.first == span.last == longs[0]
    assert len(quote.text) <= QUOTE_MAX_CHARS


def _unit(index, text: str) -> int:
    return next(u for u in range(index.size) if index.sentence(u) == text)


def test_a_lead_in_is_quoted_with_what_it_introduces(index):
    lead_in, introduced = _unit(index, LEAD_IN), _unit(index, INTRODUCED)
    assert is_lead_in(index, lead_in) and not is_lead_in(index, introduced)
    assert introduced == lead_in + 1 and index.paragraph_of[lead_in] != index.paragraph_of[introduced]
    for focus in (lead_in, introduced):  # whichever is ranked first, the quote holds both
        scores = np.zeros(index.size)
        scores[focus] = 1.0
        scores[introduced + 1] = 0.9  # a close-scoring sentence in the next paragraph stays out
        span = choose_spans(index, np.arange(index.size), scores, k=1)[0]
        assert (span.first, span.last, span.focus) == (lead_in, introduced, focus)


def test_a_heading_gives_its_score_to_its_section_and_is_quoted_above_it(index):
    heading = _unit(index, "## Timetable")
    body = heading + 1
    assert opens_section(index, heading) and index.sentence(body).startswith("- Monday")
    other = _unit(index, "The ferry company has not commented.")
    ranking = rank_sections(index, np.array([heading, body, other]), np.array([2.0, -1.0, 1.0]))
    assert ranking.scores.tolist() == [-1.0, 2.0, 1.0]  # the heading falls to the weakest score
    assert dict(ranking.headed) == {body: heading}
    span = choose_spans(index, ranking.ids, ranking.scores, k=1, headed=ranking.headed)[0]
    assert (span.first, span.focus) == (heading, body)
    assert to_quote(index, span, 0.5).text.startswith("## Timetable\n\n- Monday")


def test_a_section_that_matches_better_than_its_heading_keeps_its_own_score(index):
    heading = _unit(index, "## Timetable")
    ranking = rank_sections(index, np.array([heading, heading + 1]), np.array([0.5, 1.0]))
    assert ranking.scores.tolist() == [0.5, 1.0] and not ranking.headed
    span = choose_spans(index, ranking.ids, ranking.scores, k=1, headed=ranking.headed)[0]
    assert span.first == heading + 1, "the heading is added only when its match carried the quote"


def test_a_heading_whose_section_is_not_a_candidate_brings_it_in(index):
    heading = _unit(index, "## Timetable")
    other = _unit(index, "The ferry company has not commented.")
    ranking = rank_sections(index, np.array([heading, other]), np.array([3.0, 0.0]))
    assert ranking.ids.tolist() == [heading, other, heading + 1]
    assert ranking.scores.tolist() == [0.0, 0.0, 3.0]


def test_only_headings_on_a_line_of_their_own_followed_by_text_open_a_section(index):
    title = _unit(index, "# Island News")
    assert opens_section(index, title)  # followed by the ferry paragraph
    text_units = [u for u in range(index.size) if not index.cues["heading"][u]]
    assert not any(opens_section(index, u) for u in text_units)
    # A title over a subtitle passes nothing on; the subtitle passes to the text under it.
    notes_title, subtitle = _unit(index, "# Ferry notes"), _unit(index, "## Week one")
    assert subtitle == notes_title + 1 and not opens_section(index, notes_title) and opens_section(index, subtitle)
    assert rank_sections(index, np.array([notes_title]), np.array([1.0])).scores.tolist() == [1.0]


HARBOUR_GUIDE = """# Harbour guide

## Parking

Cars may stay on the east quay for two hours. The west quay is kept for residents, and the
wardens check permits there every morning.

## Ticket office

The office sells day returns, weekly passes and bicycle tickets. It takes cash and cards, and
lost tickets are replaced there for a small fee.

## Refunds

Passengers whose crossing is cancelled are paid back in full. A crossing missed through the
passenger's own lateness earns no refund.
"""


def test_a_markdown_question_is_answered_from_the_section_not_its_heading(tmp_path, encoder):
    """Through the whole pipeline (real model and ranker), a heading that names what is asked is never
    the whole answer: the text under it is quoted (with the heading above it when the heading is what
    matched; the ranker may also find the body itself first)."""
    from index.engine import Engine

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "guide.md").write_text(HARBOUR_GUIDE, encoding="utf-8")
    settings = settings_for(corpus, tmp_path / "index")
    rebuild(settings, encoder=encoder)
    engine = Engine.open(settings, auto_rebuild=False, encoder=encoder)
    for question, section, body in [
        ("what about refunds?", "## Refunds", "paid back in full"),
        ("where can I park?", "## Parking", "east quay"),
    ]:
        answer = engine.answer(question, k=3)
        assert answer.answered, (question, answer.notes)
        top = answer.quotes[0]
        focus = top.text[top.focus[0]:top.focus[1]]
        assert not focus.startswith("#"), (question, top.text)
        assert body in top.text, (question, top.text)
        assert top.text.startswith(section) or not top.text.startswith("#"), (question, top.text)
