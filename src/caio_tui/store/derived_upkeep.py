"""Re-deriving every pilot's derived columns at once: when the gate rules change (a `gates load`, its
undo), every pilot may stand above or below its gate; after the upgrade to schema 6, every pilot is judged
for the first time (below_gate -1) and a pilot with nothing assessed becomes "unassessed"; after the
upgrade to schema 12, every pilot is judged ready or not for its next stage (ready -1).

A bulk load's columns are kept by store.bulk; rederive_all walks every pilot a few hundred at a time
through the same domain.derived.Derivation and writes only the rows that change (each such row is sealed
again by the write's transaction, store/seal.py). `refreshed` computes the columns and approval_stale of
some pilots from their inputs (`Judged`): read from the rows by refresh_pilots (store.writes.refresh of one
pilot after a write), or taken from what a merge read with its changes applied (store/office_apply.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caio_tui.domain.territory import BlockerCategory
from caio_tui.store.errors import StoreError
from caio_tui.store.lazy import LazyModule

if TYPE_CHECKING:
    from caio_tui.store import models
    from caio_tui.store.portfolio import Portfolio
    from caio_tui.store.session import Session
else:
    models = LazyModule("caio_tui.store.models")  # pydantic: not before the first screen needs it

_CHUNK = 500  # pilot ids per statement (SQLite allows 32,766 parameters)
DERIVED = ("readiness", "not_assessed", "territory", "open_blockers", "top_blocker", "below_gate", "ready")
_FIELDS = ("name", "office", "owner", "description")


def rederive_all(portfolio: Portfolio) -> int:
    """Recompute every pilot's derived columns inside the caller's transaction (the rules and catalog as
    they are in it); returns how many pilot rows changed. approval_stale is left alone: it follows the
    last gate decision, which no rule change touches."""
    session = portfolio.session
    derivation = portfolio.derivation()
    ids = [r["id"] for r in session.read("SELECT id FROM pilot ORDER BY id")]
    changed = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        statuses, blockers = _judged_by(session, chunk, marks)
        updates: list[tuple[Any, ...]] = []
        for row in session.read(
            f"SELECT id, stage, high_impact, {', '.join(_FIELDS)}, {', '.join(DERIVED)} FROM pilot "
            f"WHERE id IN ({marks})",
            chunk,
        ):
            d = derivation.columns(
                statuses[row["id"]],
                bool(row["high_impact"]),
                blockers[row["id"]],
                stage=row["stage"],
                fields={name: row[name] for name in _FIELDS},
            )
            new = (
                d.readiness,
                d.not_assessed,
                d.territory.value,
                d.open_blockers,
                d.top_blocker,
                int(d.below_gate),
                int(d.ready),
            )
            if new != tuple(row[name] for name in DERIVED):
                updates.append((*new, row["id"]))
        portfolio.conn.executemany(
            f"UPDATE pilot SET {', '.join(f'{c} = ?' for c in DERIVED)} WHERE id = ?",
            updates,
        )
        changed += len(updates)
    return changed


def judge_unjudged(portfolio: Portfolio) -> None:
    """After the upgrade to schema 6 every pilot is below_gate -1 (after 12, ready -1): judge them all, as a
    write with its own audit event. A file that cannot be written (read-only, or a row changed outside caio-tui that the
    seal refuses to launder) stays as it is: reads show such a pilot unflagged until a write can judge it."""
    if not _unjudged(portfolio):
        return
    with contextlib.suppress(StoreError), portfolio.session.transaction():
        if not _unjudged(portfolio):
            return  # another program judged them first
        changed = rederive_all(portfolio)
        portfolio.append_event(
            "pilots.rederive",
            None,
            None,
            {
                "pilots": changed,
                "summary": f"judged {changed} pilot(s) against their gates and recomputed territory "
                "(territory 'unassessed', the below-its-gate and the ready flags are new in this version)",
            },
        )


def _unjudged(portfolio: Portfolio) -> bool:
    """Whether a pilot is still to judge: after the upgrade to schema 6 (below_gate) or 12 (ready), each
    read from its partial index."""
    return any(
        portfolio.session.one(f"SELECT 1 FROM pilot WHERE {column} = -1 LIMIT 1") is not None
        for column in ("below_gate", "ready")
    )


REFRESHED = (*DERIVED, "approval_stale")  # what refresh_pilots writes, in the order `refreshed` gives it


@dataclass
class Judged:
    """What one pilot's derived columns are judged from (store.writes.refresh's inputs), and what its row
    holds now: `row` has stage, high_impact, approval_stale, the gated fields and the derived columns."""

    row: dict[str, Any]
    statuses: dict[str, str]  # item -> status
    blockers: list[models.OpenBlocker]  # the open ones


def refresh_pilots(portfolio: Portfolio, pilot_ids: list[str]) -> None:
    """Recompute these pilots' derived columns and approval_stale from their rows, inside the caller's
    transaction (store.writes.refresh: one pilot after a write; a merge's added pilots), a few statements
    per few hundred pilots. Only the columns that change are written."""
    session = portfolio.session
    for start in range(0, len(pilot_ids), _CHUNK):
        chunk = pilot_ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        statuses, blockers = _judged_by(session, chunk, marks)
        judged = {
            row["id"]: Judged(dict(row), statuses[row["id"]], blockers[row["id"]])
            for row in session.read(
                f"SELECT id, stage, high_impact, approval_stale, {', '.join(_FIELDS)}, {', '.join(DERIVED)} "
                f"FROM pilot WHERE id IN ({marks})",
                chunk,
            )
        }
        update_pilots(portfolio, refreshed(portfolio, judged))


def update_pilots(portfolio: Portfolio, changes: Mapping[str, Mapping[str, Any]]) -> None:
    """Write these columns of these pilots (pilot -> column -> value), one statement per set of columns.
    Only the columns that change are set: SQLite rewrites an index entry for each indexed column set,
    even to the value it had (readiness, territory, open_blockers and the flags are indexed)."""
    rows: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for pilot_id, values in sorted(changes.items()):
        rows.setdefault(tuple(values), []).append((*values.values(), pilot_id))
    for columns, updates in rows.items():
        portfolio.conn.executemany(f"UPDATE pilot SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?", updates)


def refreshed(portfolio: Portfolio, judged: Mapping[str, Judged]) -> dict[str, dict[str, Any]]:
    """The derived columns and approval_stale that change, with their new values, of those of these pilots
    that have any, as store.writes.refresh computes them. The last gate decisions are read only for pilots
    whose approval is not stale already (a stale one stays stale)."""
    derivation = portfolio.derivation()
    fresh = [pilot_id for pilot_id, j in judged.items() if not j.row["approval_stale"]]
    decided: dict[str, Any] = {}
    for start in range(0, len(fresh), _CHUNK):
        chunk = fresh[start : start + _CHUNK]
        decided.update(_decided_states(portfolio, chunk, ", ".join("?" * len(chunk))))
    found: dict[str, dict[str, Any]] = {}
    for pilot_id, j in judged.items():
        new = _refreshed(derivation, j.row, j.statuses, j.blockers, decided.get(pilot_id))
        changed = {column: value for column, value in zip(REFRESHED, new, strict=True) if value != j.row[column]}
        if changed:
            found[pilot_id] = changed
    return found


def _refreshed(
    derivation: Any, row: Mapping[str, Any], statuses: dict[str, str], blockers: list[models.OpenBlocker], decided: Any
) -> tuple[Any, ...]:
    """The pilot's derived columns and approval_stale (REFRESHED's order), as store.writes.refresh computes
    them."""
    fields = {name: row[name] for name in _FIELDS}
    d = derivation.columns(statuses, bool(row["high_impact"]), blockers, stage=row["stage"], fields=fields)
    stale = bool(row["approval_stale"])
    if not stale and decided is not None:  # approval_stale(stale, None, now) is `stale`: no GateState to build
        now = models.staleness.GateState(
            statuses={item: models.CoverageStatus(status) for item, status in statuses.items()},
            open_blockers=tuple((b.tag, b.category) for b in blockers),
            fields=fields,
            high_impact=bool(row["high_impact"]),
        )
        stale = models.approval_stale(stale, decided, now)
    new: tuple[Any, ...] = (d.readiness, d.not_assessed, d.territory.value, d.open_blockers, d.top_blocker)
    return (*new, int(d.below_gate), int(d.ready), int(stale))


def _decided_states(portfolio: Portfolio, chunk: list[str], marks: str) -> dict[str, Any]:
    """Portfolio.decided_state of each of these pilots that has one (its last move's, or latest re-check's)."""
    found: dict[str, Any] = {}
    for r in portfolio.session.read(
        "SELECT m.pilot_id, coalesce((SELECT r.decided_state FROM gate_recheck r WHERE r.move_id = m.id "
        "ORDER BY r.id DESC LIMIT 1), m.decided_state) AS decided_state FROM stage_move m JOIN "
        f"(SELECT max(id) AS last FROM stage_move WHERE pilot_id IN ({marks}) GROUP BY pilot_id) l ON m.id = l.last",
        chunk,
    ):
        if r["decided_state"]:
            found[r["pilot_id"]] = models.staleness.DecidedState.model_validate_json(r["decided_state"])
    return found


def _judged_by(
    session: Session, chunk: list[str], marks: str
) -> tuple[dict[str, dict[str, str]], dict[str, list[models.OpenBlocker]]]:
    """What the derived columns of a chunk of pilots are judged from: each one's coverage statuses by item
    and its open blockers."""
    statuses: dict[str, dict[str, str]] = {i: {} for i in chunk}
    for r in session.read(f"SELECT pilot_id, item_id, status FROM coverage WHERE pilot_id IN ({marks})", chunk):
        statuses[r["pilot_id"]][r["item_id"]] = r["status"]
    blockers: dict[str, list[models.OpenBlocker]] = {i: [] for i in chunk}
    for r in session.read(
        "SELECT b.pilot_id, b.tag, t.category, b.opened_at FROM blocker b JOIN blocker_tag t USING (tag) "
        f"WHERE b.pilot_id IN ({marks}) AND b.resolved_at IS NULL",
        chunk,
    ):
        blockers[r["pilot_id"]].append(open_blocker(r["tag"], r["category"], r["opened_at"]))
    return statuses, blockers


def open_blocker(tag: str, category: str, opened_at: str) -> models.OpenBlocker:
    """An open blocker as the derived columns are judged from it."""
    return models.OpenBlocker(tag, BlockerCategory(category), opened_at)
