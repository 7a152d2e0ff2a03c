"""Identity evidence in snapshots: the links, the decided proposals and the identity rules when a version was
loaded. Not the exports' facts (a snapshot goes to leadership; the exports are imported again into the
loaded portfolio, and the decisions keep the same facts from being proposed again), nor the key people's
identifiers are hashed with (the facts it keys are not carried)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from caio_tui.domain.identity_rules import parse_identity_rules
from caio_tui.store.errors import StoreError
from caio_tui.store.identity import identity_rules, identity_rules_version

if TYPE_CHECKING:
    from caio_tui.store.portfolio import Portfolio


_LINK_COLUMNS = ("pilot_id", "vendor", "app_key", "app_name", "linked_at", "linked_by")
_DECISION_COLUMNS = (
    "pilot_id",
    "rule",
    "kind",
    "target",
    "status",
    "facts",
    "facts_digest",
    "files",
    "state",
    "proposed_at",
    "decided_at",
    "decided_by",
    "outcome",
)


def snapshot_part(portfolio: Portfolio) -> dict[str, Any] | None:
    """What a snapshot carries of the identity evidence (None: nothing): the links, the decided proposals
    and the rules when a version was loaded. Not the facts (import the exports again) nor the key."""
    read = portfolio.session.read
    links = [
        dict(zip(_LINK_COLUMNS, r, strict=True))
        for r in read(f"SELECT {', '.join(_LINK_COLUMNS)} FROM idp_link ORDER BY pilot_id, vendor, app_key")
    ]
    decisions = []
    for r in read(f"SELECT {', '.join(_DECISION_COLUMNS)} FROM idp_proposal WHERE state != 'pending' ORDER BY id"):
        row = dict(zip(_DECISION_COLUMNS, r, strict=True))
        decisions.append({**row, "files": json.loads(row["files"])})
    rules = identity_rules(portfolio).as_data() if identity_rules_version(portfolio) else None
    if not links and not decisions and rules is None:
        return None
    return {"rules": rules, "links": links, "decisions": decisions}


def load_snapshot_part(portfolio: Portfolio, held: dict[str, Any]) -> None:
    """A snapshot's identity part, inside the load's transaction (after its pilots)."""
    conn = portfolio.conn
    known = {r["id"] for r in portfolio.session.read("SELECT id FROM pilot")}
    for row in [*held.get("links", ()), *held.get("decisions", ())]:
        if row["pilot_id"] not in known:
            raise StoreError(
                f"the snapshot's identity evidence names pilot {row['pilot_id']!r}, which it does not hold"
            )
    if held.get("rules") is not None:
        rules = parse_identity_rules(held["rules"], source="the snapshot's identity rules")
        data = json.dumps(rules.as_data(), ensure_ascii=False)
        conn.execute("INSERT INTO identity_rules VALUES (1, ?, ?, ?)", (data, portfolio.timestamp(), portfolio.actor))
    conn.executemany(
        f"INSERT INTO idp_link ({', '.join(_LINK_COLUMNS)}) VALUES ({', '.join('?' * len(_LINK_COLUMNS))})",
        [[link[c] for c in _LINK_COLUMNS] for link in held.get("links", ())],
    )
    conn.executemany(
        f"INSERT INTO idp_proposal ({', '.join(_DECISION_COLUMNS)}) VALUES ({', '.join('?' * len(_DECISION_COLUMNS))})",
        [
            [json.dumps(d["files"]) if c == "files" else d[c] for c in _DECISION_COLUMNS]
            for d in held.get("decisions", ())
        ],
    )
