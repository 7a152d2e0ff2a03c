"""An OMB inventory row as the pilot an import compares field by field (IncomingPilot): what the row says
over what the portfolio knows, with the facts the portfolio's inventory mapping derives from it
(io/inventory_facts.py). A blank answer is unknown, never "no": the pilot keeps its value; a status a person
set is never replaced: the row's reading is kept beside it (pilot.extra[REPORTED_KEY]). io/inventory.py
imports whole files with it; io/inventory_review.py links the rows an import held."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from caio_tui.domain.coverage import Catalog, Coverage, CoverageStatus
from caio_tui.domain.inventory_mapping import REPORTED_KEY
from caio_tui.domain.pilots import PilotRecord
from caio_tui.domain.stages import Stage
from caio_tui.domain.text import clip
from caio_tui.io.inventory_facts import RowFacts, RowReader
from caio_tui.io.omb import AS_GIVEN_KEY, ATO_GRANTED, OmbFormat, OmbRecord
from caio_tui.io.omb.records import OMB_ID_KEY, ROW_KEY
from caio_tui.store import Portfolio
from caio_tui.store.inventory_mapping import current_mapping
from caio_tui.store.upsert import DERIVED_PREFIX, IncomingPilot

# Columns whose text describes what the use case does, most specific first.
_DESCRIPTION_KEYS = ("problem_solved", "Summary", "benefits")


def row_reader(portfolio: Portfolio, fmt: OmbFormat, source: str) -> RowReader:
    """What derives a row's facts: the portfolio's inventory mapping, for rows of `source` in format `fmt`."""
    items = frozenset(i.id for i in portfolio.catalog().items())
    return RowReader(current_mapping(portfolio).mapping, fmt, Path(source).name, portfolio.clock().date(), items)


def incoming_pilot(
    rec: OmbRecord,
    current: PilotRecord | None,
    catalog: Catalog,
    fmt: OmbFormat,
    source: str,
    reader: RowReader,
    headers: dict[str, str],
    *,
    as_of: datetime | None = None,
) -> tuple[IncomingPilot, RowFacts]:
    """What the inventory row says the pilot is, keeping the portfolio's value wherever the row is silent
    or says the same at its own (coarser) granularity, with the facts the mapping derives from it."""
    old = current.pilot if current else None
    # A blank (or 2023's absent) high-impact answer is unknown: the pilot keeps what it was.
    if fmt is OmbFormat.Y2023 or "high_impact" in rec.unknown:
        high_impact = bool(old and old.high_impact)
    else:
        high_impact = rec.high_impact
    stage = Stage.INTAKE if old is None else old.stage
    if rec.stage is not None:
        reported = Stage(rec.stage)
        if old is None or old.stage.omb_2025 != reported.omb_2025:
            stage = reported
    description = next((rec.extra[k] for k in _DESCRIPTION_KEYS if rec.extra.get(k, "").strip()), "")
    assessed = {
        item: c.status
        for item, c in (current.coverage.items() if current else ())
        if c.status is not CoverageStatus.NOT_ASSESSED and not c.updated_by.startswith(DERIVED_PREFIX)
    }
    facts = reader.facts(rec.keyed, rec.source_row, stage, high_impact, headers, assessed)
    author = DERIVED_PREFIX + Path(source).name
    coverage, disagreeing = _coverage(facts, current, author, source)
    extra = _extra(rec, old.extra if old else {})
    if disagreeing:
        extra[REPORTED_KEY] = disagreeing
    else:
        extra.pop(REPORTED_KEY, None)
    entered = datetime.combine(facts.entered, datetime.min.time(), UTC) if facts.entered else None
    pilot = IncomingPilot(
        id=rec.id,
        name=rec.name or (old.name if old else f"Unnamed use case {rec.id}"),
        office=rec.office or (old.office if old else ""),
        owner=rec.owner or (old.owner if old else ""),
        high_impact=high_impact,
        description=clip(description, 100_000) or (old.description if old else ""),
        stage=stage,
        extra=extra,
        coverage=coverage,
        blockers=tuple(facts.blockers),
        derived_by=author,
        entered_at=entered,
        as_of=as_of,
    )
    return pilot, facts


def _extra(rec: OmbRecord, old: dict[str, object]) -> dict[str, object]:
    """The row's columns kept for the next export over what the pilot knew (a blank cell, absent from
    ``rec.extra``, never erases an earlier answer), and which of its cells that start like a formula it
    gave (replacing what an earlier import gave: the inventory imported last is the one the export answers
    for). The agency's id is kept when the pilot's own id is another (a row linked by name)."""
    extra: dict[str, object] = {k: v for k, v in old.items() if k not in (AS_GIVEN_KEY, ROW_KEY)}
    extra.update((k, v) for k, v in rec.extra.items() if k != AS_GIVEN_KEY)
    if rec.given:
        extra[AS_GIVEN_KEY] = dict(rec.given)
    if rec.given_id and rec.given_id != rec.id:
        extra[OMB_ID_KEY] = rec.given_id
    return extra


def _coverage(
    facts: RowFacts, current: PilotRecord | None, author: str, source: str
) -> tuple[dict[str, Coverage], dict[str, str]]:
    """The statuses the row derives, each with its provenance as evidence and the file as its author; and,
    where a person's status says otherwise, the row's reading ("met: OMB 2025 inventory: ...") to show
    beside it (a person's status is never replaced: upsert._compare holds that too)."""
    found: dict[str, Coverage] = {}
    reported: dict[str, str] = {}
    for item, derived in facts.coverage.items():  # items of the portfolio's catalog only (RowReader)
        status = derived.status
        old = current.coverage.get(item) if current else None
        old_status = old.status if old else CoverageStatus.NOT_ASSESSED
        if _same_at_omb_granularity(item, status, old_status):
            continue
        if (
            old is not None
            and old_status is not CoverageStatus.NOT_ASSESSED
            and not old.updated_by.startswith(DERIVED_PREFIX)
        ):
            reported[item] = f"{status.value}: {derived.evidence}"
            continue
        justification = f"reported in the OMB inventory {source}" if status.needs_justification else ""
        found[item] = Coverage(
            item=item, status=status, evidence=derived.evidence, justification=justification, updated_by=author
        )
    return found, reported


def _same_at_omb_granularity(item: str, reported: CoverageStatus, current: CoverageStatus) -> bool:
    if reported is current:
        return True
    # "have_ato: No" says the ATO is not granted; a package in progress (partial) says the same.
    not_granted = (CoverageStatus.GAP, CoverageStatus.PARTIAL)
    return item == ATO_GRANTED and reported in not_granted and current in not_granted
