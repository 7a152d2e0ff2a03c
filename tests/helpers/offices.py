"""What an office bundle leaves waiting, for the tests of the conflicts queue: `merged_portfolio` makes it
the real way (send, the office's changes, bundle, merge); `seed_waiting` writes chosen conflicts and
requests straight into a portfolio (kinds a real round makes slowly or not at all), inside the store's
write transaction (so the state seal holds and `verify` passes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.office_merge import FieldKind, Value
from caio_tui.domain.office_values import to_json
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.io.offices import merge_file, open_send_file, write_bundle, write_send
from caio_tui.store import Portfolio
from helpers import NOW

OFFICE = "Office of Benefits"

HEAD = "b" * 64  # the bundle's head: the hash of the office's newest event


@dataclass
class Waiting:
    office: str = OFFICE
    conflicts: list[tuple[str, FieldKind, str, Value, Value, Value]] = field(default_factory=list)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # pilot, current, requested

    def conflict(self, pilot_id: str, kind: FieldKind, name: str, base: Value, caio: Value, office: Value) -> Waiting:
        self.conflicts.append((pilot_id, kind, name, base, caio, office))
        return self

    def request(self, pilot_id: str, current: str, requested: str) -> Waiting:
        self.requests.append((pilot_id, current, requested))
        return self


def seed_waiting(portfolio: Portfolio, waiting: Waiting, *, head: str = HEAD) -> tuple[list[int], list[int]]:
    """Write one merged bundle with these conflicts and requests; their ids."""
    conn, now = portfolio.conn, portfolio.timestamp()
    send_id = f"send-{head[:8]}"
    with portfolio.session.transaction():
        conn.execute(
            "INSERT INTO office_send VALUES (?, ?, ?, ?, ?, ?)",
            (send_id, waiting.office, now, "tester", "a" * 64, f"T{head[:4].upper()}-"),
        )
        conn.execute(
            "INSERT INTO office_bundle VALUES (?, ?, ?, ?, ?, 1, 0, ?, ?, 0)",
            (head, send_id, now, "tester", "c" * 64, len(waiting.conflicts), len(waiting.requests)),
        )
        conflict_ids = [
            int(
                conn.execute(
                    "INSERT INTO office_conflict (pilot_id, bundle_head, kind, name, base, caio, office) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (pilot_id, head, kind, name, to_json(base), to_json(caio), to_json(office)),
                ).lastrowid
                or 0
            )
            for pilot_id, kind, name, base, caio, office in waiting.conflicts
        ]
        request_ids = [
            int(
                conn.execute(
                    "INSERT INTO office_request (pilot_id, bundle_head, office, current, requested) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (pilot_id, head, waiting.office, current, requested),
                ).lastrowid
                or 0
            )
            for pilot_id, current, requested in waiting.requests
        ]
        portfolio.append_event("office_merge", None, None, {"summary": f"merged a bundle of {waiting.office}"})
    return conflict_ids, request_ids


def merged_portfolio(folder: Path, *, pilot_name: str = "Claims [red]triage") -> Path:
    """A CAIO's portfolio after a real round: a send to the Office of Benefits, the office's changes in its
    own portfolio, its bundle merged back. Three of P-1's fields conflict (both sides changed them
    differently): 1 its access.roles item, 2 its description, 3 its owner; its audit.activity item changed on
    the office's side only (applied); the office moved P-2 to poc (stage request 1)."""
    caio_path, office_path = folder / "caio.db", folder / "office.db"
    with Portfolio.open(caio_path, actor="tester", create=True, clock=lambda: NOW) as caio:
        caio.add_pilot(PilotFields(name=pilot_name, office=OFFICE, owner="Ann", high_impact=True), pilot_id="P-1")
        caio.add_pilot(PilotFields(name="Fraud screening", office=OFFICE, owner="Ann"), pilot_id="P-2")
        with (folder / "send.json").open("wb") as out:
            write_send(caio, OFFICE, out)
    with Portfolio.open(office_path, actor="office-lead", create=True, clock=lambda: NOW) as office:
        open_send_file(office, folder / "send.json", source="send.json")
        office.edit_pilot("P-1", owner="Cy", description="theirs")
        office.set_coverage("P-1", "access.roles", CoverageStatus.MET, evidence="IAM catalog", justification=None)
        office.set_coverage("P-1", "audit.activity", CoverageStatus.PARTIAL, evidence="", justification=None)
        office.move("P-2", Stage.POC)
        with (folder / "bundle.json").open("wb") as out:
            write_bundle(office, out)
    with Portfolio.open(caio_path, actor="tester", clock=lambda: NOW) as caio:
        caio.edit_pilot("P-1", owner="Bo", description="ours")
        caio.set_coverage("P-1", "access.roles", CoverageStatus.GAP, evidence="", justification=None)
        merge_file(caio, folder / "bundle.json", source="bundle.json")
    return caio_path
