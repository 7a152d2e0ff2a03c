"""Files shipped beside the code: SQL migrations and sample portfolios.

In a wheel they live inside the package (force-included by hatchling); in a source checkout they sit at
the top of the repository, so both places are looked up, the package first.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2]


def resource_dir(name: str) -> Traversable:
    packaged = files("caio_tui") / name
    if packaged.is_dir():
        return packaged
    return _CHECKOUT / name


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration, in order."""
    found = []
    for entry in resource_dir("migrations").iterdir():
        stem, _, ext = entry.name.partition(".")
        number, _, label = stem.partition("_")
        if ext == "sql" and number.isdigit():
            found.append((int(number), label, entry.read_text(encoding="utf-8")))
    return sorted(found)


def sample_files() -> dict[str, Traversable]:
    """Sample portfolios by name (the file name without .toml)."""
    return {
        entry.name.removesuffix(".toml"): entry
        for entry in resource_dir("sample_portfolios").iterdir()
        if entry.name.endswith(".toml")
    }
