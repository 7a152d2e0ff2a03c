"""What the Pipeline board shows, read from the store: a lane per stage holding a bounded window of cards
(longest in the stage first), and the pages read as a lane scrolls. No widget here: plain data, read in
workers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from caio_tui.domain.filters import PilotFilter
from caio_tui.domain.pilots import Pilot
from caio_tui.domain.stages import PIPELINE, Stage
from caio_tui.domain.territory import BlockerCategory
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.queries import SortKey

LANES: tuple[Stage, ...] = (*PIPELINE, Stage.RETIRED)
# Longest in its stage first (days in stage, most first): what is stuck is on top, stalled pilots first.
LANE_SORT = SortKey.DAYS
MIN_WINDOW = 1


@dataclass(frozen=True)
class Card:
    """One pilot as its card shows it."""

    id: str
    name: str
    office: str
    readiness: float
    blockers: tuple[BlockerCategory, ...]  # one per open blocker, most important first
    days: int
    stalled: bool
    stale: bool
    below_gate: bool = False  # stands at a stage whose gates it would fail today


@dataclass
class Lane:
    """One stage of the board: how many pilots it holds, and a bounded window of them read from the store.

    `cards` holds the pilots at positions start .. start + len(cards) - 1 of the lane's order; `top` is the
    first position shown and `cursor` the focused one."""

    stage: Stage
    total: int = 0
    start: int = 0
    cards: list[Card] = field(default_factory=list)
    top: int = 0
    cursor: int = 0

    def card(self, position: int) -> Card | None:
        index = position - self.start
        return self.cards[index] if 0 <= index < len(self.cards) else None

    def covers(self, first: int, count: int) -> bool:
        """Whether the window holds every card from `first` for `count` cards (or to the lane's end)."""
        last = min(self.total, first + count)
        return self.start <= first and last <= self.start + len(self.cards)

    def clamp(self) -> None:
        self.cursor = max(0, min(self.cursor, self.total - 1))
        self.top = max(0, min(self.top, self.cursor))


@dataclass(frozen=True)
class BoardData:
    """One read of the board: the lanes' counts and windows, the header's numbers, where a followed pilot is."""

    lanes: dict[Stage, Lane]
    total: int
    stalled: int
    stale: int
    below_gate: int = 0
    followed: tuple[Stage, int] | None = None


def lane_filter(pilot_filter: PilotFilter, stage: Stage) -> PilotFilter | None:
    """The filter of one lane; None when the filter's own stages (or `-stage:`) leave this lane out."""
    if pilot_filter.stages and stage not in pilot_filter.stages:
        return None
    if pilot_filter.excluded is not None and stage in pilot_filter.excluded.stages:
        return None
    return replace(pilot_filter, stages=(stage,))


def read_cards(portfolio: Portfolio, pilots: Sequence[Pilot], categories: dict[str, BlockerCategory]) -> list[Card]:
    tags = portfolio.open_blocker_tags([p.id for p in pilots])
    now = portfolio.clock()
    return [
        Card(
            id=p.id,
            name=p.name,
            office=p.office,
            readiness=p.readiness,
            blockers=tuple(categories.get(t, BlockerCategory.ORGANIZATIONAL) for t in tags.get(p.id, [])),
            days=p.days_in_stage(now),
            stalled=portfolio.is_stalled(p),
            stale=p.approval_stale,
            below_gate=p.below_gate,
        )
        for p in pilots
    ]


def read_window(
    portfolio: Portfolio, pilot_filter: PilotFilter, stage: Stage, start: int, limit: int
) -> tuple[int, list[Card]]:
    """A window of one lane (runs in a worker): the first position read and its cards."""
    wanted = lane_filter(pilot_filter, stage)
    if wanted is None:
        return 0, []
    pilots = portfolio.page(wanted, sort=LANE_SORT, descending=True, offset=start, limit=limit)
    categories = {t.tag: t.category for t in portfolio.tags()}
    return start, read_cards(portfolio, pilots, categories)


def read_board(
    portfolio: Portfolio,
    pilot_filter: PilotFilter,
    windows: dict[Stage, tuple[int, int, int]],
    follow: str | None,
    buffer: int,
) -> BoardData:
    """Every lane's count and window (runs in a worker). `windows` gives each lane's (top, cursor, window
    height) to keep; a `follow`ed pilot (one just moved) gets the focus wherever it now is."""
    counts = portfolio.stage_counts(pilot_filter)
    categories = {t.tag: t.category for t in portfolio.tags()}
    followed: tuple[Stage, int] | None = None
    if follow is not None:
        followed = _find(portfolio, pilot_filter, follow)
    lanes: dict[Stage, Lane] = {}
    for stage in LANES:
        top, cursor, height = windows.get(stage, (0, 0, MIN_WINDOW))
        lane = Lane(stage, total=counts.get(stage, 0), top=top, cursor=cursor)
        if followed is not None and followed[0] is stage:
            lane.cursor = followed[1]
        lane.clamp()
        if lane.cursor >= lane.top + height:
            lane.top = lane.cursor - height + 1
        wanted = lane_filter(pilot_filter, stage)
        if lane.total and wanted is not None:
            lane.start = max(0, lane.top - height)
            pilots = portfolio.page(wanted, sort=LANE_SORT, descending=True, offset=lane.start, limit=buffer)
            lane.cards = read_cards(portfolio, pilots, categories)
        lanes[stage] = lane
    return BoardData(
        lanes=lanes,
        total=sum(counts.values()),
        stalled=portfolio.count(replace(pilot_filter, stalled=True)),
        stale=portfolio.count(replace(pilot_filter, approval_stale=True)),
        below_gate=portfolio.count(replace(pilot_filter, below_gate=True)),
        followed=followed,
    )


def _find(portfolio: Portfolio, pilot_filter: PilotFilter, pilot_id: str) -> tuple[Stage, int] | None:
    try:
        stage = portfolio.get(pilot_id).stage
    except StoreError:
        return None
    wanted = lane_filter(pilot_filter, stage)
    if wanted is None:
        return None
    position = portfolio.position(pilot_id, wanted, sort=LANE_SORT, descending=True)
    return None if position is None else (stage, position)


__all__ = ["LANES", "LANE_SORT", "BoardData", "Card", "Lane", "lane_filter", "read_board", "read_cards", "read_window"]
