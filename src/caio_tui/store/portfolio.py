"""The repository: every read and write of a portfolio, as one object the CLI, the TUI and io use.

A facade: the work is done by modules with one job each, and this class holds what they share (the
session, the actor, the clock, the cached frameworks and gate rules):

- session.py: the connections, the write lock, transactions (with the state seal) and busy retries;
- pilot_list.py: the filtered, sorted list of pilots, its pages, counts and positions;
- writes.py: every change made one step at a time, each in one transaction with its audit event;
- undo.py (and undo_steps.py): reverting the actor's last change;
- identity_api.py: the identity evidence methods (store/identity*.py);
- bulk.py (loads into an empty portfolio), transfer.py (whole-portfolio reads), replace.py (a snapshot's
  contents), upsert.py (an inventory import in place) and inventory_rows.py (what imports keep beside it).

The reads of one pilot, of the portfolio's definitions and of its audit trail are here: a few lines each."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caio_tui.domain.filters import FilterVocabulary, PilotFilter
from caio_tui.domain.pilot_row import PilotRow
from caio_tui.domain.stages import DEFAULT_STALLED_DAYS, Stage, is_stalled
from caio_tui.domain.territory import CATEGORY_WEIGHT, BlockerCategory
from caio_tui.store import audit, derived_upkeep, rows, seal, seeding, writes
from caio_tui.store.database import connect
from caio_tui.store.errors import GateRefused, StoreError
from caio_tui.store.filter_words import FilterWords
from caio_tui.store.identity_api import IdentityMethods
from caio_tui.store.lazy import LazyModule
from caio_tui.store.pilot_list import PilotList
from caio_tui.store.queries import SortKey
from caio_tui.store.session import Session

if TYPE_CHECKING:
    import sqlite_utils

    from caio_tui.domain import staleness
    from caio_tui.domain.blockers import BlockerTag
    from caio_tui.domain.coverage import Catalog, CoverageStatus
    from caio_tui.domain.derived import Derivation
    from caio_tui.domain.gates import GateResult, GateRules
    from caio_tui.domain.history import AuditEvent
    from caio_tui.domain.pilots import Pilot, PilotFields, PilotRecord
    from caio_tui.store import models
    from caio_tui.store.overrides import GateOverride
else:
    # The models (pydantic) are imported at the first read or write that builds one, not at start-up: the
    # table's pages are PilotRows (see lazy.py).
    models = LazyModule("caio_tui.store.models")

__all__ = ["Clock", "GateRefused", "Portfolio"]

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Portfolio(IdentityMethods):
    """One portfolio file. Safe to share between the UI thread and workers (see Session): writes go
    through one write connection, one thread at a time; reads never wait for a worker's write."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        *,
        actor: str,
        stalled_days: int = DEFAULT_STALLED_DAYS,
        clock: Clock = _utcnow,
    ) -> None:
        self.session = Session(conn, path)
        self.path = path
        self.actor = actor
        self.stalled_days = stalled_days
        self.clock = clock
        self.seal = self.session.seal
        self.pilot_list = PilotList(self.session, clock, stalled_days)
        self.filter_words = FilterWords(self.session)
        self._catalog: Catalog | None = None
        self._derived: Derivation | None = None
        self._derived_for: Catalog | None = None
        self._derived_rules: GateRules | None = None
        self._rules: GateRules | None = None
        self._rules_at = 0  # the version of the cached rules: another program may load new ones

    # ---- opening -------------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        actor: str,
        create: bool = False,
        stalled_days: int = DEFAULT_STALLED_DAYS,
        clock: Clock = _utcnow,
        name: str | None = None,
    ) -> Portfolio:
        conn = connect(path, create=create)
        portfolio = cls(conn, path, actor=actor, stalled_days=stalled_days, clock=clock)
        try:
            if portfolio.meta("name") is None:
                seeding.seed(portfolio, name or path.stem)
            seeding.seal_if_never_sealed(portfolio)
            derived_upkeep.judge_unjudged(portfolio)
        except BaseException:
            conn.close()
            raise
        return portfolio

    @property
    def conn(self) -> sqlite3.Connection:
        """The write connection (the session's): write modules execute on it inside a transaction."""
        return self.session.conn

    @conn.setter
    def conn(self, conn: sqlite3.Connection) -> None:
        self.session.conn = conn

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils on the write connection (see Session.db)."""
        return self.session.db

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Portfolio:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ---- what the writing modules share ---------------------------------------------------------------

    def timestamp(self) -> str:
        """Now, by the portfolio's clock, in the file's text form."""
        return rows.timestamp(self.clock())

    def append_event(
        self,
        action: str,
        pilot_id: str | None,
        before: Any,
        after: Any,
        *,
        source: str = "",
        undoes: int | None = None,
    ) -> int:
        """The audit event of a write, by the portfolio's actor, now; inside the write's transaction."""
        return audit.append(
            self.conn,
            at=self.timestamp(),
            actor=self.actor,
            action=action,
            pilot_id=pilot_id,
            before=before,
            after=after,
            source=source,
            undoes=undoes,
        )

    def forget_catalog(self) -> None:
        """Read the frameworks again at their next use (a write replaced them)."""
        self._catalog = None

    def forget_rules(self) -> None:
        """Read the gate rules again at their next use (a write replaced them)."""
        self._rules = None

    def derivation(self) -> Derivation:
        """The derived-column calculator of the current catalog and rules (rebuilt when either is re-read)."""
        catalog, rules = self.catalog(), self.rules()
        if self._derived_for is not catalog or self._derived_rules is not rules:
            self._derived, self._derived_for = models.Derivation(catalog, rules), catalog
            self._derived_rules = rules
        assert self._derived is not None
        return self._derived

    # ---- portfolio-wide reads ------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.session.one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    @property
    def name(self) -> str:
        return self.meta("name") or self.path.stem

    def catalog(self) -> Catalog:
        if self._catalog is None:
            found = self.session.read("SELECT definition FROM framework ORDER BY position")
            frameworks = tuple(models.Framework.model_validate_json(r["definition"]) for r in found)
            self._catalog = models.Catalog(frameworks=frameworks)
        return self._catalog

    def rules(self) -> GateRules:
        version = self.rules_version()
        if self._rules is None or self._rules_at != version:
            row = self.session.one("SELECT rules FROM gate_rules ORDER BY version DESC LIMIT 1")
            self._rules = models.parse_rules(json.loads(row["rules"])) if row else models.default_rules()
            self._rules_at = version
        return self._rules

    def rules_version(self) -> int:
        row = self.session.one("SELECT max(version) AS v FROM gate_rules")
        return int(row["v"]) if row and row["v"] is not None else 0

    def tags(self) -> list[BlockerTag]:
        return [
            rows.tag(r) for r in self.session.read("SELECT * FROM blocker_tag ORDER BY builtin DESC, category, tag")
        ]

    def tag(self, tag: str) -> BlockerTag:
        row = self.session.one("SELECT * FROM blocker_tag WHERE tag = ?", (tag,))
        if row is None:
            raise StoreError(f"unknown blocker tag {tag!r} (see the tag list, or create it with a category)")
        return rows.tag(row)

    def data_version(self) -> int:
        """Changes when another connection commits: the TUI polls it to notice other processes."""
        return self.session.data_version()

    # ---- the pilot list (pilot_list.py) ----------------------------------------------------------------

    def gate_overrides(self, limit: int = 10) -> tuple[int, list[GateOverride]]:
        """How many moves overrode their gate, and the newest `limit` (store/overrides.py)."""
        from caio_tui.store.overrides import gate_overrides

        return gate_overrides(self, limit)

    def stage_counts(self, pilot_filter: PilotFilter | None = None) -> dict[Stage, int]:
        return self.pilot_list.stage_counts(pilot_filter)

    def filter_vocabulary(self, *, offices: bool = True) -> FilterVocabulary:
        """The blocker tags and offices a filter may name (filter_words.py), for its "did you mean"."""
        return self.filter_words.vocabulary(offices=offices)

    def count(self, pilot_filter: PilotFilter | None = None) -> int:
        return self.pilot_list.count(pilot_filter)

    def longest_id(self) -> int:
        """How many characters the longest pilot id has (0 without pilots): what the ID column needs."""
        return self.pilot_list.longest_id()

    def page(
        self,
        pilot_filter: PilotFilter | None = None,
        *,
        sort: SortKey = SortKey.ID,
        descending: bool = False,
        offset: int = 0,
        limit: int = 100,
    ) -> list[Pilot]:
        found = self.pilot_list.page(pilot_filter, sort, descending, offset, limit, rows.PILOT_COLUMNS)
        return [rows.pilot(r) for r in found]

    def table_page(
        self,
        pilot_filter: PilotFilter | None = None,
        *,
        sort: SortKey = SortKey.ID,
        descending: bool = False,
        offset: int = 0,
        limit: int = 100,
    ) -> list[PilotRow]:
        """A page as the table lists it: PilotRows, built without pydantic (see domain/pilot_row.py)."""
        found = self.pilot_list.page(pilot_filter, sort, descending, offset, limit, rows.ROW_COLUMNS)
        return [rows.pilot_row(r) for r in found]

    def page_after(
        self,
        pilot_filter: PilotFilter | None = None,
        *,
        sort: SortKey = SortKey.ID,
        descending: bool = False,
        after: Pilot | PilotRow | None = None,
        limit: int = 100,
    ) -> list[PilotRow]:
        """The `limit` pilots that follow `after` in the filtered, sorted list (the first ones without
        `after`). Keyset paging: a page deep in a million pilots costs what the first one does, where
        page(offset=) reads every row before it. `after` is a pilot as a page returned it (its sort value
        is taken from it); it need not be in the list any more."""
        return self.pilot_list.keyset_page(pilot_filter, sort, descending, after, limit, backwards=False)

    def page_before(
        self,
        pilot_filter: PilotFilter | None = None,
        *,
        sort: SortKey = SortKey.ID,
        descending: bool = False,
        before: Pilot | PilotRow | None = None,
        limit: int = 100,
    ) -> list[PilotRow]:
        """The `limit` pilots just before `before` in the filtered, sorted list, in list order; without
        `before`, the last `limit` pilots of the list (its end, read as fast as its start)."""
        return self.pilot_list.keyset_page(pilot_filter, sort, descending, before, limit, backwards=True)[::-1]

    def pilots(
        self, pilot_filter: PilotFilter | None = None, *, sort: SortKey = SortKey.ID, descending: bool = False
    ) -> list[Pilot]:
        return self.page(pilot_filter, sort=sort, descending=descending, limit=-1)

    def position(
        self,
        pilot_id: str,
        pilot_filter: PilotFilter | None = None,
        *,
        sort: SortKey = SortKey.ID,
        descending: bool = False,
    ) -> int | None:
        """Where a pilot stands in the filtered, sorted list: how many listed pilots come before it (None
        when it is not in the list)."""
        return self.pilot_list.position(pilot_id, pilot_filter, sort, descending)

    def days_in_stage(self, pilot: Pilot | PilotRow) -> int:
        return pilot.days_in_stage(self.clock())

    def is_stalled(self, pilot: Pilot | PilotRow) -> bool:
        return is_stalled(pilot.stage, self.days_in_stage(pilot), self.stalled_days)

    # ---- one pilot -----------------------------------------------------------------------------------

    def get(self, pilot_id: str) -> Pilot:
        row = self.session.one(f"SELECT {rows.PILOT_COLUMNS} FROM pilot WHERE id = ?", (pilot_id,))
        if row is None:
            raise StoreError(f"no pilot with id {pilot_id!r}")
        return rows.pilot(row)

    def record(self, pilot_id: str) -> PilotRecord:
        """A pilot with its coverage, blockers (open and resolved) and stage history."""
        pilot = self.get(pilot_id)
        read = self.session.read
        coverage = {
            c.item: c for c in map(rows.coverage, read("SELECT * FROM coverage WHERE pilot_id = ?", (pilot_id,)))
        }
        found_blockers = read(
            "SELECT b.*, t.category FROM blocker b JOIN blocker_tag t USING (tag) WHERE pilot_id = ? ORDER BY b.id",
            (pilot_id,),
        )
        moves = read("SELECT * FROM stage_move WHERE pilot_id = ? ORDER BY id", (pilot_id,))
        return models.PilotRecord(
            pilot=pilot,
            coverage=coverage,
            blockers=tuple(map(rows.blocker, found_blockers)),
            stage_history=tuple(map(rows.stage_move, moves)),
        )

    def open_blocker_tags(self, pilot_ids: Sequence[str]) -> dict[str, list[str]]:
        """Open blocker tags of each pilot, most important first (one query for a whole page)."""
        if not pilot_ids:
            return {}
        marks = ", ".join("?" * len(pilot_ids))
        found = self.session.read(
            f"SELECT b.pilot_id, b.tag, t.category, b.opened_at FROM blocker b JOIN blocker_tag t USING (tag) "
            f"WHERE b.resolved_at IS NULL AND b.pilot_id IN ({marks})",
            list(pilot_ids),
        )
        weight = CATEGORY_WEIGHT
        ordered = sorted(found, key=lambda r: (weight[BlockerCategory(r["category"])], r["opened_at"], r["tag"]))
        result: dict[str, list[str]] = {pid: [] for pid in pilot_ids}
        for r in ordered:
            if r["tag"] not in result[r["pilot_id"]]:
                result[r["pilot_id"]].append(r["tag"])
        return result

    def check_gate(self, pilot_id: str, to_stage: Stage | None = None) -> GateResult:
        record = self.record(pilot_id)
        target = to_stage or record.pilot.stage.next()
        if target is None:
            raise StoreError(f"{pilot_id} is {record.pilot.stage.value}: there is no stage after it")
        return models.evaluate(record, target, self.rules(), self.catalog())

    def decided_state(self, pilot_id: str) -> staleness.DecidedState | None:
        """The state the gate decision of the pilot's last move was made on, or of its latest re-check
        (None: the move crossed no gate)."""
        last = self.session.one(
            "SELECT coalesce((SELECT r.decided_state FROM gate_recheck r WHERE r.move_id = m.id ORDER BY r.id DESC "
            "LIMIT 1), m.decided_state) AS decided_state FROM stage_move m WHERE m.pilot_id = ? ORDER BY m.id DESC "
            "LIMIT 1",
            (pilot_id,),
        )
        if last is None or not last["decided_state"]:
            return None
        return models.staleness.DecidedState.model_validate_json(last["decided_state"])

    # ---- the audit trail and the file's health -------------------------------------------------------

    def history(self, pilot_id: str | None = None, limit: int | None = None) -> list[AuditEvent]:
        """The events, or those of one pilot: its own and the office merges that name it in `pilots`."""
        # Two indexed reads (audit_by_pilot, and the partial index of the merges), not an OR that reads every event.
        where = (
            " WHERE id IN (SELECT id FROM audit_event WHERE pilot_id = ? UNION ALL SELECT id FROM audit_event"
            " WHERE action = 'office_merge' AND json_type(after, ?) IS NOT NULL)"
        )
        sql = "SELECT * FROM audit_event" + (where if pilot_id else "") + " ORDER BY id DESC"
        params: list[Any] = [pilot_id, "$.pilots." + json.dumps(pilot_id)] if pilot_id else []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [rows.audit_event(r) for r in self.session.read(sql, params)][::-1]

    def verify_chain(self) -> tuple[int, audit.ChainBreak | None]:
        with self.session.lock:
            return audit.verify_chain(self.conn)

    def check_state(self) -> seal.StateReport:
        """Every row against the state seal and the chain's recorded state (store/seal.py)."""
        with self.session.lock:  # one walk at a time, on one state of the file
            return seal.check_state(self.conn)

    def audit_head(self) -> tuple[int, str]:
        """(number of the newest audit event, its hash): the anchor to note outside the file."""
        row = self.session.one("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")
        return (0, audit.GENESIS) if row is None else (int(row["id"]), str(row["hash"]))

    def event_with_hash(self, head: str) -> int | None:
        """The number of the event whose hash is `head` (or begins with it: 16 or more hex digits)."""
        if len(head) == 64:
            found = self.session.one("SELECT id FROM audit_event WHERE hash = ?", (head,))
        else:
            found = self.session.one("SELECT id FROM audit_event WHERE substr(hash, 1, ?) = ?", (len(head), head))
        return None if found is None else int(found["id"])

    def integrity_problems(self) -> list[str]:
        """SQLite's own integrity and foreign-key checks; empty when both hold."""
        read = self.session.read
        problems = [r[0] for r in read("PRAGMA integrity_check") if r[0] != "ok"]
        problems += [f"{r[0]} row {r[1]} refers to a missing {r[2]}" for r in read("PRAGMA foreign_key_check")]
        return problems

    # ---- writes (writes.py, undo.py) -------------------------------------------------------------------

    def add_pilot(self, fields: PilotFields, *, stage: Stage = Stage.INTAKE, pilot_id: str | None = None) -> str:
        return writes.add_pilot(self, fields, stage=stage, pilot_id=pilot_id)

    def edit_pilot(self, pilot_id: str, **changes: Any) -> None:
        writes.edit_pilot(self, pilot_id, changes)

    def set_coverage(
        self,
        pilot_id: str,
        item_id: str,
        status: CoverageStatus,
        *,
        evidence: str | None = None,
        justification: str | None = None,
    ) -> None:
        writes.set_coverage(self, pilot_id, item_id, status, evidence=evidence, justification=justification)

    def create_tag(
        self, tag: str, category: BlockerCategory, *, areas: Sequence[str] = (), description: str = ""
    ) -> None:
        writes.create_tag(self, tag, category, areas=areas, description=description)

    def open_blocker(self, pilot_id: str, tag: str, *, note: str = "") -> int:
        return writes.open_blocker(self, pilot_id, tag, note=note)

    def resolve_blocker(self, pilot_id: str, tag: str, *, resolution: str = "") -> None:
        """Resolve the open `tag` blocker; `resolution` says how it was resolved (optional)."""
        writes.resolve_blocker(self, pilot_id, tag, resolution=resolution)

    def move(self, pilot_id: str, to_stage: Stage, *, override: str | None = None) -> GateResult:
        """Move a pilot through the gate. A refused gate raises GateRefused unless a written override
        justification is given; the override and its reasons stay in the history and the audit trail."""
        return writes.move(self, pilot_id, to_stage, override=override)

    def import_records(self, records: Sequence[PilotRecord], *, source: str, tags: Sequence[BlockerTag] = ()) -> int:
        """Add whole pilots (with coverage, blockers and history) in one transaction and one event, which
        lists the pilots and the tags it added: undo removes them all."""
        return writes.import_records(self, records, source=source, tags=tags)

    def undo(self, expected: int | None = None) -> AuditEvent | None:
        """Revert the current actor's last change as a new event; None when there is nothing to undo (see
        store/undo.py). `expected`: the event the user confirmed; refused if another is now last."""
        from caio_tui.store import undo  # its steps import the models: not at start-up

        return undo.undo(self, expected)

    def next_undo(self) -> AuditEvent | None:
        """The change `undo` would revert now, or None."""
        from caio_tui.store import undo

        return undo.next_undo(self)
