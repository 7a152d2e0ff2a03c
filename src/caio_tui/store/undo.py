"""Undo: revert the current actor's last change as a new event. This module finds the change and reverts
one made to a single pilot or tag (a create, an edit, a coverage item, a blocker, a move, a new tag);
store/undo_steps.py reverts the ones made in one step to many (an import, a rules load, a bulk load)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from caio_tui.store import commercial, identity_review, office_decisions, rows, undo_steps, writes
from caio_tui.store.errors import StoreError
from caio_tui.store.identity import IDENTITY_ACTIONS
from caio_tui.store.lazy import LazyModule
from caio_tui.store.queries import STAGE_POSITION

if TYPE_CHECKING:
    from caio_tui.domain.history import AuditEvent
    from caio_tui.store import models
    from caio_tui.store.portfolio import Portfolio
else:
    models = LazyModule("caio_tui.store.models")


def next_undo(portfolio: Portfolio) -> AuditEvent | None:
    """What undo would revert now (to ask before reverting a whole import)."""
    return _last_undoable(portfolio)


def undo(portfolio: Portfolio, expected: int | None = None) -> AuditEvent | None:
    """Revert the current actor's last change as a new event; None when there is nothing to undo. An
    import or a rules load is reverted whole; a bulk load into an empty portfolio is refused by name
    (undo never reaches past it). Refused, in one line, when a later event changed what it would revert,
    or when `expected` (the event the user agreed to undo) is no longer the last one."""
    with portfolio.session.transaction():
        target = _last_undoable(portfolio)
        if target is None:
            return None
        if expected is not None and target.id != expected:
            raise StoreError(
                f"your last change is now event {target.id} ({target.action}), not the one you confirmed; "
                "nothing was undone"
            )
        undo_steps.refuse_past_offices(portfolio, target.id)
        replaced = undo_steps.replaced_since(portfolio, target.id)
        if replaced is not None:
            raise StoreError(
                f"event {target.id} ({target.action}) is older than the snapshot import of event {replaced}, "
                "which replaced the portfolio's contents; nothing was undone"
            )
        recorded = _UNDO[target.action](portfolio, target)
        if target.pilot_id and writes.exists(portfolio, target.pilot_id):
            writes.refresh(portfolio, target.pilot_id)
        before, after = recorded or (target.after, target.before)
        portfolio.append_event("undo", target.pilot_id, before, after, undoes=target.id)
    return target


def _last_undoable(portfolio: Portfolio) -> AuditEvent | None:
    read = portfolio.session.read
    undone = {r["undoes"] for r in read("SELECT undoes FROM audit_event WHERE undoes IS NOT NULL")}
    actions = sorted(models.UNDOABLE)
    found = read(
        f"SELECT * FROM audit_event WHERE actor = ? AND action IN ({', '.join('?' * len(actions))}) "
        "ORDER BY id DESC LIMIT 200",
        [portfolio.actor, *actions],
    )
    return next((rows.audit_event(r) for r in found if r["id"] not in undone), None)


def _undo_create(portfolio: Portfolio, event: AuditEvent) -> None:
    assert event.pilot_id
    # Changes that were undone since do not count: the pilot is back as it was created. An import
    # that changed it counts (its event lists the pilots it touched).
    later = undo_steps.changed_since(portfolio, event.id, [event.pilot_id])
    if later is not None:
        raise StoreError(
            f"{event.pilot_id} has changed since it was created (event {later[1]}, {later[2]}); "
            "undo its later changes first"
        )
    portfolio.conn.execute("DELETE FROM pilot WHERE id = ?", (event.pilot_id,))


def _undo_edit(portfolio: Portfolio, event: AuditEvent) -> None:
    assert event.pilot_id
    current = portfolio.get(event.pilot_id)
    if any(getattr(current, k) != v for k, v in event.after.items()):
        raise StoreError(f"{event.pilot_id} was edited again since; nothing was undone")
    portfolio.db.table("pilot").update(event.pilot_id, event.before)


def _undo_coverage(portfolio: Portfolio, event: AuditEvent) -> None:
    assert event.pilot_id
    current = writes.coverage_row(portfolio, event.pilot_id, event.after["item_id"])
    if current != event.after:
        raise StoreError(f"{event.after['item_id']} of {event.pilot_id} changed again since; nothing was undone")
    if event.before is None:
        portfolio.conn.execute(
            "DELETE FROM coverage WHERE pilot_id = ? AND item_id = ?",
            (event.pilot_id, event.after["item_id"]),
        )
    else:
        portfolio.db.table("coverage").upsert(event.before, pk=("pilot_id", "item_id"))


def _undo_blocker_open(portfolio: Portfolio, event: AuditEvent) -> None:
    if writes.blocker_row(portfolio, event.after["id"]) != event.after:
        raise StoreError(f"the {event.after['tag']} blocker changed since; nothing was undone")
    portfolio.conn.execute("DELETE FROM blocker WHERE id = ?", (event.after["id"],))


def _undo_blocker_resolve(portfolio: Portfolio, event: AuditEvent) -> None:
    if writes.blocker_row(portfolio, event.after["id"]) != event.after:
        raise StoreError(f"the {event.after['tag']} blocker changed since; nothing was undone")
    portfolio.db.table("blocker").update(event.after["id"], {"resolved_at": None, "resolved_by": "", "resolution": ""})


def _undo_move(portfolio: Portfolio, event: AuditEvent) -> None:
    assert event.pilot_id
    current = portfolio.get(event.pilot_id)
    last = portfolio.session.one("SELECT max(id) AS id FROM stage_move WHERE pilot_id = ?", (event.pilot_id,))
    # Not only the stage: a move there and back (by hand or by an import) since is a later change too.
    if current.stage.value != event.after["stage"] or (last and last["id"] != event.after["move_id"]):
        raise StoreError(f"{event.pilot_id} moved again since; nothing was undone")
    portfolio.db.table("pilot").update(
        event.pilot_id,
        {**event.before, "stage_pos": STAGE_POSITION[event.before["stage"]]},
    )
    portfolio.conn.execute("DELETE FROM stage_move WHERE id = ?", (event.after["move_id"],))


def _undo_tag(portfolio: Portfolio, event: AuditEvent) -> None:
    tag = event.after["tag"]
    if portfolio.session.one("SELECT 1 FROM blocker WHERE tag = ?", (tag,)):
        raise StoreError(f"the tag {tag!r} is in use; nothing was undone")
    portfolio.conn.execute("DELETE FROM blocker_tag WHERE tag = ?", (tag,))


# Each reverts one event; a step that records its undo differently returns the undo event's (before, after).
_UNDO: dict[str, Callable[[Portfolio, AuditEvent], tuple[Any, Any] | None]] = {
    "pilot.create": _undo_create,
    "pilot.edit": _undo_edit,
    "coverage.set": _undo_coverage,
    "blocker.open": _undo_blocker_open,
    "blocker.resolve": _undo_blocker_resolve,
    "stage.move": _undo_move,
    "tag.create": _undo_tag,
    "import": undo_steps.undo_import,
    "cots.import": commercial.undo_import,
    "rules.replace": undo_steps.undo_rules,
    "generate": undo_steps.undo_bulk_load,
    **dict.fromkeys(IDENTITY_ACTIONS, identity_review.undo_identity),
    **dict.fromkeys(office_decisions.ACTIONS, office_decisions.undo_decision),
}
