"""Merging an office's bundle into the CAIO's portfolio: the plan of domain/office_merge.py applied a few
hundred pilots at a time, in one transaction with one audit event (office_merge).

Each applied field records the office as its source: a coverage item's updated_by and a blocker's
opened_by or resolved_by are "office NAME" (the evidence as the office wrote it); a pilot's own fields are
named, pilot by pilot, in the event's `pilots` (what `history PILOT` shows: Portfolio.history includes the
merge events whose `pilots` name the pilot). Conflicts and stage requests wait in office_conflict and
office_request; each carried pilot's base becomes the office's values, so the next bundle of the same send
neither brings a settled conflict back nor undoes a change the CAIO made alone. The batches come from a
reader that verifies them as it goes: an exception it raises rolls the whole merge back.

Bundles of one send merge in the order of the office's chain (office_bundle.events: each must extend the
chain merged last). A pilot the office created enters at intake in the bundle's office (a further stage is
a request); a waiting conflict of a carried pilot is closed when a newer bundle supersedes or agrees with it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from caio_tui.domain.office_merge import (
    NOT_ASSESSED,
    PILOT_FIELDS,
    Change,
    Conflict,
    FieldKey,
    FieldKind,
    MergePlan,
    PilotSide,
    StageRequest,
    plan_merge,
    value_of,
)
from caio_tui.domain.office_values import office_named
from caio_tui.domain.stages import Stage
from caio_tui.store.derived_upkeep import open_blocker, refresh_pilots, refreshed, update_pilots
from caio_tui.store.insert_rows import MoveRow, PilotRows, insert
from caio_tui.store.office_seal import BundleRefused, ChainCheck
from caio_tui.store.office_sides import CaioPilot, Carried, chunked, merge_read, pilot_rows, put_base_texts, side_of
from caio_tui.store.offices import office_of_portfolio
from caio_tui.store.portfolio import Portfolio


@dataclass
class MergeOutcome:
    """What a merge did (or that the bundle was merged before: `already`; or that a newer bundle of its
    send was: `older_than`, that one's head)."""

    office: str
    send_id: str
    head: str
    already: bool = False
    another_copy: bool = False  # already merged from another file with the same head (and state)
    older_than: str = ""
    older_events: int = 0  # the events of the newer bundle's chain
    changes: int = 0
    conflicts: int = 0
    requests: int = 0
    added: int = 0
    superseded: int = 0  # waiting conflicts a newer conflict of this bundle replaced
    agreed: int = 0  # waiting conflicts the office's value now settles (it equals the CAIO's)
    gone: list[str] = field(default_factory=list)  # pilots the office changed that the CAIO no longer has
    pilots: dict[str, list[str]] = field(default_factory=dict)  # pilot -> what the merge did to it

    def summary(self) -> str:
        if self.already:
            copy = " (from another copy of it)" if self.another_copy else ""
            return f"bundle {self.head[:16]} of office {self.office!r} already merged{copy}; nothing changed"
        if self.older_than:
            return (
                f"bundle {self.head[:16]} of office {self.office!r} is older than bundle {self.older_than[:16]} "
                f"merged before ({self.older_events} events), which carried the office's changes since; "
                "nothing changed"
            )
        text = (
            f"merged office {self.office!r} (send {self.send_id}, head {self.head[:16]}): {self.changes} change(s), "
            f"{self.conflicts} conflict(s), {self.requests} stage request(s), {self.added} added"
        )
        return text + (f", {len(self.gone)} no longer in this portfolio" if self.gone else "")


@dataclass(frozen=True)
class Merged:
    """The bundle of a send merged last (office_bundle): the next must extend its chain."""

    head: str
    events: int


def last_merged(portfolio: Portfolio, send_id: str) -> Merged | None:
    row = portfolio.session.one(
        "SELECT head, events FROM office_bundle WHERE send_id = ? ORDER BY events DESC LIMIT 1", (send_id,)
    )
    return None if row is None else Merged(str(row["head"]), int(row["events"]))


def merge(
    portfolio: Portfolio,
    *,
    send_id: str,
    office: str,
    chain: ChainCheck,
    file_digest: Callable[[], str],
    batches: Iterable[Sequence[Carried]],
) -> MergeOutcome:
    """Merge the office's pilots (its carried ones, in batches) against the send's base. `chain` is the
    bundle's verified chain, read watching the length of the chain last merged from this send
    (`last_merged`); `file_digest` is the digest of the bytes read, known once the batches are done."""
    head, events = chain.prev, chain.count
    outcome = MergeOutcome(office, send_id, head)
    with portfolio.session.transaction():
        conn = portfolio.conn
        _sent_here(portfolio, send_id, office)
        last = last_merged(portfolio, send_id)
        if (last.events if last else None) != chain.watch:
            raise BundleRefused(
                f"another bundle of send {send_id} was merged while this one was read", next_step="merge it again"
            )
        known = conn.execute("SELECT file_digest FROM office_bundle WHERE head = ?", (head,)).fetchone()
        if known is not None:
            for _ in batches:  # verified whole before answering: a damaged or edited copy is not "merged"
                pass
            # Verified, it carries the state the head sealed, the one merged: a file that differs in its
            # bytes is another copy (the office bundled twice: another `written_at`), not another bundle.
            outcome.already, outcome.another_copy = True, known[0] != file_digest()
            return outcome
        if last is not None and chain.count < last.events:
            # Merging it would roll the newer values back. Not an error: a folder of an office's bundles
            # merged together (`merge bundles/*.json`) names the older ones too, in any order.
            for _ in batches:  # verified whole, as one merged before is
                pass
            outcome.older_than, outcome.older_events = last.head, last.events
            return outcome
        _extends(last, chain)
        conn.execute(
            "INSERT INTO office_bundle VALUES (?, ?, ?, ?, '', ?, 0, 0, 0, 0)",
            (head, send_id, portfolio.timestamp(), portfolio.actor, events),
        )
        batch = _Batch(portfolio, outcome)
        for chunk in batches:
            batch.merge(chunk)
        digest = file_digest()
        conn.execute(
            "UPDATE office_bundle SET file_digest = ?, changes = ?, conflicts = ?, requests = ?, added = ? "
            "WHERE head = ?",
            (digest, outcome.changes, outcome.conflicts, outcome.requests, outcome.added, head),
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
                "events": events,
                "file_digest": digest,
                "changes": outcome.changes,
                "conflicts": outcome.conflicts,
                "requests": outcome.requests,
                "added": outcome.added,
                "superseded": outcome.superseded,
                "agreed": outcome.agreed,
                "gone": outcome.gone,
                "pilots": outcome.pilots,
            },
            source=f"office {office}",
        )
    return outcome


def _sent_here(portfolio: Portfolio, send_id: str, office: str) -> None:
    """A bundle merges only in the portfolio that made its send (not in an office's, which opened one)."""
    own = office_of_portfolio(portfolio)
    if own is not None:
        raise BundleRefused(
            f"this is the portfolio of {office_named(own.office)} (from send {own.id}): "
            "merge its bundle in the CAIO's portfolio",
            next_step="",
        )
    sent = portfolio.conn.execute("SELECT office FROM office_send WHERE id = ?", (send_id,)).fetchone()
    if sent is None:
        raise BundleRefused(
            f"a bundle of send {send_id}, which this portfolio never sent",
            next_step="merge it in the portfolio that sent it",
        )
    if sent[0] != office:
        raise BundleRefused(f"send {send_id} went to office {sent[0]!r}, not {office!r}", next_step="")


def _extends(last: Merged | None, chain: ChainCheck) -> None:
    """The bundle's chain, at least as long as the one merged last from its send, must extend it: a fork (an
    office that restored a backup) would roll the merged values back."""
    if last is None:
        return
    if chain.watched != last.head:
        raise BundleRefused(
            f"its chain forks from the chain merged before (bundle {last.head[:16]}, {last.events} events)"
        )


class _Batch:
    """One batch of the office's pilots planned and applied (inside the merge's transaction)."""

    def __init__(self, portfolio: Portfolio, outcome: MergeOutcome) -> None:
        self.portfolio = portfolio
        self.conn = portfolio.conn
        self.outcome = outcome
        self.by = f"office {outcome.office}"
        self.now = portfolio.timestamp()
        self.items = {str(r[0]) for r in self.conn.execute("SELECT id FROM item")}
        self.categories = {str(r[0]): str(r[1]) for r in self.conn.execute("SELECT tag, category FROM blocker_tag")}

    def merge(self, chunk: Sequence[Carried]) -> None:
        office = {c.pilot_id: c.side for c in chunk}
        for pilot_id, side in office.items():
            self._known(pilot_id, side)
        ids = list(office)
        found = merge_read(self.conn, self.outcome.send_id, ids, self.categories)
        read = found.caio
        caio = {i: pilot.side for i, pilot in read.items()}
        plan = plan_merge(found.bases, caio, office)
        if plan.clashes:
            # Cannot happen with the send's id prefix (an office mints GMO-0001...): a bundle that does it
            # anyway is refused rather than folding two pilots into one.
            raise BundleRefused(
                f"{plan.clashes[0]}: the office created a pilot under an id this portfolio already holds"
            )
        self._check_first(plan, ids, found.digests)
        by_id = {c.pilot_id: c for c in chunk}
        requests = list(plan.requests)
        for pilot_id in plan.added:
            self._add(by_id[pilot_id].rows())
            self._did(pilot_id, "added")
            caio[pilot_id] = side_of(pilot_rows(self.conn, [pilot_id])[pilot_id])
            plan.conflicts += added_conflicts(pilot_id, caio[pilot_id], office[pilot_id])
            if office[pilot_id].stage != caio[pilot_id].stage:
                requests.append(StageRequest(pilot_id, caio[pilot_id].stage, office[pilot_id].stage))
        self._settle_waiting(plan.conflicts, caio, office)
        self._apply_all(plan.changes, read)
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
        self._request(requests, by_id)
        gone = set(plan.gone)
        put_base_texts(self.conn, self.outcome.send_id, {c.pilot_id: c.text for c in chunk if c.pilot_id not in gone})
        refresh_pilots(self.portfolio, list(plan.added))
        self.outcome.changes += len(plan.changes)
        self.outcome.conflicts += len(plan.conflicts)
        self.outcome.added += len(plan.added)
        self.outcome.gone += plan.gone

    def _apply_all(self, changes: Sequence[Change], read: Mapping[str, CaioPilot]) -> None:
        """Apply the changes: coverage and blockers a statement each (run once per kind of statement), each
        changed pilot's row ONE UPDATE, of its changed fields and of the derived columns and approval_stale
        the changes give it (derived_upkeep.refreshed, from the rows as read with the changes applied in
        memory, so the pilot's row, coverage and blockers are not read again)."""
        statements: dict[str, list[tuple[object, ...]]] = {}
        fields: dict[str, dict[str, object]] = {}
        for change in changes:
            pilot_id, kind, name, value = change.pilot_id, change.key.kind, change.key.name, change.value
            pilot = read[pilot_id]
            if kind == "field" and name in PILOT_FIELDS:
                stored = int(bool(value)) if name == "high_impact" else ("" if value is None else str(value))
                fields.setdefault(pilot_id, {})[name] = pilot.judged.row[name] = stored
            else:
                sql, values = self._apply(pilot_id, kind, name, value, pilot)
                statements.setdefault(sql, []).append(values)
            self._did(pilot_id, str(change.key))
        for sql, rows in statements.items():  # one (pilot, field) each: their order does not matter
            self.conn.executemany(sql, rows)
        derived = refreshed(self.portfolio, {c.pilot_id: read[c.pilot_id].judged for c in changes})
        update_pilots(self.portfolio, {i: {**fields.get(i, {}), **derived.get(i, {})} for i in {*fields, *derived}})

    def _check_first(self, plan: MergePlan, ids: list[str], read: Mapping[str, Mapping[str, bytes]]) -> None:
        """The seal's check of the groups this batch writes, a few statements per table instead of a
        trigger call per group: the tables each change writes (a pilot's row for its derived columns),
        every table of an added pilot, every carried pilot's base. `read`: the digests of the groups the
        batch read whole (every one of `ids` in those tables), nothing written since."""
        keeper = self.portfolio.session.seal
        tables: dict[str, set[str]] = {"pilot": set(plan.added), "coverage": set(plan.added)}
        tables.update(blocker=set(plan.added), stage_move=set(plan.added))
        for change in plan.changes:
            tables["pilot"].add(change.pilot_id)
            if change.key.kind in ("coverage", "blocker"):
                tables[change.key.kind].add(change.pilot_id)
        for table, groups in tables.items():
            keeper.check_groups(table, sorted(groups), read.get(table))
        keeper.check_groups("office_base", list(ids), read["office_base"])

    def _settle_waiting(
        self, new: Sequence[Conflict], caio: Mapping[str, PilotSide], office: Mapping[str, PilotSide]
    ) -> None:
        """Conflicts of these pilots still waiting from an earlier bundle of this send: one a new conflict
        of this bundle replaces is closed 'superseded'; one whose office value now equals the CAIO's is
        closed 'agreed' (never two waiting conflicts on one field, never one offering an abandoned value)."""
        fresh = {(c.pilot_id, c.key) for c in new}
        closed: list[tuple[str, int]] = []
        for pilot_id, conflict_id, kind, name in _waiting(self.conn, self.outcome.send_id, list(office)):
            key = FieldKey(kind, name)
            if (pilot_id, key) in fresh:
                closed.append(("superseded", conflict_id))
            elif pilot_id in caio and value_of(office[pilot_id], key) == value_of(caio[pilot_id], key):
                closed.append(("agreed", conflict_id))
        self.conn.executemany(
            "UPDATE office_conflict SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ?",
            [(self.now, self.by, how, conflict_id) for how, conflict_id in closed],
        )
        self.outcome.superseded += sum(how == "superseded" for how, _ in closed)
        self.outcome.agreed += sum(how == "agreed" for how, _ in closed)

    def _did(self, pilot_id: str, what: str) -> None:
        self.outcome.pilots.setdefault(pilot_id, []).append(what)

    def _known(self, pilot_id: str, side: PilotSide) -> None:
        """Items and tags are the CAIO's: a bundle naming one this portfolio lacks is refused whole."""
        for item in side.coverage:
            if item not in self.items:
                raise BundleRefused(f"{pilot_id}: unknown requirement item {item!r}", next_step="")
        for tag in side.open_blockers:
            if tag not in self.categories:
                raise BundleRefused(
                    f"{pilot_id}: unknown blocker tag {tag!r}", next_step="create the tag, then merge again"
                )

    def _apply(
        self, pilot_id: str, kind: str, name: str, value: object, pilot: CaioPilot
    ) -> tuple[str, tuple[object, ...]]:
        """The statement that applies one change of a coverage item or a blocker, and its values (the batch
        runs each statement once); the pilot's judged inputs take the change too."""
        judged = pilot.judged
        if kind == "coverage":
            status, evidence, justification = value if isinstance(value, tuple) else NOT_ASSESSED
            judged.statuses[name] = status
            return (
                "INSERT INTO coverage (pilot_id, item_id, status, evidence, justification, updated_at, updated_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pilot_id, item_id) DO UPDATE SET status = excluded.status, "
                "evidence = excluded.evidence, justification = excluded.justification, "
                "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (pilot_id, name, status, evidence, justification, self.now, self.by),
            )
        elif value is None:  # a blocker the office resolved
            judged.blockers[:] = [b for b in judged.blockers if b.tag != name]
            return (
                "UPDATE blocker SET resolved_at = ?, resolved_by = ?, resolution = ? "
                "WHERE pilot_id = ? AND tag = ? AND resolved_at IS NULL",
                (self.now, self.by, f"resolved by {self.by}", pilot_id, name),
            )
        elif name in pilot.side.open_blockers:  # open on both sides: the office rewrote its note
            return (
                "UPDATE blocker SET note = ? WHERE pilot_id = ? AND tag = ? AND resolved_at IS NULL",
                (str(value), pilot_id, name),
            )
        else:
            judged.blockers.append(open_blocker(name, self.categories[name], self.now))
            return (
                "INSERT INTO blocker (pilot_id, tag, note, opened_at, opened_by) VALUES (?, ?, ?, ?, ?)",
                (pilot_id, name, str(value), self.now, self.by),
            )

    def _add(self, whole: PilotRows) -> None:
        """A pilot the office created enters at intake, in the bundle's office, its rows naming the office
        as their source; a further stage arrives as a request, the gate's to pass."""
        first = whole.moves[0].moved_at if whole.moves else whole.pilot.stage_entered_at
        pilot = whole.pilot._replace(office=self.outcome.office, stage=Stage.INTAKE.value, stage_entered_at=first)
        insert(
            self.conn,
            PilotRows(
                pilot,
                [c._replace(updated_by=self.by) for c in whole.coverage],
                [b._replace(opened_by=self.by, resolved_by=self.by if b.resolved_at else "") for b in whole.blockers],
                [MoveRow(None, Stage.INTAKE.value, first, self.by, "", "[]")],
            ),
        )

    def _request(self, requests: list[StageRequest], by_id: Mapping[str, Carried]) -> None:
        """Each stage request with the office's words for its move (its override's justification)."""
        self.conn.executemany(
            "INSERT INTO office_request (pilot_id, bundle_head, office, current, requested, note) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    r.pilot_id,
                    self.outcome.head,
                    self.outcome.office,
                    r.current,
                    r.requested,
                    _words(by_id[r.pilot_id].rows(), r),
                )
                for r in requests
            ],
        )
        for r in requests:
            self._did(r.pilot_id, f"stage request {r.current} → {r.requested}")
        self.outcome.requests += len(requests)


def _words(whole: PilotRows, request: StageRequest) -> str:
    """The justification of the office's latest move to the stage it asks for ('' when it gave none)."""
    return next((m.override for m in reversed(whole.moves) if m.to_stage == request.requested), "")


def added_conflicts(pilot_id: str, caio: PilotSide, office: PilotSide) -> list[Conflict]:
    """An added pilot arrives in the bundle's office: the office it named instead waits as a conflict."""
    key = FieldKey("field", "office")
    theirs, ours = value_of(office, key), value_of(caio, key)
    return [] if theirs == ours else [Conflict(pilot_id, key, None, ours, theirs)]


def _waiting(conn: sqlite3.Connection, send_id: str, ids: Sequence[str]) -> list[tuple[str, int, FieldKind, str]]:
    """The waiting conflicts of these pilots from bundles of this send."""
    found: list[tuple[str, int, FieldKind, str]] = []
    for chunk in chunked(ids):
        marks = ", ".join("?" * len(chunk))
        sql = (
            "SELECT c.pilot_id, c.id, c.kind, c.name FROM office_conflict c JOIN office_bundle b "
            f"ON b.head = c.bundle_head WHERE c.resolved_at IS NULL AND b.send_id = ? AND c.pilot_id IN ({marks})"
        )
        found += [(str(r[0]), int(r[1]), r[2], str(r[3])) for r in conn.execute(sql, [send_id, *chunk])]
    return found


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
