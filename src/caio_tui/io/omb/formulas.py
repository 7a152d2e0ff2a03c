"""The rule for cells a spreadsheet would read as a formula (``FORMULA_START``), read side and write side.

The reader records in ``OmbRecord.given`` the text the inventory gave for each such cell (``given_cells``);
the writer writes a cell as given only while its text is still exactly that, and neutralizes any other
such cell with a leading ``'``, as the CSV export of pilots does (``guarded``; ``FormulaCells`` counts both).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from caio_tui.io.omb.records import COLUMNS_2025

# A cell starting with one of these is read by a spreadsheet as a formula (tab and CR: once it trims
# them). The same characters as the CSV export of pilots (io/reports.py), which a test holds equal.
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


# Columns whose cell the reader trims before keeping it in a record field (name, id, owner).
_TRIMMED = frozenset({"id", "use_case_name", "contact_email"})


def given_cells(cells: Mapping[str, str]) -> dict[str, str]:
    """The row's cells that start like a formula, as the record keeps them. A trimmed cell is given only
    with its trailing blanks removed: "\t=cmd" trimmed to "=cmd" is a formula the inventory did not give."""
    given: dict[str, str] = {}
    for column in COLUMNS_2025:
        raw = cells.get(column, "")
        if raw.startswith(FORMULA_START):
            given[column] = raw.rstrip() if column in _TRIMMED else raw
    return given


@dataclass
class FormulaCells:
    """What write_inventory_2025 did with the cells a spreadsheet would read as a formula."""

    kept: int = 0  # written as the imported inventory gave them
    neutralized: int = 0  # any other: written with a leading apostrophe
    first_kept: list[tuple[int, str]] = field(default_factory=list)  # (spreadsheet row, column), the first few

    SHOWN = 3

    def keep(self, row: int, column: str) -> None:
        self.kept += 1
        if len(self.first_kept) < self.SHOWN:
            self.first_kept.append((row, column))

    @property
    def summary(self) -> str:
        """One clause for the export's summary line."""
        kept = f"{self.kept} kept as the inventory gave them"
        if self.first_kept:
            named = ", ".join(f'row {row} "{column}"' for row, column in self.first_kept)
            more = f" and {self.kept - len(self.first_kept)} more" if self.kept > len(self.first_kept) else ""
            kept += f" ({named}{more})"
        return f"cells that start like a formula: {kept}, {self.neutralized} neutralized"


def guarded(text: str, given: str | None, row: int, column: str, found: FormulaCells) -> str:
    """The cell as written: as the inventory gave it (``given``), or neutralized if a spreadsheet would run it."""
    if not text.startswith(FORMULA_START):
        return text
    if given == text:
        found.keep(row, column)
        return text
    found.neutralized += 1
    return "'" + text
