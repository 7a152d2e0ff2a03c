"""The architecture's import contract: each layer imports only the layers below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "caio_tui"

FORBIDDEN = {
    "domain": (
        "sqlite3",
        "sqlite_utils",
        "textual",
        "rich",
        "click",
        "platformdirs",
        "caio_tui.store",
        "caio_tui.io",
        "caio_tui.tui",
        "caio_tui.cli",
        "caio_tui.config",
    ),
    "store": ("textual", "rich", "click", "caio_tui.io", "caio_tui.tui", "caio_tui.cli"),
    "io": ("textual", "caio_tui.tui", "caio_tui.cli"),
    "tui": ("sqlite3", "sqlite_utils", "caio_tui.cli"),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_layers_below(layer: str) -> None:
    offences = []
    for path in sorted((SRC / layer).rglob("*.py")):
        for module in imported_modules(path):
            if any(module == bad or module.startswith(bad + ".") for bad in FORBIDDEN[layer]):
                offences.append(f"{path.relative_to(SRC)} imports {module}")
    assert offences == []


def test_sql_only_in_store() -> None:
    """Only the store speaks SQL: no other layer runs execute()."""
    offences = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "store" not in path.parts and ".execute(" in path.read_text(encoding="utf-8")
    ]
    assert offences == []
