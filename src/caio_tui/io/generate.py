"""Synthetic portfolios of any size, the same for the same seed: for trying the app at scale and for the
benchmarks.

The shape follows the civilian-agency sample (sample_portfolios/civilian-agency.toml): the share of pilots
per stage, how much of the production framework is assessed at each stage and with which statuses, which
blocker tags hold pilots back at each stage (identity gaps in pilots, logging and ATO gaps in readiness,
organizational ones throughout), about one in ten high-impact, and roughly a third of the pilots in
`pilot` and `readiness` past the stalled threshold. Names, offices and owners are drawn from word lists.

Times are laid out against `now` (days in stage, days ago), like the samples, so a generated portfolio
never ages; with the same seed and the same `now` the content is identical.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from caio_tui.domain.blockers import BUILTIN_TAGS
from caio_tui.domain.coverage import Catalog, CoverageStatus
from caio_tui.domain.defaults import default_catalog
from caio_tui.domain.stages import PIPELINE, Stage
from caio_tui.store import Portfolio
from caio_tui.store.bulk import NewBlocker, NewCoverage, NewMove, NewPilot, Progress, bulk_add

GENERATOR_ACTOR = "generator"
DEFAULT_SEED = 1
HIGH_IMPACT_SHARE = 0.10

_S = CoverageStatus


@dataclass(frozen=True)
class StageProfile:
    """How pilots in one stage look, calibrated on the civilian-agency sample."""

    share: float
    days: tuple[int, int]  # days in stage, uniform
    stalled_share: float  # of the pilots in a stallable stage, those past the threshold (181-720 days)
    assessed: tuple[int, int]  # production-framework items with a status
    statuses: dict[CoverageStatus, float]
    high_impact_assessed: tuple[int, int]  # M-25-21 practices with a status, for a high-impact pilot
    open_blockers: dict[int, float]  # how many open blockers -> weight
    resolved_blockers: dict[int, float]
    tags: dict[str, float]  # which tag -> weight


_IDENTITY = {
    "shared-service-account": 3,
    "personal-credentials": 3,
    "informal-access": 3,
    "no-provisioning-model": 2,
    "no-deprovisioning": 2,
    "ungoverned-system-identity": 2,
}
_ORGANIZATIONAL = {
    "program-office-resistance": 2,
    "skills-gap": 2,
    "no-executive-sponsor": 2,
    "leadership-attention-moved": 1,
    "budget-cycle-misaligned": 2,
}

PROFILES: dict[Stage, StageProfile] = {
    Stage.INTAKE: StageProfile(
        share=3 / 30,
        days=(10, 120),
        stalled_share=0,
        assessed=(0, 1),
        statuses={_S.PARTIAL: 1, _S.GAP: 1},
        high_impact_assessed=(0, 0),
        open_blockers={0: 2, 1: 1},
        resolved_blockers={0: 1},
        tags={"no-executive-sponsor": 3, "budget-cycle-misaligned": 1, "no-data-access-agreement": 1},
    ),
    Stage.POC: StageProfile(
        share=5 / 30,
        days=(30, 170),
        stalled_share=0,
        assessed=(3, 5),
        statuses={_S.GAP: 7, _S.MET: 6, _S.PARTIAL: 6},
        high_impact_assessed=(0, 2),
        open_blockers={0: 1, 1: 6, 2: 2},
        resolved_blockers={0: 1},
        tags={
            "personal-credentials": 3,
            "informal-access": 2,
            "no-governing-policy": 1,
            "no-data-access-agreement": 2,
            "skills-gap": 1,
            "budget-cycle-misaligned": 1,
        },
    ),
    Stage.PILOT: StageProfile(
        share=8 / 30,
        days=(20, 175),
        stalled_share=0.3,
        assessed=(7, 13),
        statuses={_S.MET: 46, _S.PARTIAL: 17, _S.GAP: 16, _S.NOT_APPLICABLE: 1},
        high_impact_assessed=(2, 5),
        open_blockers={0: 1, 1: 4, 2: 3},
        resolved_blockers={0: 5, 1: 1},
        tags={**_IDENTITY, **_ORGANIZATIONAL, "no-ato-pathway": 2, "verbal-approval-only": 2, "debug-only-logging": 1},
    ),
    Stage.READINESS: StageProfile(
        share=5 / 30,
        days=(40, 175),
        stalled_share=0.4,
        assessed=(15, 20),
        statuses={_S.MET: 74, _S.PARTIAL: 20, _S.GAP: 6, _S.WAIVED: 1, _S.NOT_APPLICABLE: 1},
        high_impact_assessed=(6, 8),
        open_blockers={0: 1, 1: 2, 2: 2},
        resolved_blockers={0: 3, 1: 2},
        tags={
            "debug-only-logging": 3,
            "no-data-access-agreement": 3,
            "no-ato-pathway": 3,
            "informal-access": 1,
            "shared-service-account": 1,
            **_ORGANIZATIONAL,
        },
    ),
    Stage.PRODUCTION: StageProfile(
        share=5 / 30,
        days=(90, 420),
        stalled_share=0,
        assessed=(20, 20),
        statuses={_S.MET: 100, _S.PARTIAL: 4, _S.GAP: 2, _S.NOT_APPLICABLE: 2},
        high_impact_assessed=(8, 8),
        open_blockers={0: 3, 1: 2},
        resolved_blockers={0: 2, 1: 3},
        tags={"bespoke-architecture": 3, "program-office-resistance": 2, "debug-only-logging": 1, "skills-gap": 1},
    ),
    Stage.SCALED: StageProfile(
        share=2 / 30,
        days=(60, 240),
        stalled_share=0,
        assessed=(20, 20),
        statuses={_S.MET: 39, _S.NOT_APPLICABLE: 1},
        high_impact_assessed=(8, 8),
        open_blockers={0: 1},
        resolved_blockers={0: 1, 1: 1},
        tags={"bespoke-architecture": 1, "no-provisioning-model": 1},
    ),
    Stage.RETIRED: StageProfile(
        share=2 / 30,
        days=(120, 600),
        stalled_share=0,
        assessed=(4, 7),
        statuses={_S.MET: 6, _S.PARTIAL: 2, _S.GAP: 2, _S.NOT_APPLICABLE: 1},
        high_impact_assessed=(0, 2),
        open_blockers={0: 1},
        resolved_blockers={0: 3, 1: 1},
        tags={"leadership-attention-moved": 2, "budget-cycle-misaligned": 2, "no-executive-sponsor": 1},
    ),
}

OFFICES = (
    "Office of Benefits Administration",
    "Office of Human Capital",
    "Grants Management Office",
    "Office of Public Engagement",
    "Office of the CIO",
    "Office of the Chief Financial Officer",
    "Office of Acquisition Management",
    "Office of Inspector General Liaison",
    "Office of General Counsel",
    "Office of Field Operations",
    "Office of Policy",
    "Office of Disability Programs",
    "Office of Veterans Services",
    "Office of Emergency Management",
    "Office of Records Management",
    "Office of Civil Rights",
    "Office of Facilities and Logistics",
    "Office of Data and Analytics",
    "Office of Enforcement",
    "Office of Program Integrity",
    "Office of Research and Evaluation",
    "Office of International Affairs",
    "Office of Small Business Programs",
    "Office of Legislative Affairs",
    "Office of Privacy and Disclosure",
    "Office of Security",
    "Region 1 Field Office",
    "Region 4 Field Office",
    "Region 6 Field Office",
    "Region 9 Field Office",
)

_TOPICS = (
    "Benefits", "Grant", "FOIA", "Payroll", "Procurement", "Inspection", "Permit", "Disability Claim", "Contact Center",
    "Fraud", "Records", "Help Desk", "HR Policy", "Audit Response", "Travel Voucher", "Invoice", "Contract",
    "Regulatory Comment", "Case File", "Eligibility", "Correspondence", "Veteran Appeal", "Language Access",
    "Workforce", "Facility Maintenance", "Emergency Alert", "Budget Justification", "Privacy Impact",
    "Security Incident", "Legislative Tracking", "Training Catalog", "Field Report", "Loan Application",
    "Tax Form", "Licensing", "Customer Feedback", "Dataset Catalog", "Policy Manual", "Site Visit", "Call Transcript",
)  # fmt: skip
_FUNCTIONS = (
    "Triage Classifier", "Summarizer", "Search", "Assistant", "Q&A Chatbot", "Redaction Assistant",
    "Anomaly Detection", "Forecasting", "Translation", "Drafting Assistant", "Routing", "Compliance Checker",
    "Pre-screening", "Deduplication", "Entity Extraction", "Link Analysis", "Risk Scoring", "Quality Review",
    "Document Intake", "Scheduling Optimizer",
)  # fmt: skip
_QUALIFIERS = ("", "", "", "", "", " (Phase 2)", " (Regional)", " Pilot", " v2", " for Field Staff")
_FIRST = (
    "Marisol", "Dwayne", "Priya", "Renee", "Thomas", "Angela", "Yolanda", "Samuel", "Denise", "Monique",
    "Hector", "Patricia", "Kevin", "Aisha", "Brian", "Chen", "Daniela", "Emeka", "Fatima", "Gregory",
    "Hannah", "Ibrahim", "Julia", "Kwame", "Laura", "Miguel", "Nadia", "Oscar", "Paula", "Quentin",
    "Rosa", "Sanjay", "Tamika", "Umar", "Valerie", "Wei", "Ximena", "Yusuf", "Zoe", "Arjun",
)  # fmt: skip
_LAST = (
    "Okafor", "Whitfield", "Raman", "Castellanos", "Bell", "Ruiz", "Pierce", "Adeyemi", "Albright", "Baptiste",
    "Villanueva", "Nwosu", "Anderson", "Brooks", "Chavez", "Dubois", "Eriksen", "Flores", "Goldberg", "Hughes",
    "Ivanova", "Jackson", "Kim", "Lopez", "Mensah", "Nakamura", "Olsen", "Patel", "Quinn", "Rahman",
    "Schwartz", "Tran", "Underwood", "Vasquez", "Washington", "Xu", "Yamamoto", "Zielinski", "Morales", "Singh",
)  # fmt: skip
_DESCRIPTIONS = (
    "Helps staff of the {office} work through their queue faster; a person reviews every result.",
    "Proposed by the {office} to cut a backlog; the model suggests, an analyst decides.",
    "Reads documents the {office} receives and flags what is missing or inconsistent.",
    "Answers staff questions from the {office}'s own guidance and cites the passage it used.",
    "Sorts incoming work for the {office} so it reaches the right team on the first try.",
)
_EVIDENCE = (
    "",
    "",
    "",
    "Memo on file with the program office",
    "Confirmed in the quarterly portfolio review",
    "Ticket in the ICAM queue",
    "Documented in the system security plan draft",
    "Checked by the ISSO",
    "Email from the data owner",
)
_NEEDS_JUSTIFICATION = frozenset(s for s in CoverageStatus if s.needs_justification)
_JUSTIFICATION = "Recorded by the portfolio generator: does not apply to this use case as scoped"


T = TypeVar("T")


@dataclass(frozen=True)
class _Weighted(Generic[T]):
    """Values with cumulative weights, drawn by bisection."""

    values: tuple[T, ...]
    cum: tuple[float, ...]

    @classmethod
    def of(cls, weights: dict[T, float]) -> _Weighted[T]:
        return cls(tuple(weights), tuple(itertools.accumulate(weights.values())))


class _Draw:
    """Random draws built on random.Random.random() alone. random's own choice(), randint(), sample() and
    choices() cost several times more per call, and a million pilots make some forty million draws."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed).random

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def choice(self, values: Sequence[T]) -> T:
        return values[int(self.random() * len(values))]

    def weighted(self, w: _Weighted[T]) -> T:
        return w.values[bisect.bisect(w.cum, self.random() * w.cum[-1])]

    def sample(self, values: Sequence[T], k: int) -> list[T]:
        """k different values (a partial Fisher-Yates shuffle)."""
        pool = list(values)
        n = len(pool)
        for i in range(k):
            j = i + int(self.random() * (n - i))
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]

    def distinct(self, w: _Weighted[T], k: int) -> list[T]:
        """k different values drawn by weight (a pilot has at most one open blocker per tag)."""
        k = min(k, len(w.values))
        chosen: list[T] = []
        while len(chosen) < k:
            value = self.weighted(w)
            if value not in chosen:
                chosen.append(value)
        return chosen


class Generator:
    """Yields pilots for a seed; `pilots(count)` is deterministic for (seed, now, catalog)."""

    def __init__(self, seed: int, now: datetime, catalog: Catalog | None = None) -> None:
        self.draw = _Draw(seed)
        self.now = now
        catalog = catalog or default_catalog()
        self.items = tuple(i.id for i in catalog.items(high_impact=False))
        self.high_impact_items = tuple(i.id for i in catalog.items() if i.id not in self.items)
        self.stages = _Weighted.of({s: p.share for s, p in PROFILES.items()})
        self.statuses = {s: _Weighted.of(dict(p.statuses)) for s, p in PROFILES.items()}
        self.open_counts = {s: _Weighted.of(dict(p.open_blockers)) for s, p in PROFILES.items()}
        self.resolved_counts = {s: _Weighted.of(dict(p.resolved_blockers)) for s, p in PROFILES.items()}
        self.tags = {s: _Weighted.of(dict(p.tags)) for s, p in PROFILES.items()}
        self.notes = {t.tag: t.description for t in BUILTIN_TAGS}
        # Zipf-like: a few offices run most of the pilots, as in any department.
        self.offices = _Weighted.of({o: 1 / (rank + 1) for rank, o in enumerate(OFFICES)})
        self.descriptions = {o: tuple(d.format(office=o) for d in _DESCRIPTIONS) for o in OFFICES}
        self._days = [now - timedelta(days=d) for d in range(0, 4000)]

    def ago(self, days: int) -> datetime:
        return self._days[days]

    def pilots(self, count: int, *, prefix: str = "AI-") -> Iterator[NewPilot]:
        width = max(4, len(str(count)))
        for number in range(1, count + 1):
            yield self.pilot(f"{prefix}{number:0{width}d}")

    def pilot(self, pilot_id: str) -> NewPilot:
        draw = self.draw
        stage = draw.weighted(self.stages)
        profile = PROFILES[stage]
        high_impact = draw.random() < HIGH_IMPACT_SHARE
        days = self._days_in_stage(profile)
        moves = self._moves(stage, days)
        office = draw.weighted(self.offices)
        return NewPilot(
            pilot_id,
            f"{draw.choice(_TOPICS)} {draw.choice(_FUNCTIONS)}{draw.choice(_QUALIFIERS)}",
            office,
            f"{draw.choice(_FIRST)} {draw.choice(_LAST)}",
            stage,
            high_impact,
            draw.choice(self.descriptions[office]),
            moves[0].moved_at,
            self._days[days],
            self._coverage(stage, profile, high_impact),
            self._blockers(stage, days),
            moves,
        )

    def _days_in_stage(self, profile: StageProfile) -> int:
        if profile.stalled_share and self.draw.random() < profile.stalled_share:
            return self.draw.between(181, 720)
        return self.draw.between(*profile.days)

    def _moves(self, stage: Stage, days: int) -> tuple[NewMove, ...]:
        """The road to the stage, oldest first: every pipeline stage before it, 20-200 days each."""
        if stage is Stage.RETIRED:
            path = (*PIPELINE[: self.draw.between(1, 5)], Stage.RETIRED)
        else:
            path = PIPELINE[: PIPELINE.index(stage) + 1]
        ages = [days]
        for _ in path[1:]:
            ages.append(ages[-1] + self.draw.between(20, 200))
        ages.reverse()
        return tuple(NewMove(path[i - 1] if i else None, step, self._days[ages[i]]) for i, step in enumerate(path))

    def _coverage(self, stage: Stage, profile: StageProfile, high_impact: bool) -> tuple[NewCoverage, ...]:
        draw = self.draw
        chosen = draw.sample(self.items, draw.between(*profile.assessed))
        if high_impact:
            chosen += draw.sample(self.high_impact_items, draw.between(*profile.high_impact_assessed))
        chosen.sort()
        # The innermost loop of a load (a dozen items a pilot): the draws are inlined.
        rand, bisect_right = draw.random, bisect.bisect_right
        weighted = self.statuses[stage]
        values, cum, total = weighted.values, weighted.cum, weighted.cum[-1]
        evidence, kinds = _EVIDENCE, len(_EVIDENCE)
        found = []
        for item in chosen:
            status = values[bisect_right(cum, rand() * total)]
            justification = _JUSTIFICATION if status in _NEEDS_JUSTIFICATION else ""
            found.append(NewCoverage(item, status, evidence[int(rand() * kinds)], justification))
        return tuple(found)

    def _blockers(self, stage: Stage, days: int) -> tuple[NewBlocker, ...]:
        draw = self.draw
        opened = draw.weighted(self.open_counts[stage])
        resolved = draw.weighted(self.resolved_counts[stage])
        if not opened + resolved:
            return ()
        found = []
        for index, tag in enumerate(draw.distinct(self.tags[stage], opened + resolved)):
            age = draw.between(1, days + 30)
            resolved_at = self._days[draw.below(age)] if index >= opened else None
            found.append(NewBlocker(tag, self.notes.get(tag, ""), self._days[age], resolved_at))
        return tuple(found)


def generate(
    portfolio: Portfolio,
    count: int,
    *,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
) -> int:
    """Fill an empty portfolio with `count` synthetic pilots (one transaction, one "generate" event)."""
    generator = Generator(seed, portfolio.clock(), portfolio.catalog())
    return bulk_add(
        portfolio,
        generator.pilots(count),
        action="generate",
        details={"seed": seed, "summary": f"generated {count} synthetic pilots from seed {seed}"},
        source=f"generate:seed={seed}",
        by=GENERATOR_ACTOR,
        progress=progress,
    )
