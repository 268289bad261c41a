"""Lexical retrieval: the tokenizer for English prose (`tokens`) and BM25 over token lists (`bm25`,
`matrix`). A leaf: pure text and arrays, used by documents, storage and answering alike.

May import only the foundation modules (`index.config`, `index.errors`).
"""
