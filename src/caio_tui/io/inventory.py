"""A portfolio's way in and out: the OMB AI use case inventory both ways, and the entry points the CLI and
the TUI call for every import and export format.

OMB rows become pilots (io/inventory_pilot.py: stage per the domain's crosswalk, agency and bureau as
office, coverage statuses, blockers and the day each entered its stage derived by the portfolio's
inventory mapping (io/inventory_facts.py), each with its provenance and the file as its author, every
other column kept in pilot.extra so the next export can give it back, with the record of which cells the
inventory gave that start like a formula, under omb.AS_GIVEN_KEY: the export writes those as given and
neutralizes every other formula-like cell). Importing a file again updates the same pilots in place: the
inventory wins where it speaks, at its own granularity (a pilot the CAIO moved to readiness stays there
when the inventory still says "Pilot"), except over a status a person set: that one stands, and where the
inventory reads otherwise its reading is kept beside it (pilot.extra[REPORTED_KEY]) for the detail
screen. A blank cell never erases what the portfolio knows.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Literal

from caio_tui.domain.stages import DEFAULT_STALLED_DAYS
from caio_tui.domain.text import clip, printable
from caio_tui.io.briefing import build_briefing
from caio_tui.io.briefing_html import briefing_html
from caio_tui.io.briefing_markdown import briefing_markdown
from caio_tui.io.commercial import COTS_FORMAT, CotsError, CotsImport, cots_bytes, import_cots
from caio_tui.io.files import atomic_output
from caio_tui.io.inventory_layout import held_in, held_json, held_key, layout_json, layout_row, source_layout, with_row
from caio_tui.io.inventory_pilot import incoming_pilot, row_reader
from caio_tui.io.omb import (
    FormulaCells,
    ImportIssue,
    OmbFormat,
    OmbFormatError,
    OmbRecord,
    SourceLayout,
    read_inventory,
)
from caio_tui.io.omb.cots import looks_like_cots
from caio_tui.io.omb.layout import LAYOUT_2025, LayoutRow, write_layout
from caio_tui.io.omb.links import Ambiguous, PilotKey, link_records
from caio_tui.io.reports import write_pilots_csv
from caio_tui.io.snapshot import SnapshotError, import_snapshot_file, looks_like_snapshot, write_snapshot
from caio_tui.store import Portfolio
from caio_tui.store.inventory_rows import link_keys
from caio_tui.store.open_files import is_open_here
from caio_tui.store.settings import Agency, agency
from caio_tui.store.transfer import Progress, read_records, stream_pilots
from caio_tui.store.upsert import IncomingPilot, UpsertReport, upsert_pilots

# "omb": the inventory in the layout it was imported in (the last one imported; 2025 when none);
# "omb-2025": always OMB's 2025 columns; "omb-cots": the consolidated COTS file as imported.
EXPORT_FORMATS: tuple[str, ...] = ("snapshot", "csv", "markdown", "html", "omb", "omb-2025", COTS_FORMAT)
IMPORT_FORMATS: tuple[str, ...] = ("auto", "snapshot", *(f.value for f in OmbFormat), COTS_FORMAT)
# The file extension each export format is usually saved with (for a TUI's default file name).
EXPORT_SUFFIX: dict[str, str] = {
    "snapshot": ".json",
    "csv": ".csv",
    "markdown": ".md",
    "html": ".html",
    "omb": ".csv",
    "omb-2025": ".csv",
    COTS_FORMAT: ".csv",
}
# The year each format reports: a stage it gives is dated to the end of that year (or now, if sooner).
_YEAR: dict[OmbFormat, int] = {
    OmbFormat.Y2023: 2023,
    OmbFormat.Y2024: 2024,
    OmbFormat.Y2024_LONG: 2024,
    OmbFormat.Y2025: 2025,
}

# Which header names the stage column in each format (for the "blank stage" line).
_STAGE_COLUMN: dict[OmbFormat, str] = {
    OmbFormat.Y2023: "Development_Stage",
    OmbFormat.Y2024: "16_dev_stage",
    OmbFormat.Y2024_LONG: "Stage of Development",
    OmbFormat.Y2025: "development_stage",
}


class TransferError(Exception):
    """A file that cannot be imported or exported; one line naming the file and the reason."""


@dataclass(frozen=True)
class ImportResult:
    source: str
    kind: Literal["snapshot", "inventory", "cots"]
    format: str
    dry_run: bool
    pilots: int = 0  # pilots in the file
    report: UpsertReport | None = None  # inventory imports: what was added, updated, unchanged
    issues: list[str] = field(default_factory=list)  # "FILE:ROW: column: reason (value)"
    cots: CotsImport | None = None  # a consolidated COTS file's import
    linked: dict[str, str] = field(default_factory=dict)  # pilot id -> how a row was linked to it by name
    ambiguous: list[Ambiguous] = field(default_factory=list)  # rows held for a person to link, with candidates

    @property
    def summary(self) -> str:
        if self.cots is not None:
            return self.cots.summary
        would = "would be " if self.dry_run else ""
        if self.report is None:
            return f"{self.pilots} pilots {would}imported from the snapshot {self.source}"
        text = self.report.summary
        if self.linked:
            text += f"; {len(self.linked)} linked to an earlier year by name"
        if self.ambiguous:
            text += f"; {len(self.ambiguous)} held: several pilots match (link them in the app: Link years)"
        if self.dry_run:
            text += " (dry run: nothing was written)"
        return f"{self.source}: {self.format}: {text}" + (f"; {len(self.issues)} issue(s)" if self.issues else "")


# ---- export ----------------------------------------------------------------------------------------


def write_export(
    portfolio: Portfolio,
    fmt: str,
    out: BinaryIO,
    progress: Progress | None = None,
    formulas: FormulaCells | None = None,
) -> None:
    """Write the portfolio in one of EXPORT_FORMATS to a binary stream (a file, stdout). ``formulas`` counts
    the cells of an omb-2025 export that start like a formula: kept as the inventory gave them, or
    neutralized."""
    if fmt == "snapshot":
        write_snapshot(portfolio, out, progress=progress)
    elif fmt == "csv":
        write_pilots_csv(portfolio, out, progress)
    elif fmt in ("markdown", "html"):
        briefing = build_briefing(portfolio, progress=progress)
        out.write((briefing_markdown(briefing) if fmt == "markdown" else briefing_html(briefing)).encode("utf-8"))
    elif fmt in ("omb", "omb-2025"):
        chosen = agency(portfolio)  # the setting, else the inventory's own when its rows agree
        layout = source_layout(portfolio) if fmt == "omb" else None
        held = [(h["layout"], h["position"], h["cells"]) for h in held_in(portfolio).values()]
        with stream_pilots(portfolio) as stream:
            rows = (with_agency(layout_row(stored.rows), chosen) for stored in stream)
            out.write(write_layout(rows, layout or LAYOUT_2025, formulas=formulas, held=held))
    elif fmt == COTS_FORMAT:
        try:
            out.write(cots_bytes(portfolio))
        except CotsError as exc:
            raise TransferError(str(exc)) from None
    else:
        raise TransferError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")


def with_agency(row: LayoutRow, chosen: Agency) -> LayoutRow:
    """The row with the portfolio's agency: a setting a person made is every row's; the one the inventory's
    rows agree on fills only a row that names none (a pilot created in the app)."""
    extra = row.record.extra
    for key, value in (("agency", chosen.abbr), ("agency_name", chosen.name)):
        if value.value and (value.source == "setting" or not extra.get(key, "").strip()):
            extra[key] = value.value
    return row


def export_bytes(portfolio: Portfolio, fmt: str, progress: Progress | None = None) -> bytes:
    """The portfolio in one of EXPORT_FORMATS, as the bytes of the file."""
    buffer = io.BytesIO()
    write_export(portfolio, fmt, buffer, progress)
    return buffer.getvalue()


def export_to(
    portfolio: Portfolio,
    fmt: str,
    path: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    formulas: FormulaCells | None = None,
) -> int:
    """Write an export atomically (a temporary file in the same folder, then one rename); an existing file
    is replaced only with force. Returns the file's size. Raises TransferError or io.files.FileWriteError."""
    if fmt not in EXPORT_FORMATS:
        raise TransferError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")
    with atomic_output(path, force=force) as out:
        write_export(portfolio, fmt, out, progress, formulas)
        size = out.tell()
    return size


def export_file(
    db: Path,
    fmt: str,
    path: Path,
    *,
    actor: str,
    force: bool = False,
    stalled_days: int = DEFAULT_STALLED_DAYS,
    progress: Progress | None = None,
) -> int:
    """export_to on a connection of its own, for a worker thread: a long export then never holds the lock
    of the portfolio the screen reads from (the WAL lets both read at once)."""
    with Portfolio.open(db, actor=actor, stalled_days=stalled_days) as portfolio:
        return export_to(portfolio, fmt, path, force=force, progress=progress)


# ---- import ----------------------------------------------------------------------------------------


def read_source(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise TransferError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise TransferError(f"{path}: cannot read ({exc.strerror})") from None


def import_file(
    portfolio: Portfolio,
    path: Path,
    *,
    fmt: str = "auto",
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a snapshot (into an empty portfolio) or an OMB inventory CSV (added or updated in place).
    A file that cannot be read as a whole raises TransferError and writes nothing; row problems of an
    inventory are reported in ImportResult.issues and the rest of the file is imported."""
    if fmt not in IMPORT_FORMATS:
        raise TransferError(f"unknown import format {fmt!r}; expected one of {', '.join(IMPORT_FORMATS)}")
    if is_open_here(path):  # reading it outside SQLite would drop the locks this process holds on it
        raise TransferError(f"{path}: is a portfolio file in use, not a snapshot or an inventory")
    source = str(path)
    if fmt == "snapshot" or (fmt == "auto" and _starts_like_snapshot(path)):
        return _import_snapshot(portfolio, path, source, dry_run, progress)
    data = read_source(path)
    if fmt == COTS_FORMAT or (fmt == "auto" and looks_like_cots(data)):
        return _import_cots(portfolio, data, source, path.name, dry_run)
    try:
        result = read_inventory(data, source_name=source, fmt=None if fmt == "auto" else OmbFormat(fmt))
    except OmbFormatError as exc:
        raise TransferError(str(exc)) from None
    return import_inventory(
        portfolio,
        result.records,
        result.issues,
        result.format,
        source=source,
        event_source=path.name,
        dry_run=dry_run,
        progress=progress,
        headers=result.headers,
        layout=result.layout,
    )


def import_into(
    db: Path,
    path: Path,
    *,
    actor: str,
    fmt: str = "auto",
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """import_file on a connection of its own, for a worker thread (the screen's connection sees the
    result once it commits; Portfolio.data_version tells it when)."""
    with Portfolio.open(db, actor=actor) as portfolio:
        return import_file(portfolio, path, fmt=fmt, dry_run=dry_run, progress=progress)


def _import_cots(portfolio: Portfolio, data: bytes, source: str, event_source: str, dry_run: bool) -> ImportResult:
    try:
        found = import_cots(portfolio, data, source=source, event_source=event_source, dry_run=dry_run)
    except CotsError as exc:
        raise TransferError(str(exc)) from None
    return ImportResult(
        source=source, kind="cots", format=COTS_FORMAT, dry_run=dry_run, issues=found.issues, cots=found
    )


def _starts_like_snapshot(path: Path) -> bool:
    """A file whose text starts like a JSON object: a snapshot (or a broken one). Anything unreadable goes
    the inventory way, whose messages say why."""
    try:
        with path.open("rb") as stream:
            return looks_like_snapshot(stream.read(4096))
    except OSError:
        return False


def _import_snapshot(
    portfolio: Portfolio, path: Path, source: str, dry_run: bool, progress: Progress | None
) -> ImportResult:
    """Streamed from the file: flat memory however many pilots it holds (and the GIL is released between
    lines often enough for the TUI to keep drawing)."""
    if path.is_dir():
        raise TransferError(f"{path}: is a folder, not a file")
    try:
        count = import_snapshot_file(
            portfolio, path, source=source, event_source=path.name, dry_run=dry_run, progress=progress
        )
    except SnapshotError as exc:
        raise TransferError(str(exc)) from None
    return ImportResult(source=source, kind="snapshot", format="snapshot", dry_run=dry_run, pilots=count)


def import_inventory(
    portfolio: Portfolio,
    records: Sequence[OmbRecord],
    issues: Sequence[ImportIssue],
    fmt: OmbFormat,
    *,
    source: str,
    event_source: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    headers: dict[str, str] | None = None,
    layout: SourceLayout | None = None,
) -> ImportResult:
    catalog = portfolio.catalog()
    reader = row_reader(portfolio, fmt, event_source or source)
    links = link_records(records, [PilotKey(*k) for k in link_keys(portfolio)], layout.key if layout else "")
    # Each record under the id of the pilot it updates (its own id when it is new).
    records = [replace(r, id=links.pilot.get(r.source_row, r.id)) for r in records]
    current = {r.pilot.id: r for r in read_records(portfolio, [r.id for r in records])}
    stage_column = _STAGE_COLUMN[fmt]
    # What happens to a row without a readable stage: a new pilot starts at intake, a known one stays put.
    stage_fate = {
        rec.source_row: "imported as intake" if rec.id not in current else "stage kept"
        for rec in records
        if rec.stage is None
    }
    found_issues = [
        replace(i, reason=f"{i.reason}; {stage_fate[i.row]}") if i.column == stage_column and i.row in stage_fate else i
        for i in issues
    ]
    already = {(i.row, i.column) for i in issues}
    for row, fate in stage_fate.items():
        if (row, stage_column) not in already and fate == "imported as intake":
            found_issues.append(ImportIssue(row, stage_column, "", f"blank development stage; {fate}"))
    as_of = min(datetime(_YEAR[fmt], 12, 31, tzinfo=UTC), portfolio.clock())
    incoming: list[IncomingPilot] = []
    for rec in records:
        pilot, facts = incoming_pilot(
            rec, current.get(rec.id), catalog, fmt, event_source or source, reader, headers or {}, as_of=as_of
        )
        incoming.append(pilot)
        found_issues += facts.issues
    found_issues += reader.flag_issues()
    held: dict[str, str] = {}
    if layout is not None:
        incoming = [
            with_row(p, rec, current.get(rec.id), layout, n)
            for n, (p, rec) in enumerate(zip(incoming, records, strict=True))
        ]
        # An ambiguous row is held back, never guessed: kept (with its place in the file) for the CAIO to link.
        ambiguous = {a.row: a.candidates for a in links.ambiguous}
        for n, rec in enumerate(records):
            if rec.source_row in ambiguous:
                held[held_key(layout, n)] = held_json(rec, layout, n, ambiguous[rec.source_row], event_source or source)
        incoming = [p for p, rec in zip(incoming, records, strict=True) if rec.source_row not in ambiguous]
    lines = [issue_line(source, i) for i in sorted(found_issues, key=lambda i: i.row)]
    saved = (layout.key, layout_json(layout, portfolio.timestamp())) if layout is not None else None
    report = upsert_pilots(
        portfolio,
        incoming,
        source=event_source or source,
        dry_run=dry_run,
        progress=progress,
        layout=saved,
        held=held,
    )
    named = {r.source_row: r.id for r in records}
    return ImportResult(
        linked={named[row]: how for row, how in links.how.items() if how != "id"},
        ambiguous=links.ambiguous,
        source=source,
        kind="inventory",
        format=fmt.value,
        dry_run=dry_run,
        pilots=len(records),
        report=report,
        issues=lines,
    )


def issue_line(source: str, issue: ImportIssue) -> str:
    """FILE:ROW: column: reason (value), on one line whatever the value holds."""
    value = clip(printable(issue.value.strip()), 80) if issue.value.strip() else "blank"
    return f"{source}:{issue.row}: {printable(issue.column) or 'row'}: {issue.reason} ({value})"
