"""Reading one identity export: `read_export(path, keyer)` recognizes the file's kind and reads it.

The entry point the CLI and the app call. The file streams: records are read one at a time and handed to
the kind's reader (`io/idp/okta_*.py`, `io/idp/entra_*.py`), which keeps facts, not records. A record that
cannot be read is skipped and reported where it is (`RecordProblem`); a file that is no export this tool
knows raises `IdpFormatError` with one line saying what it looked like and what was expected.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from caio_tui.domain.identity import ExportKind, IdpExport, PersonKeyer, RecordProblem
from caio_tui.io.idp import csvrows, entra_graph, entra_sign_ins, okta_api, okta_csv, okta_log
from caio_tui.io.idp.fields import RecordError
from caio_tui.io.idp.jsonstream import BrokenJson, Located, json_records
from caio_tui.io.idp.kind import KindReader, KindReaderFactory
from caio_tui.io.idp.recognize import EXPECTED, binary_shape, column, csv_kind, json_kind
from caio_tui.io.idp.source import Opened, open_export

PROGRESS_EVERY = 10_000
LOOK_AHEAD = 20  # records looked at to recognize a file whose first records are broken
MOST_PROBLEMS = 1_000  # told one by one; past this, counted in one last line

# Each kind's reader of JSON records; a kind absent here has no JSON form.
JSON_READERS: dict[ExportKind, KindReaderFactory] = {
    ExportKind.OKTA_SYSTEM_LOG: okta_log.OktaLogReader,
    ExportKind.OKTA_APPS: okta_api.OktaAppsReader,
    ExportKind.OKTA_APP_USERS: okta_api.OktaAppUsersReader,
    ExportKind.OKTA_USERS: okta_api.OktaUsersReader,
    ExportKind.OKTA_API_TOKENS: okta_api.OktaApiTokensReader,
    ExportKind.ENTRA_SERVICE_PRINCIPALS: entra_graph.EntraServicePrincipalsReader,
    ExportKind.ENTRA_APP_ROLE_ASSIGNMENTS: entra_graph.EntraAssignmentsReader,
    ExportKind.ENTRA_USERS: entra_graph.EntraUsersReader,
    ExportKind.ENTRA_SIGN_INS: entra_sign_ins.EntraSignInsReader,
}
# Each kind's reader of CSV rows (header -> cell, through `csvrows`).
CSV_READERS: dict[ExportKind, KindReaderFactory] = {
    ExportKind.OKTA_ASSIGNMENTS: okta_csv.OktaAssignmentsReader,
    ExportKind.OKTA_SYSTEM_LOG: okta_csv.OktaLogCsvReader,
    ExportKind.ENTRA_SIGN_INS: entra_sign_ins.EntraSignInsCsvReader,
}


class IdpFormatError(ValueError):
    """A file of a shape this tool does not read. The message is the one line to show."""


def read_export(
    path: Path,
    keyer: PersonKeyer,
    kind: ExportKind | None = None,
    progress: Callable[[int], None] | None = None,
) -> IdpExport:
    """Everything the file at `path` says, ready for the store."""
    with open_export(path) as opened:
        binary = binary_shape(opened.head)
        if binary is not None:
            raise IdpFormatError(f"{path.name}: {binary}; expected {EXPECTED}")
        if not opened.first:
            raise IdpFormatError(f"{path.name}: the file is empty; expected {EXPECTED}")
        if opened.is_json:
            export = _read_json(path.name, opened, keyer, kind, progress)
        else:
            export = _read_csv(path.name, opened, keyer, kind, progress)
        export.digest = opened.digest()
    return export


def _read_json(
    name: str, opened: Opened, keyer: PersonKeyer, kind: ExportKind | None, progress: Callable[[int], None] | None
) -> IdpExport:
    records = json_records(opened.text)
    ahead = list(itertools.islice(records, LOOK_AHEAD))
    found = kind or _recognize_json(name, ahead)
    factory = JSON_READERS.get(found)
    if factory is None:
        raise IdpFormatError(f"{name}: a JSON file read as {found}, which is a CSV export")
    export = IdpExport(kind=found, file_name=name, digest="")
    _feed(factory(keyer, name), itertools.chain(ahead, records), export, progress)
    return export


def _recognize_json(name: str, ahead: list[Located]) -> ExportKind:
    shapes: list[str] = []
    for _, record in ahead:
        if isinstance(record, dict):
            found = json_kind(record)
            if found is not None:
                return found
            shapes.append("records with fields " + ", ".join(sorted(record)[:6]))
        elif isinstance(record, BrokenJson):
            raise IdpFormatError(f"{name}: {record}; expected JSON of {EXPECTED}")
    if not ahead:
        raise IdpFormatError(f"{name}: JSON with no records; expected {EXPECTED}")
    looked = shapes[0] if shapes else "JSON values that are not objects"
    raise IdpFormatError(f"{name}: {looked}; expected {EXPECTED}")


def _read_csv(
    name: str, opened: Opened, keyer: PersonKeyer, kind: ExportKind | None, progress: Callable[[int], None] | None
) -> IdpExport:
    reader = csv.reader(opened.text)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise IdpFormatError(f"{name}: not readable as CSV ({error}); expected {EXPECTED}") from None
    if not header:
        raise IdpFormatError(f"{name}: no header row; expected {EXPECTED}")
    found = kind or csv_kind(header)
    if found is None:
        shown = ", ".join(h.strip() for h in header[:6])
        raise IdpFormatError(f"{name}: a CSV file with columns {shown}; expected {EXPECTED}")
    factory = CSV_READERS.get(found)
    if factory is None:
        raise IdpFormatError(f"{name}: a CSV file read as {found}, which has no CSV form; expected JSON")
    export = IdpExport(kind=found, file_name=name, digest="")
    columns = [column(h) for h in header]
    _feed(factory(keyer, name), csvrows.rows(header, columns, reader), export, progress)
    return export


def _feed(
    reader: KindReader, records: Iterator[Located], export: IdpExport, progress: Callable[[int], None] | None
) -> None:
    problems = export.problems
    skipped = 0
    count = 0
    add = reader.add
    for where, record in records:
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
        if type(record) is dict:  # the hot path: a million records come this way
            try:
                add(record)
                continue
            except (RecordError, ValueError, TypeError, AttributeError) as error:
                message = str(error) or type(error).__name__
        elif isinstance(record, RecordError):
            message = str(record)
        else:
            message = f"a JSON {type(record).__name__}, not an object"
        skipped += 1
        if len(problems) < MOST_PROBLEMS:
            problems.append(RecordProblem(where, message))
    if skipped > MOST_PROBLEMS:
        problems.append(RecordProblem("", f"and {skipped - MOST_PROBLEMS:,} more records skipped"))
    export.records = count
    reader.finish(export)
    if export.as_of is None:
        export.as_of = newest_date(export)
    if progress is not None:
        progress(count)


def newest_date(export: IdpExport) -> date | None:
    """When a file that does not say when it was taken was taken, at the earliest: its newest date."""
    dates = [
        *(t.last for t in export.sign_ins),
        *(p.last_sign_in for p in export.people),
        *(d for a in export.assignments for d in (a.assigned_on, a.unassigned_on, a.last_login)),
        *(c.created for c in export.credentials),
    ]
    return max((d for d in dates if d is not None), default=None)
