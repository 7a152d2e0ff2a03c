"""Undo of a change made in one step to many pilots or to the gate rules: an inventory import, a sample
load, a rules load. Each is undone whole, from the old values its event kept, or refused in one line that
names it. A bulk load into an empty portfolio (`generate`, a snapshot import) is refused: undo stops there
and never reaches past it to an older change.

Whatever the step, an undo never reverts or deletes what a later event changed: the guard reads the
trail, where every change names its pilot, and every import lists the pilots it added or changed.

store/undo.py calls these inside its transaction; each returns the undo event's (before, after).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from caio_tui.domain.pilots import EDITABLE_FIELDS
from caio_tui.store import seeding, writes
from caio_tui.store.errors import StoreError
from caio_tui.store.inventory_rows import put_back_held
from caio_tui.store.queries import STAGE_POSITION

if TYPE_CHECKING:
    from caio_tui.domain.history import AuditEvent
    from caio_tui.store.portfolio import Portfolio

Recorded = tuple[Any, Any]  # the undo event's before and after

# Events a later undo has reverted: they no longer stand.
_UNDONE = "SELECT undoes FROM audit_event WHERE undoes IS NOT NULL"
COVERAGE_COLUMNS = ("status", "evidence", "justification", "updated_at", "updated_by")
# One coverage item set in place (an upsert keeps the row, so undo puts back exactly the row there was).
SET_COVERAGE = (
    f"INSERT INTO coverage (pilot_id, item_id, {', '.join(COVERAGE_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?) "
    f"ON CONFLICT (pilot_id, item_id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in COVERAGE_COLUMNS)}"
)


# ---- which pilots an event touched, and whether anything changed them since ---------------------------


def import_kind(after: Any) -> str:
    """How an import event was made: "records" (whole pilots added, e.g. a sample), "inventory" (an OMB
    inventory: added and updated in place), or "bulk" (a snapshot loaded into an empty portfolio)."""
    data = after if isinstance(after, dict) else {}
    if isinstance(data.get("pilots"), list):
        return "records"
    if "added" in data or "updated" in data:
        return "inventory"
    return "bulk"


def touched(action: str, after: Any) -> list[str]:
    """The pilots an import added or changed. A bulk load lists none: it needs an empty portfolio, so no
    pilot of an older event can still be there."""
    if action != "import":
        return []
    kind = import_kind(after)
    if kind == "records":
        return [str(p) for p in after["pilots"]]
    if kind == "inventory":
        return [*after.get("added", ()), *after.get("updated", {})]
    return []


def changed_since(portfolio: Portfolio, event_id: int, pilot_ids: list[str]) -> tuple[str, int, str] | None:
    """The first change after event `event_id` to one of these pilots that still stands (not undone, not an
    undo, whose own guard kept it from reverting anything changed since): (pilot id, event id, action)."""
    if not pilot_ids:
        return None
    found = portfolio.session.one(
        "SELECT id, action, pilot_id FROM audit_event WHERE pilot_id IN (SELECT value FROM json_each(?)) "
        f"AND id > ? AND action != 'undo' AND id NOT IN ({_UNDONE}) ORDER BY id LIMIT 1",
        (json.dumps(pilot_ids), event_id),
    )
    first = None if found is None else (str(found["pilot_id"]), int(found["id"]), str(found["action"]))
    wanted = set(pilot_ids)
    for row in portfolio.session.read(
        "SELECT id, action, after FROM audit_event WHERE pilot_id IS NULL AND action = 'import' AND id > ? "
        f"AND id NOT IN ({_UNDONE}) ORDER BY id",
        (event_id,),
    ):
        if first is not None and row["id"] > first[1]:
            break
        hit = wanted.intersection(touched("import", json.loads(row["after"] or "null")))
        if hit:
            return min(hit), int(row["id"]), "import"
    return first


_OFFICE_STOPS = ("office_merge", "office.send", "office.init")


def refuse_past_offices(portfolio: Portfolio, event_id: int) -> None:
    """Undo never reaches past a merge, a send or an office's opening of a send: each names pilots in its
    own way (a merge in `after.pilots`, a send in its base) and is settled, not undone."""
    row = portfolio.session.one(
        "SELECT action, after FROM audit_event WHERE id > ? AND action IN (?, ?, ?) ORDER BY id DESC LIMIT 1",
        (event_id, *_OFFICE_STOPS),
    )
    if row is None:
        return
    after = json.loads(row["after"] or "{}")
    if row["action"] == "office_merge":
        head = str(after.get("bundle_head", ""))[:16]
        what = f"the merge of bundle {head} (a merge is not undone; settle its conflicts instead)"
    elif row["action"] == "office.send":
        what = f"the send {after.get('send_id', '')} to office {after.get('office', '')!r} (a send is not undone)"
    else:
        what = f"the opening of send {after.get('send_id', '')} (this portfolio starts there)"
    raise StoreError(f"undo stops at {what}; nothing was undone")


def replaced_since(portfolio: Portfolio, event_id: int) -> int | None:
    """A later snapshot import that still stands: it replaced the frameworks, tags and rules wholesale."""
    found = portfolio.session.one(
        "SELECT id FROM audit_event WHERE action = 'import' AND pilot_id IS NULL AND id > ? "
        f"AND json_extract(after, '$.rules_revision') IS NOT NULL AND id NOT IN ({_UNDONE}) ORDER BY id LIMIT 1",
        (event_id,),
    )
    return None if found is None else int(found["id"])


def named(event: AuditEvent) -> str:
    """The step in the user's words, for a refusal: "event 7, the import from inventory.csv"."""
    after = event.after if isinstance(event.after, dict) else {}
    if event.action == "generate":
        what = str(after.get("summary", "a generated portfolio"))
    elif event.action == "rules.replace":
        what = f"the gate rules load from {event.source}"
    elif import_kind(after) == "bulk":
        what = f"the import of {after.get('pilots', 0)} pilots from {event.source}"
    else:
        what = f"the import from {event.source}"
    return f"event {event.id}, {what}"


def refuse(event: AuditEvent, reason: str) -> StoreError:
    return StoreError(f"cannot undo {named(event)}: {reason}; nothing was undone")


def _guard(portfolio: Portfolio, event: AuditEvent) -> None:
    later = changed_since(portfolio, event.id, touched(event.action, event.after))
    if later is not None:
        pilot_id, event_id, action = later
        raise refuse(event, f"{pilot_id} changed since (event {event_id}, {action})")


# ---- the steps -----------------------------------------------------------------------------------------


def undo_bulk_load(portfolio: Portfolio, event: AuditEvent) -> Recorded:
    raise refuse(event, "a load into an empty portfolio is not undone; start again from a new portfolio")


def undo_import(portfolio: Portfolio, event: AuditEvent) -> Recorded:
    kind = import_kind(event.after)
    if kind == "bulk":
        return undo_bulk_load(portfolio, event)
    old = (event.before or {}).get("updated", {}) if kind == "inventory" else {}
    if kind == "inventory" and set(old) != set(event.after.get("updated", {})):
        raise refuse(event, "it was recorded without the values it replaced (by an earlier caio-tui)")
    _guard(portfolio, event)
    if kind == "records":
        _delete_pilots(portfolio, event.after["pilots"])
        _delete_tags(portfolio, event, event.after.get("tags", ()))
    else:
        _delete_pilots(portfolio, event.after.get("added", []))
        values = event.after.get("values", {})
        for pilot_id, was in old.items():
            _restore(portfolio, pilot_id, was, values.get(pilot_id, {}))
        held = (event.before or {}).get("held")
        if isinstance(held, dict):  # rows it held back or settled (a link), as they were
            put_back_held(portfolio, held)
    return event.after, event.before


def _delete_pilots(portfolio: Portfolio, pilot_ids: list[str]) -> None:
    # Their coverage, blockers and moves go with them (ON DELETE CASCADE).
    portfolio.conn.execute("DELETE FROM pilot WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(pilot_ids),))


def _delete_tags(portfolio: Portfolio, event: AuditEvent, tags: list[str]) -> None:
    for tag in tags:
        if portfolio.session.one("SELECT 1 FROM blocker WHERE tag = ?", (tag,)):
            raise refuse(event, f"the tag {tag!r} it brought is in use")
        portfolio.conn.execute("DELETE FROM blocker_tag WHERE tag = ?", (tag,))


def _restore(portfolio: Portfolio, pilot_id: str, was: dict[str, Any], became: dict[str, Any]) -> None:
    """Put back what an inventory import changed on one pilot: fields, inventory columns, coverage items,
    stage (its move is deleted, as an undone move's is)."""
    columns: dict[str, Any] = {k: was[k] for k in EDITABLE_FIELDS if k in was}
    if "extra" in was:
        columns["extra"] = json.dumps(_old_extra(portfolio, pilot_id, was), ensure_ascii=False)
    if "stage" in was:
        columns.update(stage=was["stage"], stage_pos=STAGE_POSITION[was["stage"]])
        columns["stage_entered_at"] = was["stage_entered_at"]
        portfolio.conn.execute("DELETE FROM stage_move WHERE id = ?", (became["move_id"],))
    if "entered" in was:  # the date an import gave the stage it left the pilot at
        entered = was["entered"]
        columns["stage_entered_at"] = entered["stage_entered_at"]
        portfolio.conn.execute(
            "UPDATE stage_move SET moved_at = ? WHERE pilot_id = ? AND from_stage IS NULL",
            (entered["moved_at"], pilot_id),
        )
    if columns:
        assignments = ", ".join(f"{k} = ?" for k in columns)
        portfolio.conn.execute(f"UPDATE pilot SET {assignments} WHERE id = ?", [*columns.values(), pilot_id])
    if became.get("blockers"):  # the blockers it opened
        portfolio.conn.execute(
            "DELETE FROM blocker WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(became["blockers"]),)
        )
    for item, row in was.get("coverage", {}).items():
        if row is None:
            portfolio.conn.execute("DELETE FROM coverage WHERE pilot_id = ? AND item_id = ?", (pilot_id, item))
        else:
            portfolio.conn.execute(SET_COVERAGE, (pilot_id, item, *(row[k] for k in COVERAGE_COLUMNS)))
    writes.refresh(portfolio, pilot_id)


def _old_extra(portfolio: Portfolio, pilot_id: str, was: dict[str, Any]) -> dict[str, Any]:
    """The inventory columns as they were: today's (what the import wrote; the guard saw no change since)
    with the old values of the keys it changed, in the old order."""
    row = portfolio.session.one("SELECT extra FROM pilot WHERE id = ?", (pilot_id,))
    current: dict[str, Any] = json.loads(row["extra"]) if row else {}
    changed: dict[str, Any] = was["extra"]
    order = was.get("extra_keys") or list(current)
    return {k: changed[k] if k in changed else current[k] for k in order}


def extra_change(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What an import changes in the inventory columns: the old values of the keys it changes or drops
    (with the old key order when the keys differ), and the new values of the keys it changes or adds."""
    was: dict[str, Any] = {"extra": {k: v for k, v in old.items() if k not in new or new[k] != v}}
    if list(old) != list(new):
        was["extra_keys"] = list(old)
    became = {"extra": {k: v for k, v in new.items() if k not in old or old[k] != v}}
    return was, became


def coverage_values(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {k: row[k] for k in COVERAGE_COLUMNS}


def undo_rules(portfolio: Portfolio, event: AuditEvent) -> Recorded:
    """Make the rules the load replaced current again, as a new version (a version, once current, stays
    in the history under its number)."""
    from caio_tui.store import models

    current = portfolio.rules_version()
    if current != event.after["version"]:
        raise refuse(event, f"the gate rules were replaced again since (version {current} is current)")
    was = event.before or {}
    if "rules" in was:
        rules = models.parse_rules(was["rules"])
    else:  # an event of an earlier caio-tui: the versions are kept, read the one it replaced
        row = portfolio.session.one("SELECT rules FROM gate_rules WHERE version = ?", (was.get("version", 0),))
        rules = models.parse_rules(json.loads(row["rules"])) if row else models.default_rules()
    seeding.insert_rules(portfolio, rules)
    restored = current + 1
    summary = f"gate rules version {restored}: version {was.get('version', 0)} again"
    return (
        {"version": current},
        {"version": restored, "restores": was.get("version", 0), "rules": _rules_json(rules), "summary": summary},
    )


def _rules_json(rules: Any) -> Any:
    return json.loads(rules.model_dump_json(by_alias=True))
