"""Export the embedding model to ONNX (and int8) ahead of time, so no answering process needs torch.

    python scripts/export_onnx.py [--backend onnx|onnx-int8|both] [--cache DIR] [--force] [--check]

The files go where `EMBED_BACKEND=onnx` / `onnx-int8` look for them (`CACHE_DIR/onnx/`, named by the
model's fingerprint); the engine would otherwise export them itself on first use. Run it on a machine
with the full requirements (torch, transformers, onnx), e.g. while building a deployment image.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Export EMBED_MODEL to ONNX for the onnx / onnx-int8 backends.")
    parser.add_argument("--backend", choices=["onnx", "onnx-int8", "both"], default="both")
    parser.add_argument("--cache", type=Path, metavar="DIR", help="cache directory (default: CACHE_DIR)")
    parser.add_argument("--force", action="store_true", help="export again even if the files exist")
    parser.add_argument("--check", action="store_true", help="export nothing; exit 0 if the files exist, else 1")
    args = parser.parse_args(argv)

    from index import settings_from_env
    from index.dense.onnx_encoder import ensure_onnx_file, onnx_path

    settings = settings_from_env()
    if args.cache is not None:
        settings = dataclasses.replace(settings, cache_dir=args.cache.resolve())
    backends = ["onnx", "onnx-int8"] if args.backend == "both" else [args.backend]
    if args.check:
        return 0 if all(onnx_path(settings, backend).is_file() for backend in backends) else 1
    if args.force:
        for backend in {"onnx", *backends}:
            path = onnx_path(settings, backend)
            if path.is_relative_to(settings.cache_dir):  # never a file the model folder ships
                path.unlink(missing_ok=True)
    for backend in backends:
        started = time.perf_counter()
        path = ensure_onnx_file(settings, backend, announce=print)
        print(f"{backend}: {path} ({path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
