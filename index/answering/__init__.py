"""Answering: question -> candidates -> score -> quote -> abstain. Reading the question (`question`,
`followup`, `spelling`), the candidates and their features (`features`, `search`), the ranker and the
cross-encoder judge (`ranker`, `rerank`), verbatim quotes (`quotes`) and the abstention policy
(`policy`). The shipped ranker and policies (`ranker.json`, `policy*.json`) live beside their code.

May import every layer below: the foundation modules, `index.lexical`, `index.documents`,
`index.dense`, `index.storage`.
"""
