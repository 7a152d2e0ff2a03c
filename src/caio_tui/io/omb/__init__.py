"""Read and write OMB federal AI use case inventory CSV files: the package's public names.

Self-contained (stdlib only, no other caio_tui module): the store wires it in.

Formats read (detected from the header row, ``formats.py``):

* ``omb-2023``: ``Use_Case_ID, Department_Code, Agency, Office, Title, ...``; stage is free text.
* ``omb-2024``: the first 2024 release, short numbered headers (``2_use_case_name``, ``16_dev_stage``,
  ``40_has_ato``, ...), utf-8-sig; it has **no** use-case id column.
* ``omb-2024-long``: the 2024 v2 release, the same 62 columns with the full question text as headers,
  cp1252; no id column either.
* ``omb-2025``: the M-25-21 format, 36 short column names (``COLUMNS_2025``).

Written back in the layout a file came in (``layout.py``: its header, column order, row order, encoding and
line ending, each cell as given while what it says is unchanged), or as ``omb-2025``.

One job per module:

* ``records.py``: the shapes (``OmbRecord``, ``OmbReadResult``, ``ImportIssue``...) and column/item names.
* ``formats.py``: recognising a file from its header and keying its columns.
* ``answers.py``: what each inventory answer means for a pilot, both ways.
* ``reader.py``: a file's bytes -> records and issues (``read_inventory``).
* ``writer.py``: records -> the 2025 CSV (``write_inventory_2025``).
* ``layout.py``: pilots -> an inventory in the layout it came in (or the 2025 one), row by row.
* ``links.py``: which pilot a later year's row is the same use case as (id, else agency and name).
* ``formulas.py``: the rule for cells a spreadsheet would read as a formula, on both sides.
"""

from __future__ import annotations

from caio_tui.io.omb.answers import stage_2025
from caio_tui.io.omb.formats import detect_format
from caio_tui.io.omb.formulas import FORMULA_START, FormulaCells
from caio_tui.io.omb.reader import read_inventory
from caio_tui.io.omb.records import (
    AS_GIVEN_KEY,
    ATO_BOUNDARY,
    ATO_GRANTED,
    ATO_ITEMS,
    ATO_PACKAGE,
    COLUMNS_2025,
    COVERAGE_STATUSES,
    HI_COLUMN_ITEMS,
    ImportIssue,
    OmbFormat,
    OmbFormatError,
    OmbReadResult,
    OmbRecord,
    SourceLayout,
)
from caio_tui.io.omb.writer import write_inventory_2025

__all__ = [
    "AS_GIVEN_KEY",
    "ATO_BOUNDARY",
    "ATO_GRANTED",
    "ATO_ITEMS",
    "ATO_PACKAGE",
    "COLUMNS_2025",
    "COVERAGE_STATUSES",
    "FORMULA_START",
    "HI_COLUMN_ITEMS",
    "FormulaCells",
    "ImportIssue",
    "OmbFormat",
    "OmbFormatError",
    "OmbReadResult",
    "OmbRecord",
    "SourceLayout",
    "detect_format",
    "read_inventory",
    "stage_2025",
    "write_inventory_2025",
]
