"""Files shipped inside the package beside the code: SQL migrations and sample portfolios.

They live in the package (src/caio_tui/migrations, src/caio_tui/sample_portfolios), so a source checkout
and an installed wheel find them in the same place.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable


def resource_dir(name: str) -> Traversable:
    """The package's folder of that name (`migrations`, `sample_portfolios`)."""
    return files("caio_tui") / name


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
