"""The folders show the flow, and the imports keep to it.

Read from the source with `ast` (every import, lazy and TYPE_CHECKING ones included): each module of
`index/` imports only its own package and the layers below it, the front-ends (`bot/`) import only the
engine's public API (`index` itself), and the engine never imports a front-end or discord.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from index.config import PROJECT_ROOT

LAYERS: tuple[tuple[str, ...], ...] = (
    ("index.config", "index.rules", "index.answer", "index.errors", "index.redact"),
    ("index.lexical",),
    ("index.documents",),
    ("index.dense",),
    ("index.storage",),
    ("index.answering",),
    ("index", "index.engine"),
    ("index.evaluation",),
)
"""Bottom to top. A name stands for the module and, for a package, everything under it."""

SUBPACKAGES = ("documents", "storage", "dense", "lexical", "answering", "evaluation")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_package(name: str) -> bool:
    return (PROJECT_ROOT / Path(*name.split(".")) / "__init__.py").is_file()


def imported_modules(source: str, name: str, package: bool) -> list[tuple[int, str]]:
    """(line, module) for every import in `source`, relative ones resolved; `from pkg import sub` gives
    `pkg.sub` when `sub` is a module of its own."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                is_module = is_package(sub) or (PROJECT_ROOT / Path(*sub.split("."))).with_suffix(".py").is_file()
                found.append((node.lineno, sub if is_module else base))
    return found


def layer_of(module: str) -> tuple[int, str]:
    """(rank, the layer entry it belongs to); the longest matching entry decides, and "index" stands for
    the package's own `__init__` only."""
    matches = [(rank, entry) for rank, entries in enumerate(LAYERS) for entry in entries
               if module == entry or (entry != "index" and module.startswith(entry + "."))]
    if not matches:
        raise AssertionError(f"{module} is in no layer of tests/test_layout.py: add it to LAYERS")
    return max(matches, key=lambda match: len(match[1]))


def violations(module: str, imports: list[tuple[int, str]]) -> list[str]:
    """Imports of `module` that go up a layer (or reach a front-end)."""
    rank, _ = layer_of(module)
    found = []
    for line, target in imports:
        if target.split(".")[0] in ("bot", "discord"):
            found.append(f"{module}:{line} imports {target}: the engine never imports a front-end")
            continue
        if target != "index" and not target.startswith("index."):
            continue
        target_rank, target_entry = layer_of(target)
        if target_rank > rank:
            found.append(f"{module}:{line} imports {target}, a layer above it ({target_entry})")
    return found


def front_end_violations(module: str, imports: list[tuple[int, str]]) -> list[str]:
    """Imports of anything under `index` but its public names (`index.__all__`: `from index import
    redact` is the function the API exports, not the module of that name)."""
    import index

    return [f"{module}:{line} imports {target}: front-ends use only `index`, the engine's public API"
            for line, target in imports
            if target.startswith("index.") and target.removeprefix("index.") not in index.__all__]


def sources(folder: str) -> list[Path]:
    return sorted((PROJECT_ROOT / folder).rglob("*.py"))


def test_every_engine_module_imports_only_layers_below_it() -> None:
    problems = []
    for path in sources("index"):
        name = module_name(path)
        problems += violations(name, imported_modules(path.read_text(encoding="utf-8"), name, path.name == "__init__.py"))
    assert not problems, "\n".join(problems)


def test_front_ends_import_only_the_public_api() -> None:
    problems = []
    for path in sources("bot"):
        name = module_name(path)
        problems += front_end_violations(name, imported_modules(path.read_text(encoding="utf-8"), name, path.name == "__init__.py"))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_each_layer_says_what_it_owns(package: str) -> None:
    init = PROJECT_ROOT / "index" / package / "__init__.py"
    docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    assert docstring and "import" in docstring, f"{init} needs a docstring saying what it owns and may import"


@pytest.mark.parametrize(("module", "source", "expected"), [
    ("index.storage.builder", "from index.answering.spelling import Speller", "a layer above it"),
    ("index.documents.units", "def f():\n    from index.storage.store import IndexFolder", "a layer above it"),
    ("index.dense.model", "from ..storage import loaded", "a layer above it"),
    ("index.documents.corpus", "import index.engine", "a layer above it"),
    ("index.answering.search", "import discord", "never imports a front-end"),
    ("index.storage.store", "from index.documents.units import UNIT_DTYPE", None),
    ("index.engine", "from index.answering.search import Searcher", None),
])
def test_the_checker_catches_an_upward_import(module: str, source: str, expected: str | None) -> None:
    package = module.split(".")[-1] in SUBPACKAGES
    found = violations(module, imported_modules(source, module, package))
    if expected is None:
        assert not found
    else:
        assert found and expected in found[0]


def test_the_checker_catches_a_front_end_reaching_below_the_api() -> None:
    assert front_end_violations("bot.terminal.cli", imported_modules("from index.storage.store import RebuildBusy", "bot.terminal.cli", False))
    assert not front_end_violations("bot.terminal.cli", imported_modules("from index import RebuildBusy", "bot.terminal.cli", False))


def test_every_error_a_front_end_meets_is_one_class() -> None:
    import index
    from index.errors import EngineError

    errors = [getattr(index, name) for name in index.__all__ if name.endswith(("Error", "Problem", "Busy", "ReadOnly", "Empty",
                                                                               "Refused", "Unavailable", "Unreachable",
                                                                               "Stale", "Missing", "Corrupt", "Incompatible"))]
    assert len(errors) >= 15 and all(issubclass(e, EngineError) for e in errors)
