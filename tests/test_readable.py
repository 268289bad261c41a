"""What is embedded and indexed is the sentence as read: Markdown markup out, every word kept."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from index.documents.readable import readable
from index.lexical.tokens import content_words


def test_links_keep_their_label_and_lose_their_target():
    text = "See the [GitHub Actions guide](../integrations/github_actions.md#setup \"Setup\") for more."
    assert readable(text) == "See the GitHub Actions guide for more."
    assert readable("![the logo](img/logo.png) and [a label][ref-1]") == "the logo and a label"


def test_heading_list_quote_and_table_markers_go():
    assert readable("## Using your own documents") == "Using your own documents"
    assert readable("- the ferry resumes in **March**") == "the ferry resumes in March"
    assert readable("_Black_ keeps snake_case_names and __init__") == "Black keeps snake_case_names and init"
    assert readable("> 1. quoted item") == "1. quoted item"
    assert readable("| `CORPUS_DIR` | `corpus` | folder of documents |") == "CORPUS_DIR corpus folder of documents"


def test_plain_prose_comes_back_unchanged():
    prose = "Abrams warned that calls to abolish the U.N. Command would follow (as in 2018) - and 3.5% agreed."
    assert readable(prose) == prose


@given(st.lists(st.sampled_from(["ferry", "crane", "3.5", "U.S.", "Zürich", "東京", "snake_case"]), min_size=1, max_size=8),
       st.sampled_from(["{}", "**{}**", "`{}`", "- {}", "## {}", "[{}](x/y.md)", "| {} |", "_{}_"]))
def test_no_word_of_the_text_is_lost(words, wrapper):
    text = wrapper.format(" ".join(words))
    assert content_words(readable(text)) == content_words(" ".join(words))
