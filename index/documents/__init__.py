"""Documents: listing the corpus, reading each format, splitting sentences and retrieval units, the text
that is embedded and indexed, and the statistics a build reads from text (cues, word counts, names).

Knows no index and no question. May import: `index.config`, `index.errors` and the other foundation
modules, and `index.lexical` (its tokenizer gives units their terms).
"""
