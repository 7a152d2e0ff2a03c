"""The rows of a CSV export as records: each row a dict from the header's compared form to its cell.

Headers are compared without case, spaces or punctuation (`recognize.column`), so "Application ID ",
"ApplicationId" and "application_id" are one column. A dotted header ("actor.alternateId", the System
Log's flattened LogEvent) also keeps its original path under the key `.paths` for readers that rebuild
the nested object.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from caio_tui.io.idp.fields import Record, RecordError
from caio_tui.io.idp.jsonstream import Located


def rows(header: list[str], columns: list[str], reader: Iterator[list[str]]) -> Iterator[Located]:
    width = len(columns)
    for number, cells in enumerate(_guarded(reader), 2):
        if isinstance(cells, csv.Error):
            yield f"row {number}", RecordError(f"not CSV ({cells})")
            continue
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue  # blank line (an export's trailing newline)
        where = f"row {number}"
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            yield where, RecordError(f"{len(cells)} cells under a header of {width}")
            continue
        record: Record = {}
        for name, cell in zip(columns, cells, strict=False):
            if name and cell and name not in record:  # a repeated header: the first column counts
                record[name] = cell
        yield where, record


def _guarded(reader: Iterator[list[str]]) -> Iterator[list[str] | csv.Error]:
    """The rows, with a row the csv module refuses (a NUL byte, a runaway quote) in its place as an error."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield error
