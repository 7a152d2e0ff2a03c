"""An inventory import: pilots added, or updated in place, in one transaction with one audit event that
names the source file; the import lands whole or not at all. A status or blocker the file derives carries
the file as its author (DERIVED_PREFIX); a status a person set is never replaced by one."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from caio_tui.domain.blockers import Blocker
from caio_tui.domain.coverage import Catalog, Coverage, CoverageStatus
from caio_tui.domain.gates import GateRules, evaluate
from caio_tui.domain.inventory_mapping import REPORTED_KEY
from caio_tui.domain.pilots import EDITABLE_FIELDS, Pilot, PilotRecord, StageMove
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory
from caio_tui.store import bulk, rows, undo_steps, writes
from caio_tui.store.errors import StoreError
from caio_tui.store.insert_rows import flat_rows, rows_of
from caio_tui.store.inventory_rows import keep_held, save_layout
from caio_tui.store.portfolio import Portfolio
from caio_tui.store.queries import STAGE_POSITION
from caio_tui.store.replace import BATCH, Batcher, chunks
from caio_tui.store.transfer import Progress, categories_of, read_records

# The author of a status or blocker derived from a file ("inventory:FILE"), not set by a person.
DERIVED_PREFIX = "inventory:"


@dataclass(frozen=True)
class IncomingPilot:
    """What an import says a pilot is. For a pilot that exists already, every field given here is what it
    should become (the caller keeps the current value where the source says nothing); coverage lists only
    the items the source speaks about."""

    id: str
    name: str
    office: str = ""
    owner: str = ""
    high_impact: bool = False
    description: str = ""
    stage: Stage = Stage.INTAKE
    extra: dict[str, Any] = field(default_factory=dict)
    coverage: dict[str, Coverage] = field(default_factory=dict)
    # Derived from the source: blockers to open, (tag, note), each only on a pilot that never had one of its
    # tag (so a blocker a person resolved is not opened again); who derived them; when the pilot entered
    # the stage it stands at, where the source says.
    blockers: tuple[tuple[str, str], ...] = ()
    derived_by: str = ""
    entered_at: datetime | None = None
    # When the source says the pilot stood at `stage` (an inventory's year): a new pilot's first stage and a
    # stage move the import records are dated then, not at the time of the import.
    as_of: datetime | None = None


@dataclass(frozen=True)
class PilotChange:
    id: str
    name: str
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpsertReport:
    source: str
    dry_run: bool
    added: tuple[PilotChange, ...] = ()
    updated: tuple[PilotChange, ...] = ()
    unchanged: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        return f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged"


@dataclass
class _Update:
    incoming: IncomingPilot
    current: PilotRecord
    fields: dict[str, Any]
    coverage: list[Coverage]
    move: tuple[Stage, str, tuple[str, ...]] | None  # target, override justification, failed rules
    changes: list[str]
    blockers: list[tuple[str, str]] = field(default_factory=list)  # (tag, note) to open
    entered: datetime | None = None  # the new date its unmoved stage was entered on


def upsert_pilots(
    portfolio: Portfolio,
    incoming: Sequence[IncomingPilot],
    *,
    source: str,
    dry_run: bool = False,
    progress: Progress | None = None,
    layout: tuple[str, str] | None = None,
    held: Mapping[str, str] | None = None,
    resolved: Sequence[str] = (),
) -> UpsertReport:
    """Add the pilots that are new, update the ones that exist in place (never a duplicate), and report
    what changed per pilot. A forward stage change the gate would refuse is recorded as an override whose
    justification names the source. dry_run reports the same and writes nothing. ``layout`` (key, JSON)
    is the source file's layout, kept (once per key) in the same transaction when the import changes
    anything: what an export in the source layout writes back. ``held`` (key -> JSON) are rows the import
    holds back for a person to link (ambiguous matches), kept with the settings; ``resolved`` are held rows
    this write settles (removed in the same transaction)."""
    repeated = sorted(i for i, n in Counter(p.id for p in incoming).items() if n > 1)
    if repeated:
        raise StoreError(f"{source}: pilot id(s) repeat in the import: {', '.join(repeated[:5])}; nothing was imported")
    if dry_run:
        return _plan(portfolio, incoming, source, dry_run=True, progress=progress)[0]
    with portfolio.session.transaction():
        report, added, updates = _plan(portfolio, incoming, source, dry_run=False, progress=progress)
        portfolio.seal.check_pilots([p.id for p in incoming])  # in a few statements, not a trigger call each
        was, became = _apply(portfolio, added, updates)
        kept = keep_held(portfolio, held or {}, resolved)
        if report.added or report.updated or kept:
            if layout is not None:
                save_layout(portfolio, *layout)
            # Before: the old value of every field, inventory column, coverage item and stage the import
            # changed, per pilot (not the pilots or fields it left alone): what undo puts back, and what
            # the trail says the import replaced. After: the change lines and the new values.
            portfolio.append_event(
                "import",
                None,
                {"updated": was, **({"held": kept} if kept else {})},
                {
                    "summary": f"imported from {source}: {report.summary}",
                    "added": [c.id for c in report.added],
                    "updated": {c.id: list(c.changes) for c in report.updated},
                    "unchanged": len(report.unchanged),
                    "values": became,
                    **({"held": list(kept)} if kept else {}),
                },
                source=source,
            )
    return report


def _plan(
    portfolio: Portfolio,
    incoming: Sequence[IncomingPilot],
    source: str,
    *,
    dry_run: bool,
    progress: Progress | None,
) -> tuple[UpsertReport, list[PilotRecord], list[_Update]]:
    catalog, rules = portfolio.catalog(), portfolio.rules()
    categories = categories_of(portfolio)
    known_items = {i.id for i in catalog.items()}  # a set: an import checks tens of thousands of items
    current = {r.pilot.id: r for r in read_records(portfolio, [p.id for p in incoming])}
    now = portfolio.clock()
    added: list[PilotRecord] = []
    updates: list[_Update] = []
    unchanged: list[str] = []
    for index, wanted in enumerate(incoming, start=1):
        for item in wanted.coverage:
            if item not in known_items:
                raise StoreError(f"{source}: {wanted.id}: unknown requirement item {item!r}; nothing was imported")
        for tag, _ in wanted.blockers:
            if tag not in categories:
                raise StoreError(f"{source}: {wanted.id}: unknown blocker tag {tag!r}; nothing was imported")
        record = current.get(wanted.id)
        if record is None:
            added.append(_new_record(wanted, now, portfolio.actor, categories))
        else:
            update = _compare(record, wanted, rules, catalog, source)
            if update.changes:
                updates.append(update)
            else:
                unchanged.append(wanted.id)
        if progress and (index % 200 == 0 or index == len(incoming)):
            progress(index, len(incoming))
    report = UpsertReport(
        source=source,
        dry_run=dry_run,
        added=tuple(PilotChange(r.pilot.id, r.pilot.name, (f"stage {r.pilot.stage.value}",)) for r in added),
        updated=tuple(PilotChange(u.incoming.id, u.incoming.name, tuple(u.changes)) for u in updates),
        unchanged=tuple(unchanged),
    )
    return report, added, updates


def _new_record(
    wanted: IncomingPilot, now: datetime, actor: str, categories: Mapping[str, BlockerCategory]
) -> PilotRecord:
    """A new pilot as the source gives it: a derived status keeps its author (the file); the pilot is dated
    when the source says it stood at its stage (`as_of`, an inventory's year), and enters the stage on the
    source's own date for it where it gives one in the past."""
    dated = min(wanted.as_of or now, now)
    entered = wanted.entered_at if wanted.entered_at and wanted.entered_at < now else dated
    now = dated
    pilot = Pilot(
        id=wanted.id,
        name=wanted.name,
        office=wanted.office,
        owner=wanted.owner,
        stage=wanted.stage,
        high_impact=wanted.high_impact,
        description=wanted.description,
        extra=wanted.extra,
        created_at=now,
        stage_entered_at=entered,
    )
    coverage = {
        item: cov.model_copy(update={"updated_at": now, "updated_by": cov.updated_by or actor})
        for item, cov in wanted.coverage.items()
    }
    blockers = tuple(
        Blocker(
            id=index,
            pilot_id=wanted.id,
            tag=tag,
            category=categories[tag],
            note=note,
            opened_at=now,
            opened_by=wanted.derived_by or actor,
        )
        for index, (tag, note) in enumerate(dict(wanted.blockers).items(), start=1)
    )
    move = StageMove(pilot_id=wanted.id, from_stage=None, to_stage=wanted.stage, moved_at=entered, actor=actor)
    return PilotRecord(pilot=pilot, coverage=coverage, blockers=blockers, stage_history=(move,))


def _field_change(name: str, old: Any, new: Any) -> str:
    if isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > 60:
        return f"{name}: changed ({len(old)} → {len(new)} characters)"
    shown = [repr(v) if isinstance(v, str) else str(v).lower() for v in (old, new)]
    return f"{name}: {shown[0]} → {shown[1]}"


def _compare(record: PilotRecord, wanted: IncomingPilot, rules: GateRules, catalog: Catalog, source: str) -> _Update:
    pilot = record.pilot
    changes: list[str] = []
    fields: dict[str, Any] = {}
    for name in EDITABLE_FIELDS:
        old, new = getattr(pilot, name), getattr(wanted, name)
        if old != new:
            fields[name] = new
            changes.append(_field_change(name, old, new))
    if wanted.extra != pilot.extra:
        fields["extra"] = wanted.extra
        keys = sorted(k for k in set(wanted.extra) | set(pilot.extra) if wanted.extra.get(k) != pilot.extra.get(k))
        keys = [k for k in keys if k not in _INTERNAL_EXTRA]  # records kept for the export, not columns
        shown = ", ".join(keys[:4]) + (f" and {len(keys) - 4} more" if len(keys) > 4 else "")
        if keys:
            changes.append(f"inventory columns changed: {shown}")
    new_coverage: list[Coverage] = []
    for item, cov in wanted.coverage.items():
        old_cov = record.coverage.get(item)
        old_status = old_cov.status if old_cov else CoverageStatus.NOT_ASSESSED
        if old_status != cov.status and not _set_by_a_person(old_cov, cov):
            new_coverage.append(cov)
            changes.append(f"{item}: {old_status.value} → {cov.status.value}")
    had = {b.tag for b in record.blockers}  # open or resolved: never reopened, never duplicated
    new_blockers = [(tag, note) for tag, note in dict(wanted.blockers).items() if tag not in had]
    changes += [f"blocker opened: {tag}" for tag, _ in new_blockers]
    entered = _entered(record, wanted)
    if entered is not None:
        changes.append(f"entered {pilot.stage.value} on {entered.date().isoformat()} (per {source})")
    move: tuple[Stage, str, tuple[str, ...]] | None = None
    if wanted.stage is not pilot.stage:
        after = record.model_copy(
            update={
                "pilot": pilot.model_copy(update={k: v for k, v in fields.items() if k != "extra"}),
                "coverage": {**record.coverage, **{c.item: c for c in new_coverage}},
            }
        )
        result = evaluate(after, wanted.stage, rules, catalog)
        if result.passed:
            move = (wanted.stage, "", ())
            changes.append(f"stage: {pilot.stage.value} → {wanted.stage.value}")
        else:
            failed = tuple(f"{f.rule}: {f.reason}" for f in result.failures)
            move = (wanted.stage, f"reported as {wanted.stage.value} by the inventory {source}", failed)
            changes.append(
                f"stage: {pilot.stage.value} → {wanted.stage.value} (gate overridden: {len(failed)} rule(s))"
            )
    if "extra" in fields and not changes:  # only the kept inventory row changed (its text, its position)
        changes.append("inventory row as given: changed")
    return _Update(wanted, record, fields, new_coverage, move, changes, new_blockers, entered)


def _set_by_a_person(old: Coverage | None, new: Coverage) -> bool:
    """A status a person set (anything but not assessed, by anyone but a file) is never replaced by a status
    a file derived: the file's reading is kept beside it by the caller."""
    if old is None or old.status is CoverageStatus.NOT_ASSESSED:
        return False
    return bool(new.updated_by) and new.updated_by != old.updated_by and not _derived(old.updated_by)


def _derived(author: str) -> bool:
    return author.startswith(DERIVED_PREFIX)


def _entered(record: PilotRecord, wanted: IncomingPilot) -> datetime | None:
    """The source's date for the stage the pilot stands at, when it stays there and nobody has moved it
    since it was created (a person's move dates itself)."""
    pilot, moves = record.pilot, record.stage_history
    if wanted.entered_at is None or wanted.stage is not pilot.stage or len(moves) != 1 or moves[0].from_stage:
        return None
    if wanted.entered_at >= pilot.created_at or wanted.entered_at == pilot.stage_entered_at:
        return None
    return wanted.entered_at


# Keys of pilot.extra that an inventory import keeps for its export (io/omb/records.py), not columns.
_INTERNAL_EXTRA = frozenset(
    {"omb_row", "omb_as_given", "omb_link", REPORTED_KEY}
)  # records for the export and the detail

Values = dict[str, dict[str, Any]]  # pilot id -> what an import changed on it (old or new values)


def _apply(portfolio: Portfolio, added: list[PilotRecord], updates: list[_Update]) -> tuple[Values, Values]:
    """Write the import; returns, per updated pilot, the old and the new values of what it changed."""
    categories = {t.tag: t.category for t in portfolio.tags()}
    batcher = Batcher(portfolio.catalog(), portfolio.rules(), categories, "imported")
    for chunk in chunks((flat_rows(rows_of(r, portfolio.actor)) for r in added), BATCH):
        bulk.insert_batch(portfolio, batcher.batch(chunk))
    now = portfolio.timestamp()
    was: Values = {}
    became: Values = {}
    for update in updates:
        pilot_id = update.incoming.id
        was[pilot_id], became[pilot_id] = _update_pilot(portfolio, update, now)
    return was, became


def _update_pilot(portfolio: Portfolio, update: _Update, now: str) -> tuple[dict[str, Any], dict[str, Any]]:
    conn = portfolio.conn
    pilot_id, current = update.incoming.id, update.current.pilot
    was: dict[str, Any] = {k: getattr(current, k) for k in update.fields if k != "extra"}
    became: dict[str, Any] = {k: v for k, v in update.fields.items() if k != "extra"}
    if "extra" in update.fields:
        old_extra, new_extra = undo_steps.extra_change(current.extra, update.fields["extra"])
        was.update(old_extra)
        became.update(new_extra)
    if update.fields:
        values = {k: (json.dumps(v, ensure_ascii=False) if k == "extra" else v) for k, v in update.fields.items()}
        assignments = ", ".join(f"{k} = ?" for k in values)
        conn.execute(f"UPDATE pilot SET {assignments} WHERE id = ?", [*values.values(), pilot_id])
    if update.coverage:
        was["coverage"], became["coverage"] = {}, {}
    for cov in update.coverage:
        was["coverage"][cov.item] = undo_steps.coverage_values(writes.coverage_row(portfolio, pilot_id, cov.item))
        row = (cov.status.value, cov.evidence, cov.justification, now, cov.updated_by or portfolio.actor)
        conn.execute(undo_steps.SET_COVERAGE, (pilot_id, cov.item, *row))
        # The new row less its time and author: those are the event's own.
        became["coverage"][cov.item] = dict(zip(undo_steps.COVERAGE_COLUMNS[:3], row, strict=False))
    if update.blockers:
        was["blockers"] = []
        became["blockers"] = [
            _open_derived(portfolio, pilot_id, tag, note, now, update) for tag, note in update.blockers
        ]
    if update.entered is not None:
        first = update.current.stage_history[0]
        entered = rows.timestamp(update.entered)
        was["entered"] = {
            "stage_entered_at": rows.timestamp(current.stage_entered_at),
            "moved_at": rows.timestamp(first.moved_at),
        }
        became["entered"] = {"stage_entered_at": entered}
        conn.execute("UPDATE pilot SET stage_entered_at = ? WHERE id = ?", (entered, pilot_id))
        conn.execute(
            "UPDATE stage_move SET moved_at = ? WHERE pilot_id = ? AND from_stage IS NULL", (entered, pilot_id)
        )
    if update.move:
        target, override, failed = update.move
        at = _move_date(update, now)
        conn.execute(
            "UPDATE pilot SET stage = ?, stage_pos = ?, stage_entered_at = ? WHERE id = ?",
            (target.value, STAGE_POSITION[target.value], at, pilot_id),
        )
        move_id = writes.record_move(portfolio, pilot_id, current.stage, target, at, override=override, failed=failed)
        was.update(stage=current.stage.value, stage_entered_at=rows.timestamp(current.stage_entered_at))
        became.update(stage=target.value, stage_entered_at=at, move_id=move_id)
    writes.refresh(portfolio, pilot_id)
    return was, became


def _move_date(update: _Update, now: str) -> str:
    """When the pilot entered the stage the source moves it to: the source's own date for it (an inventory's
    operational date), else the date the source speaks for (`as_of`, an inventory's year), each only when it
    falls after every move recorded so far (the history stays in order) and before now; else now."""
    last = max((m.moved_at for m in update.current.stage_history), default=update.current.pilot.created_at)
    for day in (update.incoming.entered_at, update.incoming.as_of):
        if day is not None and day > last and rows.timestamp(day) < now:
            return rows.timestamp(day)
    return now


def _open_derived(portfolio: Portfolio, pilot_id: str, tag: str, note: str, now: str, update: _Update) -> int:
    cursor = portfolio.conn.execute(
        "INSERT INTO blocker (pilot_id, tag, note, opened_at, opened_by) VALUES (?, ?, ?, ?, ?)",
        (pilot_id, tag, note, now, update.incoming.derived_by or portfolio.actor),
    )
    return int(cursor.lastrowid or 0)
