"""Sentence splitting: offsets always round-trip, no word is ever lost, and the documented rules hold.

The properties run over arbitrary text (any unicode, CJK punctuation, CRLF, tabs) and over generated
prose built to hit the rules (abbreviations, initials, quotes, Markdown, hard wrapping, very long
sentences); the examples pin down the rules themselves.
"""

from __future__ import annotations

import re
import textwrap

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from index.documents.sentences import Sentence, split_sentences

WORD = re.compile(r"\w")


def check_invariants(text: str, sentences: list[Sentence], max_chars: int) -> None:
    """Every property `split_sentences` promises, checked against the text itself."""
    previous_end = 0
    previous_paragraph = -1
    for sentence in sentences:
        piece = text[sentence.start:sentence.end]
        assert 0 <= sentence.start < sentence.end <= len(text)
        assert piece == piece.strip() and not piece[0].isspace() and not piece[-1].isspace(), repr(piece)
        assert sentence.start >= previous_end, "sentences overlap or are out of order"
        assert len(piece) <= max_chars
        assert WORD.search(piece), f"sentence without a word character: {piece!r}"
        assert sentence.paragraph >= previous_paragraph, "paragraph numbers go backwards"
        assert sentence.line == text.count("\n", 0, sentence.start) + 1
        previous_end = sentence.end
        previous_paragraph = sentence.paragraph
    gaps = zip([0] + [s.end for s in sentences], [s.start for s in sentences] + [len(text)])
    for gap_start, gap_end in gaps:
        lost = WORD.search(text, gap_start, gap_end)
        assert lost is None, f"word character outside every sentence: {text[lost.start():lost.start() + 20]!r}"


def paragraphs_are_blank_line_separated(text: str, sentences: list[Sentence]) -> None:
    """Two sentences in one paragraph never have a blank line between them, unless they are pieces of
    one fenced code block (cut for length)."""
    for a, b in zip(sentences, sentences[1:]):
        if a.paragraph == b.paragraph:
            between = text[a.end:b.start]
            in_code = len(re.findall(r"(?m)^\s*(?:```|~~~)", text[:a.end])) % 2 == 1
            assert in_code or not re.search(r"\n[^\S\n]*\n", between), f"blank line inside paragraph: {between!r}"


# --- strategies -------------------------------------------------------------------------------------

WORDS = st.sampled_from(
    "the harbour ferry was cancelled because crane collapsed storm engineers expect repairs three weeks "
    "Abrams warned Korea Command Seoul Washington declaration peace treaty said officials 1953 2021 "
    "café naïve Zürich Москва 東京 北京 データ".split()
)
ABBREVIATIONS = st.sampled_from(
    ["Gen.", "U.S.", "U.N.", "Dr.", "Mr.", "Dec.", "No.", "etc.", "e.g.", "i.e.", "J.", "R.", "St.", "vs.", "a.m."]
)
TERMINALS = st.sampled_from([".", "!", "?", "…", "...", "?!", ".\"", ".”", ".’", ".)", "!]", "。", "！", "？", "」", "。」"])
SPACES = st.sampled_from([" ", " ", " ", "  ", "\t", "\u00a0", "\u3000", "\n", "\r\n", "\n\n", "\r\n\r\n", "\n \n"])
MARKUP = st.sampled_from(["# ", "## ", "- ", "* ", "1. ", "2) ", "> ", "• ", "\"", "“", "(", "[", "«", "'", "```\n", "| "])


@st.composite
def prose(draw: st.DrawFn) -> str:
    """Text made of the pieces the splitter reasons about, in any order."""
    parts = draw(
        st.lists(
            st.one_of(WORDS, WORDS, WORDS, ABBREVIATIONS, TERMINALS, SPACES, SPACES, MARKUP,
                      st.text(max_size=6)),
            max_size=120,
        )
    )
    glue = draw(st.sampled_from(["", " "]))
    return glue.join(parts)


@st.composite
def hard_wrapped(draw: st.DrawFn) -> str:
    """Paragraphs of sentences wrapped at a fixed width, as e-mails and Project Gutenberg texts are."""
    width = draw(st.integers(30, 100))
    paragraphs = []
    for _ in range(draw(st.integers(1, 4))):
        sentences = []
        for _ in range(draw(st.integers(1, 6))):
            words = draw(st.lists(st.one_of(WORDS, ABBREVIATIONS), min_size=1, max_size=20))
            sentences.append(" ".join(words).capitalize() + draw(TERMINALS))
        paragraphs.append(textwrap.fill(" ".join(sentences), width))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return "\n\n".join(paragraphs).replace("\n", newline)


@st.composite
def long_sentences(draw: st.DrawFn) -> str:
    """Sentences far longer than the limit, with and without commas and spaces to cut at."""
    unit = draw(st.sampled_from(["word ", "clause, ", "x", "東京", "a—b ", "long-word-"]))
    return draw(st.sampled_from(["", "Short one. "])) + unit * draw(st.integers(10, 800)) + draw(TERMINALS)


MAX_CHARS = st.sampled_from([20, 37, 80, 200, 500])
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(text=st.text(), max_chars=MAX_CHARS)
@example(text="\r\n\r\n", max_chars=20)
@example(text="_", max_chars=20)
@example(text="a\u2028b\x0bc\x1cd\x85e", max_chars=20)
def test_arbitrary_text_round_trips(text: str, max_chars: int) -> None:
    sentences = split_sentences(text, max_chars=max_chars)
    check_invariants(text, sentences, max_chars)
    paragraphs_are_blank_line_separated(text, sentences)


@PROPERTY_SETTINGS
@given(text=prose(), max_chars=MAX_CHARS)
def test_prose_round_trips(text: str, max_chars: int) -> None:
    sentences = split_sentences(text, max_chars=max_chars)
    check_invariants(text, sentences, max_chars)
    paragraphs_are_blank_line_separated(text, sentences)


@PROPERTY_SETTINGS
@given(text=prose())
def test_a_tab_splits_like_a_space(text: str) -> None:
    """Every rule treats whitespace alike: tabs for spaces (same length) change no boundary."""
    assert split_sentences(text.replace(" ", "\t")) == split_sentences(text)


@PROPERTY_SETTINGS
@given(text=st.one_of(prose(), hard_wrapped()))
def test_crlf_splits_like_lf(text: str) -> None:
    """Windows line ends change offsets, never boundaries, paragraphs or line numbers (no length cap
    here: the cap counts characters, and CR is one)."""
    crlf = text.replace("\n", "\r\n")
    lf_sentences = split_sentences(text, max_chars=10**9)
    crlf_sentences = split_sentences(crlf, max_chars=10**9)
    assert [(s.paragraph, s.line) for s in crlf_sentences] == [(s.paragraph, s.line) for s in lf_sentences]
    assert [crlf[s.start:s.end].replace("\r\n", "\n") for s in crlf_sentences] == [
        text[s.start:s.end] for s in lf_sentences
    ]


@PROPERTY_SETTINGS
@given(text=hard_wrapped(), max_chars=MAX_CHARS)
def test_hard_wrapped_text_round_trips(text: str, max_chars: int) -> None:
    sentences = split_sentences(text, max_chars=max_chars)
    check_invariants(text, sentences, max_chars)
    paragraphs_are_blank_line_separated(text, sentences)


@PROPERTY_SETTINGS
@given(text=long_sentences(), max_chars=MAX_CHARS)
def test_long_sentences_are_cut_under_the_limit(text: str, max_chars: int) -> None:
    check_invariants(text, split_sentences(text, max_chars=max_chars), max_chars)


def test_max_chars_below_twenty_is_refused() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        split_sentences("Hello there.", max_chars=19)


# --- the documented rules ---------------------------------------------------------------------------


def pieces(text: str, max_chars: int = 500) -> list[str]:
    return [text[s.start:s.end] for s in split_sentences(text, max_chars=max_chars)]


@pytest.mark.parametrize(
    "text",
    [
        "Gen. Robert Abrams warned against it. He spoke in Seoul.",
        "The U.S. Forces Korea commander spoke. He warned of risks.",
        "The U.N. Command was founded in 1950. It still exists.",
        "Talks resumed on Dec. 23 in Seoul. Nobody objected.",
        "Dr. Smith and Mr. Jones met Prof. Lee. They agreed.",
        "See fig. 3 for details. The chart is clear.",
    ],
)
def test_abbreviations_do_not_end_sentences(text: str) -> None:
    first, second = pieces(text)
    assert text.startswith(first) and text.endswith(second)
    assert first.endswith(".") and second[0].isupper()


def test_abbreviations_opening_a_wrapped_line_or_after_a_tab_do_not_end_sentences() -> None:
    """Found by `test_a_tab_splits_like_a_space`: the word before a period was taken from the last
    space, so "Gen." at the start of a line (or after a tab) was not seen as an abbreviation."""
    assert pieces("Meeting notes:\tGen. Abrams spoke. He sat.") == ["Meeting notes:\tGen. Abrams spoke.", "He sat."]
    lines = [
        "The harbour ferry to the island was cancelled on",
        "Tuesday because the old crane collapsed during the",
        "storm, according to a statement from the office of",
        "Gen. Abrams and the U.S. Army engineers, who",
        "expect repairs to take three weeks. Nobody else",
        "said anything about it at all that day.",
    ]
    paragraph = "\n".join(lines)
    found = pieces(f"{paragraph}\n\n{paragraph}\n")
    first = paragraph[:paragraph.index(" Nobody")]
    assert first.endswith("three weeks.") and "\nGen. Abrams" in first
    assert found[:2] == [first, "Nobody else\nsaid anything about it at all that day."]


def test_initials_do_not_end_sentences() -> None:
    assert pieces("J. R. R. Tolkien wrote it. Then he rested.") == ["J. R. R. Tolkien wrote it.", "Then he rested."]
    assert pieces("Harry S. Truman signed. It passed.") == ["Harry S. Truman signed.", "It passed."]


def test_closing_quotes_and_brackets_stay_with_their_sentence() -> None:
    text = "He said, “the war is over.” Nobody believed him. (It was not over.) \"Fine,\" she said! Next?"
    assert pieces(text) == [
        "He said, “the war is over.”",
        "Nobody believed him.",
        "(It was not over.)",
        "\"Fine,\" she said!",
        "Next?",
    ]


def test_a_period_before_an_opening_quote_ends_the_sentence() -> None:
    assert pieces("It ended. “Peace,” he said.") == ["It ended.", "“Peace,” he said."]


def test_lower_case_after_a_period_continues_the_sentence() -> None:
    assert pieces("The rate was approx. ten percent. it rose. Then it fell.") == [
        "The rate was approx. ten percent. it rose.",
        "Then it fell.",
    ]


def test_numbers_start_sentences_but_decimals_do_not_split() -> None:
    assert pieces("Prices rose 3.5 percent. 2021 was worse.") == ["Prices rose 3.5 percent.", "2021 was worse."]


def test_cjk_punctuation_ends_sentences_without_a_space() -> None:
    assert pieces("東京は晴れです。大阪は雨です！本当？") == ["東京は晴れです。", "大阪は雨です！", "本当？"]
    assert pieces("彼は「終わった。」と言った。次へ。") == ["彼は「終わった。」", "と言った。", "次へ。"]


def test_one_paragraph_per_line_text_breaks_at_every_line() -> None:
    text = "\n".join(
        [
            "The first paragraph has no final stop",
            "The second paragraph continues with more words and without any punctuation too",
            "A third one.",
        ]
    )
    result = split_sentences(text)
    assert [text[s.start:s.end] for s in result] == text.split("\n")
    assert [s.paragraph for s in result] == [0, 1, 2]
    assert [s.line for s in result] == [1, 2, 3]


def _wrapped_paragraph() -> str:
    sentence = (
        "The harbour ferry to the island was cancelled on Tuesday because the old crane collapsed "
        "during the storm that also flooded the road to the station"
    )
    return textwrap.fill(f"{sentence}. {sentence}, and engineers expect repairs to take three weeks.", 60)


def test_hard_wrapped_lines_continue_the_sentence() -> None:
    paragraph = _wrapped_paragraph()
    text = f"{paragraph}\n\n{paragraph}\n"
    assert paragraph.count("\n") >= 4, "the example must be hard-wrapped"
    result = split_sentences(text)
    assert len(result) == 4
    assert [s.paragraph for s in result] == [0, 0, 1, 1]
    first = text[result[0].start:result[0].end]
    assert "\n" in first and first.endswith("station.")
    assert result[2].line == paragraph.count("\n") + 3


def test_hard_wrapped_text_with_crlf_splits_like_lf() -> None:
    paragraph = _wrapped_paragraph()
    lf = f"{paragraph}\n\n{paragraph}\n"
    crlf = lf.replace("\n", "\r\n")
    assert [(s.paragraph, s.line) for s in split_sentences(crlf)] == [
        (s.paragraph, s.line) for s in split_sentences(lf)
    ]
    assert [crlf[s.start:s.end].replace("\r\n", "\n") for s in split_sentences(crlf)] == pieces(lf)


def test_markdown_headings_and_list_items_are_sentences_of_their_own() -> None:
    paragraph = _wrapped_paragraph()
    text = f"# Island News\n\n{paragraph}\n\n## Updates\n- the ferry resumes in March\n- the crane is replaced\n"
    found = pieces(text)
    assert found[0] == "# Island News"
    assert "## Updates" in found
    assert "- the ferry resumes in March" in found and "- the crane is replaced" in found


def _markdown_notes(width: int) -> str:
    """Markdown prose wrapped at `width`, with a table much wider than that and a code block."""
    prose = textwrap.fill(
        "The harbour ferry was cancelled because the old crane collapsed during the storm that also "
        "flooded the road to the station. Engineers expect repairs to take three weeks, and the "
        "council has asked the mainland yard for a replacement crane before the summer timetable starts.",
        width,
    )
    table = "| route | status | note |\n|---|---|---|\n" + "\n".join(
        f"| {name} | cancelled | {'the crane collapsed and the quay is closed to all traffic ' * 3}|"
        for name in ("north pier", "south pier", "island quay")
    )
    code = "```sh\nferry-status --route north. Then\nferry-status --all\n```"
    return f"# Ferry notes\n\n{prose}\n\n{table}\n\n{prose}\n\n{code}\n\n{prose}\n"


@pytest.mark.parametrize("width", [72, 100, 120])
def test_markdown_wrapped_at_any_common_width_keeps_sentences_whole(width: int) -> None:
    """Tables far wider than the prose must not make wrapped lines look like paragraphs of their own."""
    text = _markdown_notes(width)
    found = pieces(text)
    sentence = next(p for p in found if p.startswith("The harbour ferry"))
    assert sentence.endswith("station.") and "\n" in sentence
    paragraphs = {s.paragraph for s in split_sentences(text) if text[s.start:s.end].startswith("Engineers")}
    assert len(paragraphs) == 3  # one per copy of the prose, each copy one paragraph


def test_table_rows_are_sentences_of_their_own() -> None:
    rows = [p for p in pieces(_markdown_notes(100)) if p.startswith("| ")]
    assert len(rows) == 4 and all("\n" not in row for row in rows)


def test_a_fenced_code_block_is_one_sentence() -> None:
    text = _markdown_notes(100)
    code = text[text.index("```sh"):text.index("```\n\n", text.index("```sh") + 3) + 3]
    assert code in pieces(text)


def test_a_fenced_code_block_keeps_its_blank_lines() -> None:
    code = "```python\n# in:\n\nj = [1,\n     2]\n\n# out:\n\nj = [1, 2]\n```"
    text = f"The rule is simple.\n\n{code}\n\nThen the next rule applies.\n"
    result = split_sentences(text)
    assert [text[s.start:s.end] for s in result] == ["The rule is simple.", code, "Then the next rule applies."]
    assert [s.paragraph for s in result] == [0, 1, 2]


def test_an_unclosed_fence_ends_at_a_blank_line() -> None:
    text = "```\nstatus --all\n\nThe ferry is cancelled. Repairs take three weeks.\n"
    assert pieces(text) == ["```\nstatus --all", "The ferry is cancelled.", "Repairs take three weeks."]


def test_short_one_paragraph_lines_are_not_mistaken_for_wrapped_text() -> None:
    lines = ["The ferry is cancelled.", "Repairs take three weeks.", "The café stays open.",
             "Buses run every hour.", "Refunds are at the quay.", "The mayor will speak on Friday."]
    text = "\n".join(lines)
    result = split_sentences(text)
    assert [text[s.start:s.end] for s in result] == lines
    assert [s.paragraph for s in result] == list(range(len(lines)))


def test_short_line_in_wrapped_text_ends_the_sentence() -> None:
    paragraph = _wrapped_paragraph()
    text = f"{paragraph}\nSigned by the mayor\n\n{paragraph}\n"
    assert "Signed by the mayor" in pieces(text)


def test_tabs_and_blank_lines_with_spaces_separate_paragraphs() -> None:
    text = "First paragraph here.\n \t \nSecond\tparagraph here."
    result = split_sentences(text)
    assert [s.paragraph for s in result] == [0, 1]
    assert [text[s.start:s.end] for s in result] == ["First paragraph here.", "Second\tparagraph here."]


def test_very_long_sentence_is_cut_at_clause_breaks() -> None:
    clause = "the committee reviewed the proposal in detail"
    text = ", ".join([clause] * 40) + "."
    found = pieces(text, max_chars=200)
    assert len(found) > 1 and all(len(p) <= 200 for p in found)
    assert all(p.endswith(",") for p in found[:-1]), "cuts fall after a comma when there is one"
    assert "".join(found).replace(",", ", ").split() == text.split()


def test_a_single_enormous_word_is_cut_at_the_limit() -> None:
    text = "x" * 1000
    assert [len(p) for p in pieces(text, max_chars=300)] == [300, 300, 300, 100]


def test_text_without_words_gives_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\t\r\n … --- *** !!!") == []
