"""The briefing's "Below their gate" section: pilots standing at a stage whose gates they would fail
today ("in production, but it would not pass the production gate today"), furthest along first, each with
the rules it fails. Counted over every pilot from the facts the briefing streams (domain.derived's
GateStanding, the same judgement the store keeps in pilot.below_gate); the failing rules are worked out
(domain.gates.standing) only for the pilots the section shows.

The briefing reads the count and the pilots to show from that column (store.transfer.below_gate_pilots:
judging 100,000 pilots again cost about 0.4 s of a briefing); it counts here only while some pilot is
still to judge.
"""

from __future__ import annotations

from dataclasses import dataclass

from caio_tui.domain.coverage import Catalog
from caio_tui.domain.derived import GateStanding, OpenBlocker
from caio_tui.domain.gates import GateRules, standing
from caio_tui.domain.leverage import GateFacts
from caio_tui.domain.stages import Stage
from caio_tui.store import Portfolio
from caio_tui.store.transfer import read_records

BELOW_GATE_SHOWN = 15


@dataclass(frozen=True)
class BelowGate:
    id: str
    name: str
    office: str
    stage: Stage
    failures: tuple[str, ...]  # "production #1: every item ... : 3 item(s) below met: ..."


class BelowGateCounter:
    """Fed every pilot's gate facts; keeps the count and the pilots to show."""

    def __init__(self, rules: GateRules, catalog: Catalog) -> None:
        self.rules, self.catalog = rules, catalog
        self.standing = GateStanding(rules, catalog)
        self.found: list[tuple[int, str]] = []  # (-stage position, id): furthest along first, then by id

    def add(self, pilot_id: str, facts: GateFacts) -> None:
        open_blockers = [OpenBlocker(tag, category, "") for tag, category in facts.open_blockers]
        if self.standing.below(facts.stage, facts.statuses, facts.high_impact, open_blockers, facts.fields):
            self.found.append((-facts.stage.position, pilot_id))

    def ids(self) -> list[str]:
        """The pilots to show."""
        return [pilot_id for _, pilot_id in sorted(self.found)[:BELOW_GATE_SHOWN]]


def below_gate_shown(portfolio: Portfolio, ids: list[str], rules: GateRules, catalog: Catalog) -> list[BelowGate]:
    """The pilots to show, in this order, with the rules each fails (read whole: a few of them)."""
    shown = []
    for record in read_records(portfolio, ids):
        result = standing(record, rules, catalog)
        p = record.pilot
        failures = tuple(f"{f.rule}: {f.reason}" for f in result.failures)
        shown.append(BelowGate(p.id, p.name, p.office, p.stage, failures))
    order = {pilot_id: index for index, pilot_id in enumerate(ids)}
    return sorted(shown, key=lambda s: order[s.id])
