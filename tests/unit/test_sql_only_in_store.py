"""Only the store speaks SQL. Which layer imports which is import-linter's job (the contracts in
pyproject.toml, run by `make lint`); a call to execute() outside store/ is what an import contract
cannot see."""

from __future__ import annotations

from helpers import REPO

SRC = REPO / "src" / "caio_tui"


def test_sql_only_in_store() -> None:
    """Only the store speaks SQL: no other layer runs execute()."""
    offences = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "store" not in path.parts and ".execute(" in path.read_text(encoding="utf-8")
    ]
    assert offences == []
