"""Every change to a portfolio made one step at a time: a pilot added or edited, a coverage item set, a
blocker opened or resolved, a tag created, a move through a gate, whole pilots imported, a new file
seeded. Each runs in one transaction with its audit event (an interrupted program leaves the file as it
was before the write) and recomputes the derived columns of the pilot it changed (refresh).

The helpers below the writes (refresh, record_move, ...) are shared with the other writing modules: undo,
gates, transfer. A new file's seeding and the rows of frameworks, tags and gate rules: seeding.py."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory
from caio_tui.store import derived_upkeep, insert_rows, rows, seeding
from caio_tui.store.errors import GateRefused, StoreError
from caio_tui.store.lazy import LazyModule
from caio_tui.store.queries import STAGE_POSITION

if TYPE_CHECKING:
    from pydantic import ValidationError

    from caio_tui.domain import staleness
    from caio_tui.domain.blockers import BlockerTag
    from caio_tui.domain.coverage import CoverageStatus
    from caio_tui.domain.gates import GateResult
    from caio_tui.domain.pilots import PilotFields, PilotRecord
    from caio_tui.store import models
    from caio_tui.store.portfolio import Portfolio
else:
    models = LazyModule("caio_tui.store.models")


# ---- pilot writes --------------------------------------------------------------------------------------


def add_pilot(portfolio: Portfolio, fields: PilotFields, *, stage: Stage, pilot_id: str | None) -> str:
    now = portfolio.timestamp()
    with portfolio.session.transaction():
        new_id = pilot_id or _next_id(portfolio)
        if exists(portfolio, new_id):
            raise StoreError(f"a pilot with id {new_id!r} already exists")
        row = {
            "id": new_id,
            **fields.model_dump(),
            "stage": stage.value,
            "stage_pos": STAGE_POSITION[stage.value],
            "extra": "{}",
            "created_at": now,
            "stage_entered_at": now,
        }
        portfolio.db.table("pilot").insert(row)
        record_move(portfolio, new_id, None, stage, now, override="", failed=())
        refresh(portfolio, new_id)
        portfolio.append_event("pilot.create", new_id, None, _pilot_state(portfolio, new_id))
    return new_id


def edit_pilot(portfolio: Portfolio, pilot_id: str, changes: dict[str, Any]) -> None:
    with portfolio.session.transaction():
        edited = change_fields(portfolio, pilot_id, changes)
        if edited:
            portfolio.append_event("pilot.edit", pilot_id, *edited)


def change_fields(portfolio: Portfolio, pilot_id: str, changes: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """Edit a pilot's fields inside the caller's transaction; (before, after) of what changed, () if nothing."""
    unknown = set(changes) - set(models.EDITABLE_FIELDS)
    if unknown:
        raise StoreError(f"cannot edit {', '.join(sorted(unknown))}; editable: {', '.join(models.EDITABLE_FIELDS)}")
    current = portfolio.get(pilot_id)
    try:
        editable = current.model_dump(include=set(models.EDITABLE_FIELDS))
        merged = models.PilotFields.model_validate({**editable, **changes})
    except models.ValidationError as exc:
        raise _invalid(exc) from None
    after = {k: v for k, v in merged.model_dump().items() if getattr(current, k) != v}
    if not after:
        return ()
    portfolio.db.table("pilot").update(pilot_id, after)
    refresh(portfolio, pilot_id)
    return {k: getattr(current, k) for k in after}, after


def set_coverage(
    portfolio: Portfolio,
    pilot_id: str,
    item_id: str,
    status: CoverageStatus,
    *,
    evidence: str | None,
    justification: str | None,
) -> None:
    with portfolio.session.transaction():
        before, row = put_coverage(portfolio, pilot_id, item_id, status, evidence=evidence, justification=justification)
        portfolio.append_event("coverage.set", pilot_id, before, row)


def put_coverage(
    portfolio: Portfolio,
    pilot_id: str,
    item_id: str,
    status: CoverageStatus,
    *,
    evidence: str | None,
    justification: str | None,
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Set one coverage item inside the caller's transaction (None keeps the evidence or justification it
    has); the row before (None: never assessed) and after."""
    catalog = portfolio.catalog()
    if not catalog.has_item(item_id):
        raise StoreError(f"unknown requirement item {item_id!r}")
    refused = inapplicable(portfolio, pilot_id, item_id)
    if refused:
        raise StoreError(refused)
    before = coverage_row(portfolio, pilot_id, item_id)
    kept = before or {}
    try:
        coverage = models.Coverage(
            item=item_id,
            status=status,
            evidence=kept.get("evidence", "") if evidence is None else evidence,
            justification=kept.get("justification", "") if justification is None else justification,
        )
    except models.ValidationError as exc:
        raise _invalid(exc) from None
    refused = models.missing_evidence(catalog.framework_of(item_id), item_id, status, coverage.evidence)
    if refused:
        raise StoreError(refused)
    if status.counts_in_readiness and justification is None:
        coverage = coverage.model_copy(update={"justification": ""})
    row = {
        "pilot_id": pilot_id,
        "item_id": item_id,
        "status": status.value,
        "evidence": coverage.evidence,
        "justification": coverage.justification,
        "updated_at": portfolio.timestamp(),
        "updated_by": portfolio.actor,
    }
    portfolio.db.table("coverage").upsert(row, pk=("pilot_id", "item_id"))
    refresh(portfolio, pilot_id)
    return before, row


def inapplicable(portfolio: Portfolio, pilot_id: str, item_id: str) -> str | None:
    """Why this (known) item is not this pilot's to assess: a high-impact-only item of a pilot that is not
    high-impact; None when it applies."""
    if portfolio.catalog().framework_of(item_id).applies(portfolio.get(pilot_id).high_impact):
        return None
    return f"{item_id} applies to high-impact use cases only; {pilot_id} is not one"


def create_tag(
    portfolio: Portfolio, tag: str, category: BlockerCategory, *, areas: Sequence[str], description: str
) -> None:
    catalog = portfolio.catalog()
    bad = [a for a in areas if not catalog.has_area(a)]
    if bad:
        raise StoreError(f"unknown requirement area {bad[0]!r}")
    try:
        new = models.BlockerTag(tag=tag, category=category, areas=tuple(areas), description=description)
    except models.ValidationError as exc:
        raise _invalid(exc, where=False) from None  # the message names the tag already
    with portfolio.session.transaction():
        if portfolio.session.one("SELECT 1 FROM blocker_tag WHERE tag = ?", (tag,)):
            raise StoreError(f"the tag {tag!r} exists already")
        seeding.insert_tag(portfolio, new)
        portfolio.append_event("tag.create", None, None, new.model_dump(mode="json"))


def open_blocker(portfolio: Portfolio, pilot_id: str, tag: str, *, note: str) -> int:
    with portfolio.session.transaction():
        blocker_id = insert_blocker(portfolio, pilot_id, tag, note=note)
        portfolio.append_event("blocker.open", pilot_id, None, blocker_row(portfolio, blocker_id))
    return blocker_id


def insert_blocker(portfolio: Portfolio, pilot_id: str, tag: str, *, note: str) -> int:
    """Open a blocker inside the caller's transaction; its id."""
    portfolio.get(pilot_id)
    portfolio.tag(tag)
    if portfolio.session.one(
        "SELECT 1 FROM blocker WHERE pilot_id = ? AND tag = ? AND resolved_at IS NULL",
        (pilot_id, tag),
    ):
        raise StoreError(f"{pilot_id} already has an open {tag} blocker")
    row = {
        "pilot_id": pilot_id,
        "tag": tag,
        "note": note,
        "opened_at": portfolio.timestamp(),
        "opened_by": portfolio.actor,
    }
    blocker_id = int(portfolio.db.table("blocker").insert(row).last_pk or 0)
    refresh(portfolio, pilot_id)
    return blocker_id


def resolve_blocker(portfolio: Portfolio, pilot_id: str, tag: str, *, resolution: str = "") -> None:
    """Resolve the pilot's open blocker with this tag; `resolution` says how (the note written when it was
    opened says why it blocked, and stays as it was)."""
    with portfolio.session.transaction():
        portfolio.append_event(
            "blocker.resolve", pilot_id, *close_blocker(portfolio, pilot_id, tag, resolution=resolution)
        )


def close_blocker(portfolio: Portfolio, pilot_id: str, tag: str, *, resolution: str) -> tuple[Any, Any]:
    """Resolve an open blocker inside the caller's transaction; its row before and after."""
    portfolio.get(pilot_id)
    found = portfolio.session.one(
        "SELECT id FROM blocker WHERE pilot_id = ? AND tag = ? AND resolved_at IS NULL",
        (pilot_id, tag),
    )
    if found is None:
        raise StoreError(f"{pilot_id} has no open {tag} blocker")
    before = blocker_row(portfolio, found["id"])
    portfolio.db.table("blocker").update(
        found["id"],
        {"resolved_at": portfolio.timestamp(), "resolved_by": portfolio.actor, "resolution": resolution.strip()},
    )
    refresh(portfolio, pilot_id)
    return before, blocker_row(portfolio, found["id"])


def move(portfolio: Portfolio, pilot_id: str, to_stage: Stage, *, override: str | None) -> GateResult:
    """Move a pilot through the gate. A refused gate raises GateRefused unless a written override
    justification is given; the override and its reasons stay in the history and the audit trail."""
    with portfolio.session.transaction():
        result, before, after = pass_gate(portfolio, pilot_id, to_stage, override=override)
        portfolio.append_event("stage.move", pilot_id, before, after)
    return result


def pass_gate(
    portfolio: Portfolio, pilot_id: str, to_stage: Stage, *, override: str | None
) -> tuple[GateResult, dict[str, Any], dict[str, Any]]:
    """`move` inside the caller's transaction: the gate's result and the stage.move event's before, after."""
    record = portfolio.record(pilot_id)
    if record.pilot.stage is to_stage:
        raise StoreError(f"{pilot_id} is already in {to_stage.value}")
    result = models.evaluate(record, to_stage, portfolio.rules(), portfolio.catalog())
    justification = (override or "").strip()
    if override is not None and not justification:
        raise StoreError("an override needs a written justification")
    if not result.passed and not justification:
        raise GateRefused(result)
    refused = None if result.passed else portfolio.rules().override_refusal(justification)
    if refused:
        raise StoreError(refused)
    if result.passed:
        justification = ""
    decided = models.staleness.decide(record, result, portfolio.rules(), portfolio.catalog(), override=justification)
    now = portfolio.timestamp()
    before = {
        "stage": record.pilot.stage.value,
        "stage_entered_at": rows.timestamp(record.pilot.stage_entered_at),
    }
    portfolio.db.table("pilot").update(
        pilot_id,
        {
            "stage": to_stage.value,
            "stage_pos": STAGE_POSITION[to_stage.value],
            "stage_entered_at": now,
            "approval_stale": 0,  # a new decision; refresh below judges it
        },
    )
    failed = tuple(f"{f.rule}: {f.reason}" for f in result.failures) if justification else ()
    move_id = record_move(
        portfolio, pilot_id, record.pilot.stage, to_stage, now, override=justification, failed=failed, decided=decided
    )
    refresh(portfolio, pilot_id)  # a new decision: its approval holds until the state regresses
    after = {
        "stage": to_stage.value,
        "stage_entered_at": now,
        "move_id": move_id,
        "override": justification,
        "failed_rules": list(failed),
        "gate": decided.result if decided else "",
    }
    return result, before, after


def import_records(
    portfolio: Portfolio, records: Sequence[PilotRecord], *, source: str, tags: Sequence[BlockerTag]
) -> int:
    """Add whole pilots (with coverage, blockers and history) in one transaction and one event, which
    lists the pilots and the tags it added: undo removes them all."""
    with portfolio.session.transaction():
        added_tags = []
        for tag in tags:
            if not portfolio.session.one("SELECT 1 FROM blocker_tag WHERE tag = ?", (tag.tag,)):
                seeding.insert_tag(portfolio, tag)
                added_tags.append(tag.tag)
        for record in records:
            _insert_record(portfolio, record)
        portfolio.append_event(
            "import",
            None,
            None,
            {
                "pilots": [r.pilot.id for r in records],
                "tags": added_tags,
                "summary": f"imported {len(records)} pilots from {source}",
            },
            source=source,
        )
    return len(records)


def _insert_record(portfolio: Portfolio, record: PilotRecord) -> None:
    p = record.pilot
    if exists(portfolio, p.id):
        raise StoreError(f"a pilot with id {p.id!r} already exists")
    catalog = portfolio.catalog()
    for cov in record.coverage.values():
        if not catalog.has_item(cov.item):
            raise StoreError(f"{p.id}: unknown requirement item {cov.item!r}")
    for b in record.blockers:
        portfolio.tag(b.tag)
    insert_rows.insert(portfolio.conn, insert_rows.rows_of(record, portfolio.actor))
    refresh(portfolio, p.id)


# ---- shared by the writing modules -----------------------------------------------------------------------


def exists(portfolio: Portfolio, pilot_id: str) -> bool:
    return portfolio.session.one("SELECT 1 FROM pilot WHERE id = ?", (pilot_id,)) is not None


def _next_id(portfolio: Portfolio) -> str:
    """AI-0001... in the CAIO's portfolio; in an office's, the prefix of its send (GMO-0001...), so pilots
    created by two offices, or by an office and the CAIO, never share an id when they merge."""
    prefix = _office_prefix(portfolio) or "AI-"
    row = portfolio.session.one(
        "SELECT max(CAST(substr(id, ?) AS INTEGER)) AS n FROM pilot WHERE id GLOB ?",
        (len(prefix) + 1, _glob_text(prefix) + "[0-9]*"),
    )
    number = (row["n"] or 0) + 1 if row else 1
    return f"{prefix}{number:04d}"


def _office_prefix(portfolio: Portfolio) -> str:
    row = portfolio.session.one(
        "SELECT s.id_prefix FROM meta m JOIN office_send s ON s.id = m.value WHERE m.key = 'office.send'"
    )
    return str(row["id_prefix"]) if row else ""


def _glob_text(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _pilot_state(portfolio: Portfolio, pilot_id: str) -> dict[str, Any]:
    row = portfolio.session.one(f"SELECT {rows.PILOT_COLUMNS} FROM pilot WHERE id = ?", (pilot_id,))
    assert row is not None
    return {k: row[k] for k in ("id", "name", "office", "owner", "stage", "high_impact", "description")}


def coverage_row(portfolio: Portfolio, pilot_id: str, item_id: str) -> dict[str, Any] | None:
    return rows.as_dict(
        portfolio.session.one("SELECT * FROM coverage WHERE pilot_id = ? AND item_id = ?", (pilot_id, item_id))
    )


def blocker_row(portfolio: Portfolio, blocker_id: int) -> dict[str, Any] | None:
    return rows.as_dict(portfolio.session.one("SELECT * FROM blocker WHERE id = ?", (blocker_id,)))


def record_move(
    portfolio: Portfolio,
    pilot_id: str,
    from_stage: Stage | None,
    to_stage: Stage,
    at: str,
    *,
    override: str,
    failed: Sequence[str],
    actor: str | None = None,
    decided: staleness.DecidedState | None = None,
) -> int:
    cursor = portfolio.conn.execute(
        "INSERT INTO stage_move (pilot_id, from_stage, to_stage, moved_at, actor, override, failed_rules, "
        "decided_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            pilot_id,
            from_stage.value if from_stage else None,
            to_stage.value,
            at,
            actor or portfolio.actor,
            override,
            json.dumps(list(failed)),
            decided.model_dump_json() if decided else None,
        ),
    )
    return int(cursor.lastrowid or 0)


def refresh(portfolio: Portfolio, pilot_id: str) -> None:
    """Recompute the derived columns of one pilot from its coverage, open blockers and last gate decision
    (derived_upkeep.refresh_pilots: one function for one pilot and for a merge's many). The pilot's row is
    checked against the seal first, written or not: a write to a pilot whose row was changed outside
    caio-tui is refused, as when every refresh rewrote the row (its trigger checked it then)."""
    portfolio.session.seal.check_groups("pilot", [pilot_id])
    derived_upkeep.refresh_pilots(portfolio, [pilot_id])


def _invalid(exc: ValidationError, *, where: bool = True) -> StoreError:
    """A refused value as one line: where, then why (without pydantic's "Value error, " prefix)."""
    first = exc.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    place = ".".join(str(part) for part in first["loc"]) if where else ""
    return StoreError(f"{place}: {message}" if place else message)
