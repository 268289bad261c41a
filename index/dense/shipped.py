"""The embedding model this project trains and ships in the repository (`index/models/chat-minilm/`).

Why shipped: model weights cannot be downloaded at run time, and exporting the bundled MiniLM to ONNX
needs torch. The shipped folder holds the ONNX file ready to run, its tokenizer and configuration, how
it was trained (`training.json`, from `scripts/train_encoder.py`) and a SHA256SUMS file that is checked
when the model loads, so a damaged or swapped file is refused with the command that restores it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from index.errors import ShippedModelError  # noqa: F401 - raised here, part of the API

SHIPPED_MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "chat-minilm"
CHECKSUMS = "SHA256SUMS"
ONNX_FILE = Path("onnx") / "model.onnx"


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(folder: Path) -> None:
    """Write `SHA256SUMS` (sha256sum's format) over every file of `folder`."""
    lines = [
        f"{_digest(path)}  {path.relative_to(folder).as_posix()}"
        for path in sorted(folder.rglob("*")) if path.is_file() and path.name != CHECKSUMS
    ]
    (folder / CHECKSUMS).write_text("\n".join(lines) + "\n")


def verify_checksums(folder: Path) -> None:
    """Raise `ShippedModelError` naming the first file that is missing or differs from SHA256SUMS."""
    listing = folder / CHECKSUMS
    if not listing.is_file():
        raise ShippedModelError(f"{listing} is missing: restore {folder} with `git checkout -- {folder}`.")
    for line in listing.read_text().splitlines():
        if not line.strip():
            continue
        expected, name = line.split(maxsplit=1)
        path = folder / name.strip()
        if not path.is_file():
            raise ShippedModelError(f"The model file {path} is missing: restore it with `git checkout -- {folder}`.")
        if _digest(path) != expected:
            raise ShippedModelError(
                f"The model file {path} does not match its checksum in {listing}: restore it with "
                f"`git checkout -- {folder}`, or retrain with scripts/train_encoder.py --ship."
            )


def shipped_onnx(folder: Path) -> Path | None:
    """The ready-to-run ONNX file a model folder ships, if it has one."""
    path = folder / ONNX_FILE
    return path if path.is_file() else None
