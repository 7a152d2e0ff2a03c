"""What an office bundle leaves waiting, written straight into a portfolio for the tests of the conflicts
queue: a send, a merged bundle, its conflicts and stage requests, inside the store's write transaction (so
the state seal holds and `verify` passes), without building a bundle file and merging it."""

from __future__ import annotations

from dataclasses import dataclass, field

from caio_tui.domain.office_merge import FieldKind, Value
from caio_tui.domain.office_values import to_json
from caio_tui.store import Portfolio

HEAD = "b" * 64  # the bundle's head: the hash of the office's newest event


@dataclass
class Waiting:
    office: str = "Office of Benefits"
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
            "INSERT INTO office_send VALUES (?, ?, ?, ?, ?)", (send_id, waiting.office, now, "tester", "a" * 64)
        )
        conn.execute(
            "INSERT INTO office_bundle VALUES (?, ?, ?, ?, ?, 0, ?, ?, 0)",
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
