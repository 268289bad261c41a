"""Sentence embeddings on onnxruntime: the same model as `TorchEncoder`, without importing torch.

Why: `import sentence_transformers` (and torch under it) takes 5 to 6 s here, which dominates a
one-shot CLI answer; onnxruntime with `tokenizers` starts in a fraction of a second and also encodes
faster on a small CPU. The ONNX file is exported from the sentence-transformers model folder by torch
once (`scripts/export_onnx.py`, or automatically on first use into `CACHE_DIR/onnx/`); only that
export imports torch. `onnx-int8` is the same file after onnxruntime's dynamic int8 quantisation.

Tokenisation, mean pooling and normalisation reproduce sentence-transformers: truncation to the
model's `max_seq_length` (sentence_bert_config.json, 256 for all-MiniLM-L6-v2, *not* the 128 written
in its tokenizer.json), padding to the longest text of a batch, the mean of the token vectors under
the attention mask, then L2 normalisation.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import sys
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from index.config import Settings
from index.dense.model import ModelIdentity, backend_fingerprint, model_fingerprint, resolve_model
from index.dense.shipped import CHECKSUMS, shipped_onnx, verify_checksums
from index.errors import ModelError, ShippedModelError

ONNX_BACKENDS = ("onnx", "onnx-int8")
OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
SUPPORTED_MODULES = {
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
}
_export_lock = threading.Lock()


class PipelineConfig:
    """What the ONNX path must reproduce of a sentence-transformers folder: sequence length, pooling."""

    def __init__(self, folder: Path) -> None:
        modules_file = folder / "modules.json"
        modules = json.loads(modules_file.read_text()) if modules_file.is_file() else []
        unsupported = [m.get("type") for m in modules if m.get("type") not in SUPPORTED_MODULES]
        if unsupported:
            raise ModelError(
                f"The ONNX backend runs Transformer + Pooling + Normalize models only; {folder} also has "
                f"{', '.join(map(str, unsupported))}: set EMBED_BACKEND=torch."
            )
        pooling_path = next((folder / m["path"] for m in modules if m.get("type", "").endswith("Pooling")), None)
        pooling = json.loads((pooling_path / "config.json").read_text()) if pooling_path else {}
        if pooling.get("pooling_mode_cls_token"):
            self.pooling = "cls"
        elif pooling.get("pooling_mode_mean_tokens", True) and not any(
            pooling.get(k) for k in ("pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
                                     "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken")
        ):
            self.pooling = "mean"
        else:
            raise ModelError(f"The ONNX backend supports mean or CLS pooling only ({pooling_path}): "
                             "set EMBED_BACKEND=torch.")
        bert_config = folder / "sentence_bert_config.json"
        config = json.loads((folder / "config.json").read_text())
        limit = int(config.get("max_position_embeddings", 512))
        declared = json.loads(bert_config.read_text()).get("max_seq_length") if bert_config.is_file() else None
        self.max_seq_length = min(int(declared or limit), limit)
        self.do_lower_case = bool(json.loads(bert_config.read_text()).get("do_lower_case")) if bert_config.is_file() else False
        self.dim = int(pooling.get("word_embedding_dimension") or config["hidden_size"])


def model_folder(settings: Settings) -> tuple[str, Path]:
    """(recorded name, local folder) of `EMBED_MODEL`; a hub name is fetched through the hub cache."""
    name, folder = resolve_model(settings.embed_model)
    if folder is None:
        try:
            from huggingface_hub import snapshot_download

            folder = Path(snapshot_download(name))
        except Exception as exc:  # offline, unknown name, ...: the hub raises many kinds
            raise ModelError(f"EMBED_MODEL={name} is not a local folder and could not be fetched ({exc}).") from exc
    return name, folder


def onnx_path(settings: Settings, backend: str) -> Path:
    """The ONNX file the model folder ships (any ONNX backend runs it as it is), or else where the
    exported (and for int8, quantised) file lives in the cache, named by the fingerprint so another
    model or export recipe never picks up a stale file."""
    name, folder = resolve_model(settings.embed_model)
    shipped = shipped_onnx(folder) if folder is not None else None
    if shipped is not None:
        return shipped
    fingerprint = backend_fingerprint(model_fingerprint(folder, name), backend)
    return Path(settings.cache_dir) / "onnx" / f"{fingerprint}-{backend}.onnx"


def export_onnx(folder: Path, destination: Path) -> None:
    """Export the transformer of a sentence-transformers folder to ONNX (float32, dynamic batch and
    sequence axes) with torch. Writes atomically: a crash leaves no half-written file behind."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    # A one-time step the user did not ask for: no weight-loading bar, and no tracer warnings (the
    # exported graph is checked against torch by tests/test_onnx_encoder.py instead).
    transformers_logging.disable_progress_bar()
    try:
        model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    finally:
        transformers_logging.enable_progress_bar()
    accepted = inspect.signature(model.forward).parameters
    wanted = [n for n in INPUT_NAMES if n in accepted]

    class TokenVectors(torch.nn.Module):
        """Keyword arguments for the model (positional ones collide with new transformers signatures)."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(wanted, inputs))).last_hidden_state

    example = torch.tensor([[101, 2023, 2003, 102], [101, 2307, 102, 0]], dtype=torch.long)
    examples = {"input_ids": example, "attention_mask": (example > 0).long(), "token_type_ids": torch.zeros_like(example)}
    axes = {n: {0: "batch", 1: "sequence"} for n in [*wanted, "token_vectors"]}
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent) as scratch:
        temp = Path(scratch) / destination.name
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                TokenVectors(), tuple(examples[n] for n in wanted), str(temp), input_names=wanted,
                output_names=["token_vectors"], dynamic_axes=axes, opset_version=OPSET, dynamo=False,
            )
        os.replace(temp, destination)


def quantize_int8(source: Path, destination: Path, op_types: tuple[str, ...] = ("MatMul",)) -> None:
    """onnxruntime's dynamic quantisation of the MatMul weights to int8, one scale per output channel.

    Measured on 200 corpus paragraphs against the float32 file (AVX2 CPU without VNNI): per-tensor
    scales give mean cosine 0.957 (min 0.90), reduce_range worse still; per-channel gives 0.992 (min
    0.986) and is the fastest variant (1.8x float32 query speed). The shipped model also quantises
    the token embedding table (`Gather`): 23 MB instead of 59 MB in the repository."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent) as scratch:
        temp = Path(scratch) / destination.name
        logging.disable(logging.WARNING)  # its advice to pre-process is for static quantisation of vision models
        try:
            quantize_dynamic(
                str(source), str(temp), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=list(op_types)
            )
        finally:
            logging.disable(logging.NOTSET)
        os.replace(temp, destination)


def ensure_onnx_file(settings: Settings, backend: str, announce: Callable[[str], None] | None = None) -> Path:
    """The ONNX file for `backend`: the one the model folder ships (checked against its SHA256SUMS),
    or else exported (and quantised) into the cache on first use."""
    if backend not in ONNX_BACKENDS:
        raise ValueError(f"not an ONNX backend: {backend}")
    _, folder = resolve_model(settings.embed_model)
    shipped = shipped_onnx(folder) if folder is not None else None
    if shipped is not None:
        if (folder / CHECKSUMS).is_file():
            try:
                verify_checksums(folder)
            except ShippedModelError as exc:
                raise ModelError(str(exc)) from None
        return shipped
    path = onnx_path(settings, backend)
    if path.is_file():
        return path
    with _export_lock:
        if path.is_file():
            return path
        _, folder = model_folder(settings)
        PipelineConfig(folder)  # refuse unsupported models before spending time on the export
        say = announce or (lambda message: print(message, file=sys.stderr))
        fp32 = onnx_path(settings, "onnx")
        try:
            if not fp32.is_file():
                say(f"Exporting the embedding model to ONNX (once) into {fp32.parent} ...")
                export_onnx(folder, fp32)
            if backend == "onnx-int8":
                say("Quantising the ONNX model to int8 (once) ...")
                quantize_int8(fp32, path)
        except ImportError as exc:
            raise ModelError(
                f"The embedding model has not been exported to ONNX yet ({fp32} is missing), and exporting it "
                f"needs torch, transformers and onnx, which this installation lacks ({exc}): run `make export` "
                "(a throwaway environment does it once), or `scripts/export_onnx.py` where requirements-export.txt "
                "is installed."
            ) from None
    return path


def session_options(threads: int | None = None) -> ort.SessionOptions:
    """How every model of the engine runs on onnxruntime."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or 0  # 0: onnxruntime's default, one per physical core
    options.log_severity_level = 3
    # Idle worker threads sleep instead of spinning: on a small machine shared with the bot's event
    # loop, other workers or a rebuild, spinning burns the CPU they need (measured: less CPU, not slower).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def padded(encodings: list) -> dict[str, np.ndarray]:
    """Token ids, attention mask and segment ids of `tokenizers` encodings, zero-padded to the longest."""
    width = max((len(e.ids) for e in encodings), default=1)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    types = np.zeros_like(ids)
    for row, encoding in enumerate(encodings):
        n = len(encoding.ids)
        ids[row, :n] = encoding.ids
        mask[row, :n] = encoding.attention_mask
        types[row, :n] = encoding.type_ids
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


class OnnxEncoder:
    """The configured sentence-transformers model run by onnxruntime (`onnx` or `onnx-int8`)."""

    def __init__(self, settings: Settings, threads: int | None = None) -> None:
        backend = settings.embed_backend
        if backend not in ONNX_BACKENDS:
            raise ModelError(f"OnnxEncoder runs EMBED_BACKEND onnx or onnx-int8, not {backend}.")
        name, folder = model_folder(settings)
        self._config = PipelineConfig(folder)
        path = ensure_onnx_file(settings, backend)
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=self._config.max_seq_length)
        self._tokenizer.no_padding()  # padded per batch below, to the longest text as sentence-transformers does
        try:
            self._session = ort.InferenceSession(str(path), session_options(threads), providers=["CPUExecutionProvider"])
        except Exception as exc:  # a truncated or foreign file in the cache
            raise ModelError(f"Could not load the ONNX model {path} ({exc}): delete it to export it again.") from exc
        self._inputs = [i.name for i in self._session.get_inputs()]
        self.identity = ModelIdentity(
            name, backend, self._config.dim, backend_fingerprint(model_fingerprint(folder, name), backend)
        )

    def encode(
        self, texts: Sequence[str], batch_size: int = 64, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Normalised float32 vectors in the order of `texts`; texts are batched by length so that
        little time goes into padding, which does not change any vector."""
        out = np.empty((len(texts), self._config.dim), dtype=np.float32)
        prepared = [str(t).strip() for t in texts]
        if self._config.do_lower_case:
            prepared = [t.lower() for t in prepared]
        encodings = self._tokenizer.encode_batch(prepared, add_special_tokens=True) if prepared else []
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        for lo in range(0, len(order), batch_size):
            rows = order[lo:lo + batch_size]
            out[rows] = self._embed([encodings[i] for i in rows])
            if on_batch is not None:
                on_batch(len(rows))
        return out

    def _embed(self, encodings: list) -> np.ndarray:
        feeds = padded(encodings)
        mask = feeds["attention_mask"]
        (tokens,) = self._session.run(None, {name: feeds[name] for name in self._inputs})
        if self._config.pooling == "cls":
            pooled = tokens[:, 0]
        else:
            weights = mask[:, :, None].astype(np.float32)
            pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
