"""Sample portfolios: readable TOML files shipped in the package, loaded through the store's import.

Times in a sample are relative ("days_in_stage", "days_ago") so a sample never ages: it is laid out
against the day it is loaded.
"""

from __future__ import annotations

import itertools
import tomllib
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from caio_tui.domain.blockers import Blocker, BlockerTag
from caio_tui.domain.coverage import Coverage, CoverageStatus
from caio_tui.domain.pilots import Pilot, PilotRecord, StageMove
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory
from caio_tui.resources import sample_files
from caio_tui.store import Portfolio, StoreError

SAMPLE_ACTOR = "sample"


class SampleCoverage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: CoverageStatus
    evidence: str = ""
    justification: str = ""


class SampleBlocker(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tag: str
    note: str = ""
    days_ago: int = Field(ge=0)
    resolved_days_ago: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _resolved_after_opened(self) -> SampleBlocker:
        if self.resolved_days_ago is not None and self.resolved_days_ago > self.days_ago:
            raise ValueError(f"{self.tag}: resolved ({self.resolved_days_ago} days ago) before it was opened")
        return self


class SampleMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: Stage
    days_ago: int = Field(ge=0)
    override: str = ""


class SamplePilot(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    office: str = ""
    owner: str = ""
    stage: Stage
    high_impact: bool = False
    description: str = ""
    days_in_stage: int = Field(ge=0)
    history: list[SampleMove] = []
    override: str = ""
    coverage: dict[str, CoverageStatus | SampleCoverage] = {}
    blockers: list[SampleBlocker] = []

    @model_validator(mode="after")
    def _history_in_order(self) -> SamplePilot:
        days = [m.days_ago for m in self.history] + [self.days_in_stage]
        if any(a <= b for a, b in itertools.pairwise(days)):
            raise ValueError(f"{self.id}: history must run oldest first, before days_in_stage")
        return self


class SampleTag(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tag: str
    category: BlockerCategory
    areas: tuple[str, ...] = ()
    description: str = ""


class SampleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["caio-tui-sample"]
    version: Literal[1]
    name: str
    description: str = ""
    tags: list[SampleTag] = []
    pilots: list[SamplePilot]


def sample_names() -> list[str]:
    return sorted(sample_files())


def read_sample(name: str) -> SampleFile:
    found = sample_files()
    if name not in found:
        raise StoreError(f"no sample named {name!r}; samples: {', '.join(sorted(found))}")
    try:
        return SampleFile.model_validate(tomllib.loads(found[name].read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise StoreError(f"sample {name}: {exc}") from None


def _coverage(item: str, value: CoverageStatus | SampleCoverage, at: datetime) -> Coverage:
    entry = value if isinstance(value, SampleCoverage) else SampleCoverage(status=value)
    return Coverage(
        item=item,
        status=entry.status,
        evidence=entry.evidence,
        justification=entry.justification,
        updated_at=at,
        updated_by=SAMPLE_ACTOR,
    )


def to_records(sample: SampleFile, now: datetime, tags: dict[str, BlockerCategory]) -> list[PilotRecord]:
    """Lay a sample out against `now`; tags maps every known tag to its category."""
    records = []
    for p in sample.pilots:
        entered = now - timedelta(days=p.days_in_stage)
        steps = [*p.history, SampleMove(stage=p.stage, days_ago=p.days_in_stage, override=p.override)]
        created = now - timedelta(days=steps[0].days_ago)
        moves = tuple(
            StageMove(
                pilot_id=p.id,
                from_stage=steps[i - 1].stage if i else None,
                to_stage=step.stage,
                moved_at=now - timedelta(days=step.days_ago),
                actor=SAMPLE_ACTOR,
                override=step.override,
            )
            for i, step in enumerate(steps)
        )
        blockers = tuple(
            Blocker(
                id=0,
                pilot_id=p.id,
                tag=b.tag,
                category=tags[b.tag],
                note=b.note,
                opened_at=now - timedelta(days=b.days_ago),
                opened_by=SAMPLE_ACTOR,
                resolved_at=None if b.resolved_days_ago is None else now - timedelta(days=b.resolved_days_ago),
                resolved_by="" if b.resolved_days_ago is None else SAMPLE_ACTOR,
            )
            for b in p.blockers
        )
        pilot = Pilot(
            id=p.id,
            name=p.name,
            office=p.office,
            owner=p.owner,
            stage=p.stage,
            high_impact=p.high_impact,
            description=p.description,
            created_at=created,
            stage_entered_at=entered,
        )
        coverage = {item: _coverage(item, value, entered) for item, value in p.coverage.items()}
        records.append(PilotRecord(pilot=pilot, coverage=coverage, blockers=blockers, stage_history=moves))
    return records


def load_sample(portfolio: Portfolio, name: str) -> int:
    """Add a sample's pilots to a portfolio (in one transaction); returns how many."""
    sample = read_sample(name)
    custom = [BlockerTag(tag=t.tag, category=t.category, areas=t.areas, description=t.description) for t in sample.tags]
    known = {t.tag: t.category for t in portfolio.tags()} | {t.tag: t.category for t in custom}
    unknown = sorted({b.tag for p in sample.pilots for b in p.blockers} - set(known))
    if unknown:
        raise StoreError(f"sample {name}: unknown blocker tag(s) {', '.join(unknown)}")
    records = to_records(sample, portfolio.clock(), known)
    return portfolio.import_records(records, source=f"sample:{name}", tags=custom)
