"""The dense side: which model the settings name (`model`, `shipped`), the encoders that run it (torch,
ONNX) and the cross-encoder, and the vector stores (FAISS files, exact or ANN, and Qdrant).

Knows no corpus layout and no question. May import the foundation modules, `index.lexical` and
`index.documents`.
"""
