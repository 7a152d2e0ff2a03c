"""Merging an office's bundle into the CAIO's portfolio: the plan of domain/office_merge.py applied a few
hundred pilots at a time, in one transaction with one audit event (office_merge).

Each applied field records the office as its source: a coverage item's updated_by and a blocker's
opened_by or resolved_by are "office NAME" (the evidence as the office wrote it); a pilot's own fields are
named, pilot by pilot, in the event's `pilots` (what `history PILOT` shows: Portfolio.history includes the
merge events whose `pilots` name the pilot). Conflicts and stage requests wait in office_conflict and
office_request; each carried pilot's base becomes the office's values, so the next bundle of the same send
neither brings a settled conflict back nor undoes a change the CAIO made alone. The batches come from a
reader that verifies them as it goes: an exception it raises rolls the whole merge back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from caio_tui.domain.office_merge import NOT_ASSESSED, PILOT_FIELDS, MergePlan, PilotSide, StageRequest, plan_merge
from caio_tui.store.derived_upkeep import refresh_pilots
from caio_tui.store.insert_rows import PilotRows, insert
from caio_tui.store.office_seal import BundleRefused
from caio_tui.store.office_sides import bases, pilot_rows, put_bases, side_of
from caio_tui.store.portfolio import Portfolio


@dataclass
class MergeOutcome:
    """What a merge did (or that the bundle was merged before: `already`)."""

    office: str
    send_id: str
    head: str
    already: bool = False
    changes: int = 0
    conflicts: int = 0
    requests: int = 0
    added: int = 0
    gone: list[str] = field(default_factory=list)  # pilots the office changed that the CAIO no longer has
    pilots: dict[str, list[str]] = field(default_factory=dict)  # pilot -> what the merge did to it

    def summary(self) -> str:
        if self.already:
            return f"bundle {self.head[:16]} of office {self.office!r} already merged; nothing changed"
        text = (
            f"merged office {self.office!r} (send {self.send_id}, head {self.head[:16]}): {self.changes} change(s), "
            f"{self.conflicts} conflict(s), {self.requests} stage request(s), {self.added} added"
        )
        return text + (f", {len(self.gone)} no longer in this portfolio" if self.gone else "")


def merge(
    portfolio: Portfolio,
    *,
    send_id: str,
    office: str,
    head: str,
    events: int,
    file_digest: str,
    batches: Iterable[Sequence[PilotRows]],
) -> MergeOutcome:
    """Merge the office's pilots (its changed and new ones, in batches) against the send's base."""
    outcome = MergeOutcome(office, send_id, head)
    with portfolio.session.transaction():
        conn = portfolio.conn
        if conn.execute("SELECT 1 FROM office_bundle WHERE head = ?", (head,)).fetchone():
            outcome.already = True
            return outcome
        sent = conn.execute("SELECT office FROM office_send WHERE id = ?", (send_id,)).fetchone()
        if sent is None:
            raise BundleRefused(f"a bundle of send {send_id}, which this portfolio never sent")
        if sent[0] != office:
            raise BundleRefused(f"send {send_id} went to office {sent[0]!r}, not {office!r}")
        conn.execute(
            "INSERT INTO office_bundle VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, 0)",
            (head, send_id, portfolio.timestamp(), portfolio.actor, file_digest, events),
        )
        batch = _Batch(portfolio, outcome)
        for chunk in batches:
            batch.merge(chunk)
        conn.execute(
            "UPDATE office_bundle SET changes = ?, conflicts = ?, requests = ?, added = ? WHERE head = ?",
            (outcome.changes, outcome.conflicts, outcome.requests, outcome.added, head),
        )
        portfolio.append_event(
            "office_merge",
            None,
            None,
            {
                "summary": outcome.summary(),
                "office": office,
                "send_id": send_id,
                "bundle_head": head,
                "file_digest": file_digest,
                "changes": outcome.changes,
                "conflicts": outcome.conflicts,
                "requests": outcome.requests,
                "added": outcome.added,
                "gone": outcome.gone,
                "pilots": outcome.pilots,
            },
            source=f"office {office}",
        )
    return outcome


class _Batch:
    """One batch of the office's pilots planned and applied (inside the merge's transaction)."""

    def __init__(self, portfolio: Portfolio, outcome: MergeOutcome) -> None:
        self.portfolio = portfolio
        self.conn = portfolio.conn
        self.outcome = outcome
        self.by = f"office {outcome.office}"
        self.now = portfolio.timestamp()
        self.items = {str(r[0]) for r in self.conn.execute("SELECT id FROM item")}
        self.tags = {str(r[0]) for r in self.conn.execute("SELECT tag FROM blocker_tag")}

    def merge(self, chunk: Sequence[PilotRows]) -> None:
        office = {whole.pilot.id: side_of(whole) for whole in chunk}
        for pilot_id, side in office.items():
            self._known(pilot_id, side)
        ids = list(office)
        caio = {i: side_of(r) for i, r in pilot_rows(self.conn, ids).items()}
        plan = plan_merge(bases(self.conn, self.outcome.send_id, ids), caio, office)
        self._check_first(plan, ids)
        touched: set[str] = set()
        for change in plan.changes:
            self._apply(change.pilot_id, change.key.kind, change.key.name, change.value, caio[change.pilot_id])
            self._did(change.pilot_id, str(change.key))
            touched.add(change.pilot_id)
        self.conn.executemany(
            "INSERT INTO office_conflict (pilot_id, bundle_head, kind, name, base, caio, office) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (c.pilot_id, self.outcome.head, c.key.kind, c.key.name, _json(c.base), _json(c.caio), _json(c.office))
                for c in plan.conflicts
            ],
        )
        for c in plan.conflicts:
            self._did(c.pilot_id, f"conflict {c.key}")
        requests = list(plan.requests)
        by_id = {whole.pilot.id: whole for whole in chunk}
        for pilot_id in plan.added:
            first = self._add(by_id[pilot_id])
            touched.add(pilot_id)
            self._did(pilot_id, "added")
            if first != office[pilot_id].stage:
                requests.append(StageRequest(pilot_id, first, office[pilot_id].stage))
        self._request(requests)
        put_bases(self.conn, self.outcome.send_id, {i: s for i, s in office.items() if i not in plan.gone})
        refresh_pilots(self.portfolio, sorted(touched))
        self.outcome.changes += len(plan.changes)
        self.outcome.conflicts += len(plan.conflicts)
        self.outcome.added += len(plan.added)
        self.outcome.gone += plan.gone

    def _check_first(self, plan: MergePlan, ids: list[str]) -> None:
        """The seal's check of the groups this batch writes, a few statements per table instead of a
        trigger call per group: the tables each change writes (a pilot's row for its derived columns),
        every table of an added pilot, every carried pilot's base."""
        keeper = self.portfolio.session.seal
        tables: dict[str, set[str]] = {"pilot": set(plan.added), "coverage": set(plan.added)}
        tables.update(blocker=set(plan.added), stage_move=set(plan.added))
        for change in plan.changes:
            tables["pilot"].add(change.pilot_id)
            if change.key.kind in ("coverage", "blocker"):
                tables[change.key.kind].add(change.pilot_id)
        for table, groups in tables.items():
            keeper.check_groups(table, sorted(groups))
        keeper.check_groups("office_base", list(ids))

    def _did(self, pilot_id: str, what: str) -> None:
        self.outcome.pilots.setdefault(pilot_id, []).append(what)

    def _known(self, pilot_id: str, side: PilotSide) -> None:
        """Items and tags are the CAIO's: a bundle naming one this portfolio lacks is refused whole."""
        for item in side.coverage:
            if item not in self.items:
                raise BundleRefused(f"{pilot_id}: unknown requirement item {item!r}")
        for tag in side.open_blockers:
            if tag not in self.tags:
                raise BundleRefused(f"{pilot_id}: unknown blocker tag {tag!r} (create the tag first)")

    def _apply(self, pilot_id: str, kind: str, name: str, value: object, caio: PilotSide) -> None:
        if kind == "field" and name in PILOT_FIELDS:
            stored = int(bool(value)) if name == "high_impact" else ("" if value is None else str(value))
            self.conn.execute(f"UPDATE pilot SET {name} = ? WHERE id = ?", (stored, pilot_id))
        elif kind == "coverage":
            status, evidence, justification = value if isinstance(value, tuple) else NOT_ASSESSED
            self.conn.execute(
                "INSERT INTO coverage (pilot_id, item_id, status, evidence, justification, updated_at, updated_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pilot_id, item_id) DO UPDATE SET status = excluded.status, "
                "evidence = excluded.evidence, justification = excluded.justification, "
                "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (pilot_id, name, status, evidence, justification, self.now, self.by),
            )
        elif value is None:  # a blocker the office resolved
            self.conn.execute(
                "UPDATE blocker SET resolved_at = ?, resolved_by = ?, resolution = ? "
                "WHERE pilot_id = ? AND tag = ? AND resolved_at IS NULL",
                (self.now, self.by, f"resolved by {self.by}", pilot_id, name),
            )
        elif name in caio.open_blockers:  # open on both sides: the office rewrote its note
            self.conn.execute(
                "UPDATE blocker SET note = ? WHERE pilot_id = ? AND tag = ? AND resolved_at IS NULL",
                (str(value), pilot_id, name),
            )
        else:
            self.conn.execute(
                "INSERT INTO blocker (pilot_id, tag, note, opened_at, opened_by) VALUES (?, ?, ?, ?, ?)",
                (pilot_id, name, str(value), self.now, self.by),
            )

    def _add(self, whole: PilotRows) -> str:
        """A pilot the office created, at the stage it was created in (a later move is a request)."""
        first = whole.moves[0] if whole.moves else None
        stage = first.to_stage if first else whole.pilot.stage
        entered = first.moved_at if first else whole.pilot.stage_entered_at
        pilot = whole.pilot._replace(stage=stage, stage_entered_at=entered)
        insert(self.conn, PilotRows(pilot, whole.coverage, whole.blockers, whole.moves[:1]))
        return stage

    def _request(self, requests: list[StageRequest]) -> None:
        self.conn.executemany(
            "INSERT INTO office_request (pilot_id, bundle_head, office, current, requested) VALUES (?, ?, ?, ?, ?)",
            [(r.pilot_id, self.outcome.head, self.outcome.office, r.current, r.requested) for r in requests],
        )
        for r in requests:
            self._did(r.pilot_id, f"stage request {r.current} → {r.requested}")
        self.outcome.requests += len(requests)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
