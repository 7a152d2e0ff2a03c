"""Small OMB inventory files written for a test: the rows given, every other cell blank."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from caio_tui.io.omb.records import COLUMNS_2025
from helpers import DATA

SHORT_2024 = DATA / "omb" / "inventory_2024_short.csv"


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))  # as OMB publishes them: a BOM, CRLF
    return path


def write_2025(path: Path, rows: list[dict[str, str]]) -> Path:
    """An OMB 2025 (M-25-21) inventory with these rows, by 2025 column name."""
    return _write(path, list(COLUMNS_2025), rows)


def write_2024(path: Path, rows: list[dict[str, str]]) -> Path:
    """An OMB 2024 inventory (the short numbered headers) with these rows, by 2024 column name."""
    header = next(csv.reader(io.StringIO(SHORT_2024.read_text(encoding="utf-8-sig"))))
    return _write(path, header, rows)
