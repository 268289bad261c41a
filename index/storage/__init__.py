"""Storage: building an index from a corpus (`builder`), the on-disk store with its versions, locks and
atomic publishing (`store`, `fsutil`), and loading a published version for serving (`loaded`).

Building knows no question: it writes the corpus statistics of `index.documents`, and answering reads
them. May import the foundation modules, `index.lexical`, `index.documents` and `index.dense`.
"""
