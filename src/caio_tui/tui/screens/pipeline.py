"""The Pipeline view (key `2`): the board of pilots by stage, and the gated moves between stages.

One lane per stage, intake to scaled, each headed by its count; retired is collapsed into its count at
the right and opens with `enter`. A card shows a pilot's name, office, readiness bar and one glyph per
open blocker (by category), its days in stage, and marks for a stalled pilot and a stale approval.
`h` `j` `k` `l` (or the arrows) move the focus; `>` `<` (or `L` `H`) move the focused pilot through the
gate with the gate modal; `enter` opens the pilot; `/` filters with the same tokens as the table.

A lane never holds its whole stage: it keeps a bounded window of cards read from the store page by page
(longest in the stage first), says how many more there are, and scrolls by reading the next page. Reading runs in
workers, so a 100,000-pilot portfolio draws its board as fast as a small one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, ClassVar, cast

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from caio_tui.domain.filters import PilotFilter
from caio_tui.domain.pilots import Pilot
from caio_tui.domain.stages import PIPELINE, Stage
from caio_tui.domain.territory import BlockerCategory
from caio_tui.domain.text import clip, printable, readiness_bar
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.queries import SortKey
from caio_tui.tui.keymap import ViewBar
from caio_tui.tui.pilot_source import short_office
from caio_tui.tui.screens.detail import PilotDetailScreen
from caio_tui.tui.screens.gate import ask_move
from caio_tui.tui.screens.view import ViewScreen
from caio_tui.tui.widgets.filter_bar import FilterBar, FilterInput
from caio_tui.tui.widgets.quiet_footer import QuietFooter

if TYPE_CHECKING:
    from caio_tui.tui.app import CaioApp

LANES: tuple[Stage, ...] = (*PIPELINE, Stage.RETIRED)
# Longest in its stage first (days in stage, most first): what is stuck is on top, stalled pilots first.
LANE_SORT = SortKey.DAYS
CARD_LINES = 4  # name, office, readiness and blockers, days and marks
CARD_GAP = 1
HEAD_LINES = 2  # the stage with its count, and a rule
MIN_WINDOW = 1
BUFFER_PAGES = 3  # a lane reads this many screens of cards at once, so most scrolling needs no query
LOADING_AFTER_S = 0.1
COLLAPSED_WIDTH = 9
NARROW_LANE = 15  # below this many cells a card uses its short words
SHORT_LABEL: dict[Stage, str] = {
    Stage.INTAKE: "Intake",
    Stage.POC: "PoC",
    Stage.PILOT: "Pilot",
    Stage.READINESS: "Readiness",
    Stage.PRODUCTION: "Production",
    Stage.SCALED: "Scaled",
    Stage.RETIRED: "Retired",
}

CATEGORY_GLYPH: dict[BlockerCategory, str] = {
    BlockerCategory.IDENTITY: "◆",
    BlockerCategory.INFRASTRUCTURE: "■",
    BlockerCategory.GOVERNANCE: "▲",
    BlockerCategory.ORGANIZATIONAL: "●",
}
CATEGORY_STYLE: dict[BlockerCategory, str] = {
    BlockerCategory.IDENTITY: "$text-error",
    BlockerCategory.INFRASTRUCTURE: "$text-error",
    BlockerCategory.GOVERNANCE: "$text-error",
    BlockerCategory.ORGANIZATIONAL: "$text-warning",
}
MUTED = "$text-muted"
STALLED_STYLE = "bold $text-warning"
STALE_STYLE = "bold $text-error"
FOCUS_STYLE = "on $primary 25%"
FOCUS_BLURRED_STYLE = "on $primary 10%"
FILTER_HINT = "enter: board · esc: clear · stage: blocker: territory: office: stalled high-impact stale"
FILTER_PLACEHOLDER = "text, stage:pilot, blocker:TAG, office:…, stalled, high-impact, stale"


# ---- what the board shows ----------------------------------------------------------------------------


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
    followed: tuple[Stage, int] | None = None


def lane_filter(pilot_filter: PilotFilter, stage: Stage) -> PilotFilter | None:
    """The filter of one lane; None when the filter's own stages leave this lane out."""
    if pilot_filter.stages and stage not in pilot_filter.stages:
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


# ---- drawing a card --------------------------------------------------------------------------------------


def blocker_glyphs(blockers: Sequence[BlockerCategory], room: int) -> Content:
    """One glyph per open blocker, coloured by category; `+N` when they do not all fit in `room` cells."""
    if not blockers or room <= 0:
        return Content("")
    shown = list(blockers) if len(blockers) <= room else list(blockers[: max(0, room - 2)])
    parts: list[Content | tuple[str, str] | str] = [(CATEGORY_GLYPH[c], CATEGORY_STYLE[c]) for c in shown]
    if len(shown) < len(blockers):
        parts.append((f"+{len(blockers) - len(shown)}", MUTED))
    return Content.assemble(*parts)


def _marks(card: Card, room: int) -> Content:
    """Days in stage, then the stalled and stale marks in the longest words that fit in `room` cells."""
    days = f"{card.days}d"
    stalled = [" stalled", "!"] if card.stalled else [""]
    stale = [" approval stale", " stale", " ✗"] if card.stale else [""]
    for stalled_word in stalled:
        for stale_word in stale:
            if len(days) + len(stalled_word) + len(stale_word) <= room:
                return Content.assemble((days, MUTED), (stalled_word, STALLED_STYLE), (stale_word, STALE_STYLE))
    # No room for everything: the marks first, so the days are what gets cut.
    return Content.assemble((stalled[-1].strip(), STALLED_STYLE), (stale[-1].strip(), STALE_STYLE), " ", (days, MUTED))


def card_lines(card: Card, width: int) -> list[Content]:
    """The card's four lines, each exactly `width` cells: a gutter marking a stalled pilot or a stale
    approval, then the name; the office; the readiness bar; the blocker glyphs with days in stage and the
    marks."""
    narrow = width < NARROW_LANE
    inner = max(1, width - 2)
    gutter_style = STALE_STYLE if card.stale else STALLED_STYLE if card.stalled else ""
    gutter = Content.styled("▌", gutter_style) if gutter_style else Content(" ")
    percent = f" {round(card.readiness * 100):>3}%"
    bar = readiness_bar(card.readiness, max(2, min(12, inner - len(percent))))
    glyphs = blocker_glyphs(card.blockers, min(6, inner // 3))
    spacer = " " if glyphs.cell_length else ""
    office = printable(short_office(card.office) if narrow else card.office) or "—"
    rows = [
        Content.styled(printable(card.name), "bold"),
        Content.styled(office, MUTED),
        Content.assemble((bar, "$text-success"), (percent, MUTED)),
        Content.assemble(glyphs, spacer, _marks(card, inner - glyphs.cell_length - len(spacer))),
    ]
    return [Content.assemble(gutter, " ", row.truncate(inner, ellipsis=True, pad=True)) for row in rows]


def window_size(height: int) -> int:
    """How many cards a lane of `height` rows shows, keeping a row above and below for the more-counts."""
    room = height - HEAD_LINES - 2
    return max(MIN_WINDOW, (room + CARD_GAP) // (CARD_LINES + CARD_GAP))


# ---- widgets ---------------------------------------------------------------------------------------------


class LaneView(Widget):
    """One lane, drawn from its Lane: the heading, a window of cards, and how many more above and below."""

    DEFAULT_CSS = """
    LaneView {
        width: 1fr;
        height: 1fr;
        border-right: vkey $panel-lighten-2;
    }
    LaneView.-retired {
        border-right: none;
    }
    LaneView.-retired.-collapsed {
        width: 9;
    }
    """

    class Clicked(Message):
        """A card (or the collapsed lane) was clicked."""

        def __init__(self, stage: Stage, position: int | None) -> None:
            super().__init__()
            self.stage = stage
            self.position = position

    def __init__(self, stage: Stage) -> None:
        super().__init__(id=f"lane-{stage.value}", classes=f"lane -{stage.value}")
        self.lane = Lane(stage)
        self.focused_lane = False
        self.board_focused = True
        self.loading_window = False
        if stage is Stage.RETIRED:
            self.add_class("-collapsed")

    @property
    def collapsed(self) -> bool:
        return self.has_class("-collapsed")

    @property
    def window(self) -> int:
        return window_size(self.size.height or 24)

    def show(self, lane: Lane) -> None:
        self.lane = lane
        self.refresh()

    def render(self) -> Content:
        width = max(4, self.size.width - 1)
        lane = self.lane
        if self.collapsed:
            return self._collapsed(width)
        lines = [self._heading(width), Content.styled("─" * width, MUTED)]
        if lane.total == 0:
            lines.append(Content.styled("  no pilots", MUTED))
            return Content("\n").join(lines)
        shown = min(self.window, lane.total - lane.top)
        lines.append(Content.styled(f"  ↑ {lane.top:,} more", MUTED) if lane.top else Content(""))
        for index, position in enumerate(range(lane.top, lane.top + shown)):
            if index:
                lines += [Content("")] * CARD_GAP
            lines += self._card(position, width)
        below = lane.total - lane.top - shown
        if below > 0:
            lines.append(Content.styled(f"  +{below:,} more", MUTED))
        return Content("\n").join(lines)

    def _heading(self, width: int) -> Content:
        """The stage and its count; a short name for the stage when the long one leaves no room."""
        count = f"{self.lane.total:,}"
        label = self.lane.stage.label
        gap = "  "
        if len(label) + len(gap) + len(count) > width - 1:
            label, gap = SHORT_LABEL[self.lane.stage], " "
        # The count always shows; a label without room for it gives way.
        label = clip(label, max(1, width - 1 - len(gap) - len(count)))
        return Content.assemble(" ", (label, "bold"), gap, (count, "bold $text-accent")).truncate(width)

    def _card(self, position: int, width: int) -> list[Content]:
        card = self.lane.card(position)
        if card is None:
            return [Content.styled("…", MUTED)] + [Content("")] * (CARD_LINES - 1)
        rows = card_lines(card, width)
        if self.focused_lane and position == self.lane.cursor:
            style = FOCUS_STYLE if self.board_focused else FOCUS_BLURRED_STYLE
            rows = [row.stylize_before(style) for row in rows]
        return rows

    def _collapsed(self, width: int) -> Content:
        style = FOCUS_STYLE if self.focused_lane and self.board_focused else ""
        lines = [
            Content.styled(" Retired", "bold"),
            Content.styled("─" * width, MUTED),
            Content.styled(f" {self.lane.total:,}", "bold $text-accent"),
            Content(""),
            Content.styled(" ⏎ open", MUTED),
        ]
        return Content("\n").join(line.truncate(width, pad=True).stylize_before(style) for line in lines)

    def position_at(self, y: int) -> int | None:
        """The card position drawn at row y, if any."""
        row = y - HEAD_LINES - 1
        if row < 0 or self.collapsed:
            return None
        slot, line = divmod(row, CARD_LINES + CARD_GAP)
        position = self.lane.top + slot
        if line >= CARD_LINES or slot >= self.window or position >= self.lane.total:
            return None
        return position

    def on_click(self, event: events.Click) -> None:
        self.post_message(self.Clicked(self.lane.stage, self.position_at(event.y)))


class Board(Horizontal, can_focus=True):
    """The lanes side by side; it holds the focus so the board's keys reach the screen."""

    DEFAULT_CSS = """
    Board {
        height: 1fr;
    }
    """


class BoardFilter(FilterInput):
    """The filter line of the board: the shared filter input, its keys named for the board."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter,down", "done", "Board", tooltip="Apply the filter and go to the board", id="pipeline.filter.done"
        ),
        Binding("escape", "clear", "Clear", tooltip="Clear the filter", id="pipeline.filter.clear"),
    ]


# ---- the screen ------------------------------------------------------------------------------------------


class PipelineScreen(ViewScreen):
    """The board: lanes of cards, the focus on one card, gated moves between lanes."""

    DEFAULT_CSS = """
    PipelineScreen #pipeline-summary {
        height: 1;
        padding: 0 1;
    }
    PipelineScreen #pipeline-name {
        width: 1fr;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    PipelineScreen #pipeline-totals {
        width: auto;
        padding-left: 2;
    }
    PipelineScreen #pipeline-legend {
        height: 1;
        padding: 0 1;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("h,left", "lane(-1)", "Left", show=False, tooltip="The lane to the left", id="pipeline.left"),
        Binding("l,right", "lane(1)", "Right", show=False, tooltip="The lane to the right", id="pipeline.right"),
        Binding("k,up", "card(-1)", "Up", show=False, tooltip="The card above", id="pipeline.up"),
        Binding("j,down", "card(1)", "Down", show=False, tooltip="The card below", id="pipeline.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, tooltip="A lane's screen up", id="pipeline.page_up"),
        Binding(
            "pagedown", "page(1)", "Page down", show=False, tooltip="A lane's screen down", id="pipeline.page_down"
        ),
        Binding("g,home", "ends(-1)", "First", show=False, tooltip="The lane's first card", id="pipeline.first"),
        Binding("G,end", "ends(1)", "Last", show=False, tooltip="The lane's last card", id="pipeline.last"),
        Binding("enter", "open", "Open", tooltip="Open the pilot (on Retired: show its pilots)", id="pipeline.open"),
        Binding("greater_than_sign,L", "move(1)", "Promote", tooltip="Promote through the gate", id="pipeline.promote"),
        Binding("less_than_sign,H", "move(-1)", "Demote", tooltip="Demote to the stage before", id="pipeline.demote"),
        Binding("slash", "filter", "Filter", tooltip="Filter: free text and stage:, blocker:, …", id="pipeline.filter"),
        Binding("escape", "escape", "Clear", tooltip="Clear the filter, or close Retired", id="pipeline.escape"),
    ]

    def __init__(self, portfolio: Portfolio) -> None:
        super().__init__(id="pipeline-view")
        self.portfolio = portfolio
        self.portfolio_name = portfolio.name
        self.pilot_filter = PilotFilter()
        self.lane_index = 0
        self.data: BoardData | None = None
        self._serial = 0
        self._lane_serial: dict[Stage, int] = {}
        self._loading_timer: Timer | None = None
        self._follow: str | None = None  # a pilot just moved: the next load puts the focus on it
        self._stale = False  # the store changed while the board was hidden: read it when shown

    @property
    def caio(self) -> CaioApp:
        return cast("CaioApp", self.app)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one("#pipeline-filter-area", FilterBar)

    # ---- building --------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ViewBar("pipeline")
        with Horizontal(id="pipeline-summary"):
            yield Static(Content.styled(printable(self.portfolio_name), "bold"), id="pipeline-name")
            yield Static(Content.styled("loading…", MUTED), id="pipeline-totals")
        yield FilterBar(
            prefix="pipeline-filter",
            hint=FILTER_HINT,
            placeholder=FILTER_PLACEHOLDER,
            input_type=BoardFilter,
            on_applied=self._filter_applied,
        )
        with Board(id="board"):
            for stage in LANES:
                yield LaneView(stage)
        yield Static(self._legend(self.app.size.width), id="pipeline-legend")
        yield QuietFooter(compact=True)

    def on_mount(self) -> None:
        self.board.focus()
        self._mark_focus()
        self.load()

    @property
    def board(self) -> Board:
        return self.query_one("#board", Board)

    def lane_view(self, stage: Stage) -> LaneView:
        return self.query_one(f"#lane-{stage.value}", LaneView)

    @property
    def stage(self) -> Stage:
        return LANES[self.lane_index]

    def _legend(self, width: int = 120) -> Content:
        """What the glyphs and marks mean; in short words on a narrow terminal."""
        short = width < 110
        names = {
            BlockerCategory.IDENTITY: "identity",
            BlockerCategory.INFRASTRUCTURE: "infra" if short else "infrastructure",
            BlockerCategory.GOVERNANCE: "gov" if short else "governance",
            BlockerCategory.ORGANIZATIONAL: "org" if short else "organizational",
        }
        glyphs: list[Content | tuple[str, str] | str] = []
        for category in BlockerCategory:
            glyphs += [(CATEGORY_GLYPH[category], CATEGORY_STYLE[category]), f" {names[category]}  "]
        return Content.assemble(
            *glyphs,
            ("▌", STALLED_STYLE),
            " stalled  ",
            ("▌", STALE_STYLE),
            " approval stale",
        )

    # ---- loading -----------------------------------------------------------------------------------------

    def _buffer(self, window: int) -> int:
        return max(window * BUFFER_PAGES, 12)

    def load(self, *, follow: str | None = None) -> None:
        """Read the board in a worker, keeping each lane where it was; the focus goes to `follow` (or to a
        pilot an earlier, superseded load was to follow)."""
        self._follow = follow or self._follow
        follow = self._follow
        self._stale = False
        self._serial += 1
        windows = {}
        for stage in LANES:
            view = self.lane_view(stage)
            windows[stage] = (view.lane.top, view.lane.cursor, view.window)
        window = max(w for _t, _c, w in windows.values())
        if self._loading_timer is None:
            self._loading_timer = self.set_timer(LOADING_AFTER_S, self._show_loading)
        self.filter_bar.hold()  # typing meanwhile waits for this load
        self._load(self.pilot_filter, windows, follow, self._buffer(window), self._serial)

    @work(exclusive=True, group="pipeline.load")
    async def _load(
        self,
        pilot_filter: PilotFilter,
        windows: dict[Stage, tuple[int, int, int]],
        follow: str | None,
        buffer: int,
        serial: int,
    ) -> None:
        try:
            data = await asyncio.to_thread(read_board, self.portfolio, pilot_filter, windows, follow, buffer)
        except StoreError as exc:
            if serial == self._serial:
                self._loaded()
                self.notify(str(exc), title="Cannot read the portfolio", severity="error", markup=False)
            return
        if serial != self._serial:
            return
        if self._loaded():
            return  # the filter typed meanwhile loads now (following the same pilot): this board is stale
        self._follow = None
        self._show(data)

    def _show_loading(self) -> None:
        self._loading_timer = None
        self.board.loading = True

    def _loaded(self) -> bool:
        """The load is over; True when the filter typed meanwhile starts the next one."""
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None
        self.board.loading = False
        return self.filter_bar.release()

    def set_busy(self, busy: bool) -> None:
        self.board.loading = busy

    def _show(self, data: BoardData) -> None:
        self.data = data
        if data.followed is not None:
            stage, _position = data.followed
            if stage is Stage.RETIRED:
                self.lane_view(Stage.RETIRED).remove_class("-collapsed")
            self.lane_index = LANES.index(stage)
        for stage, lane in data.lanes.items():
            self.lane_view(stage).show(lane)
        self._show_totals()
        self._mark_focus()
        self.refresh_bindings()

    def _show_totals(self) -> None:
        data = self.data
        if data is None:
            return
        parts: list[Content | tuple[str, str] | str] = [(f"{data.total:,}", "bold"), " pilots"]
        if not self.pilot_filter.is_empty:
            parts.append(" shown")
        if data.stalled:
            parts += [" · ", (f"{data.stalled:,} stalled", "$text-warning")]
        if data.stale:
            parts += [" · ", (f"{data.stale:,} approval stale", "$text-error")]
        self.query_one("#pipeline-totals", Static).update(Content.assemble(*parts))

    def _load_window(self, stage: Stage) -> None:
        """Read the window of one lane around its shown cards (scrolling past what it holds)."""
        view = self.lane_view(stage)
        window = view.window
        start = max(0, view.lane.top - window)
        serial = self._lane_serial.get(stage, 0) + 1
        self._lane_serial[stage] = serial
        self._read_window(stage, start, self._buffer(window), serial, self._serial)

    @work(group="pipeline.lane")
    async def _read_window(self, stage: Stage, start: int, limit: int, serial: int, board_serial: int) -> None:
        try:
            first, cards = await asyncio.to_thread(read_window, self.portfolio, self.pilot_filter, stage, start, limit)
        except StoreError as exc:
            self.notify(str(exc), title="Cannot read the portfolio", severity="error", markup=False)
            return
        if serial != self._lane_serial.get(stage) or board_serial != self._serial:
            return  # a newer read of this lane, or of the whole board, is the one to show
        view = self.lane_view(stage)
        view.lane.start, view.lane.cards = first, cards
        view.refresh()
        self.refresh_bindings()

    # ---- focus -------------------------------------------------------------------------------------------

    def _mark_focus(self) -> None:
        board_focused = self.focused is self.board
        for index, stage in enumerate(LANES):
            view = self.lane_view(stage)
            view.focused_lane = index == self.lane_index
            view.board_focused = board_focused
            view.refresh()

    def on_descendant_focus(self, _event: events.DescendantFocus) -> None:
        self._mark_focus()

    def on_descendant_blur(self, _event: events.DescendantBlur) -> None:
        self._mark_focus()

    def focused_pilot(self) -> str | None:
        """The pilot under the focus, when the board shows one."""
        view = self.lane_view(self.stage)
        if view.collapsed or view.lane.total == 0:
            return None
        card = view.lane.card(view.lane.cursor)
        return card.id if card else None

    def _scroll_to_cursor(self, view: LaneView) -> None:
        lane = view.lane
        window = view.window
        lane.clamp()
        if lane.cursor < lane.top:
            lane.top = lane.cursor
        elif lane.cursor >= lane.top + window:
            lane.top = lane.cursor - window + 1
        view.refresh()
        if not lane.covers(lane.top, window):
            self._load_window(lane.stage)
        self.refresh_bindings()

    def action_lane(self, step: int) -> None:
        target = self.lane_index + step
        if not 0 <= target < len(LANES):
            return
        old = self.lane_view(self.stage)
        new = self.lane_view(LANES[target])
        # The card at the same height in the next lane, so moving across keeps the eye's place.
        slot = old.lane.cursor - old.lane.top
        if old.lane.stage is Stage.RETIRED:
            old.add_class("-collapsed")
        self.lane_index = target
        if not new.collapsed and new.lane.total:
            new.lane.cursor = new.lane.top + slot
            self._scroll_to_cursor(new)
        self._mark_focus()
        self.refresh_bindings()

    def action_card(self, step: int) -> None:
        view = self.lane_view(self.stage)
        if view.collapsed or not view.lane.total:
            return
        view.lane.cursor += step
        self._scroll_to_cursor(view)

    def action_page(self, step: int) -> None:
        self.action_card(step * self.lane_view(self.stage).window)

    def action_ends(self, step: int) -> None:
        view = self.lane_view(self.stage)
        if view.collapsed or not view.lane.total:
            return
        view.lane.cursor = 0 if step < 0 else view.lane.total - 1
        self._scroll_to_cursor(view)

    @on(LaneView.Clicked)
    def _clicked(self, event: LaneView.Clicked) -> None:
        self.board.focus()
        self.lane_index = LANES.index(event.stage)
        view = self.lane_view(event.stage)
        if view.collapsed:
            self._expand(view)
        elif event.position is not None:
            view.lane.cursor = event.position
            self._scroll_to_cursor(view)
        self._mark_focus()

    # ---- acting on the focused pilot -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "move":
            return self.focused_pilot() is not None
        if action == "open":
            return self.focused_pilot() is not None or self.lane_view(self.stage).collapsed
        if action == "escape":
            return self.filter_bar.is_filtered or not self.lane_view(Stage.RETIRED).collapsed
        return True

    def action_open(self) -> None:
        view = self.lane_view(self.stage)
        if view.collapsed:
            self._expand(view)
            return
        pilot_id = self.focused_pilot()
        if pilot_id is not None:
            self.app.push_screen(PilotDetailScreen(self.portfolio, pilot_id))

    def _expand(self, view: LaneView) -> None:
        view.remove_class("-collapsed")
        view.lane.cursor = view.lane.top
        self._mark_focus()
        self.refresh_bindings()

    def action_escape(self) -> None:
        if self.filter_bar.is_filtered:
            self.action_clear_filter()
            return
        retired = self.lane_view(Stage.RETIRED)
        if not retired.collapsed:
            retired.add_class("-collapsed")
            self._mark_focus()
            self.refresh_bindings()

    def action_move(self, step: int) -> None:
        pilot_id = self.focused_pilot()
        if pilot_id is None:
            return

        def moved() -> None:
            self.load(follow=pilot_id)
            self.caio.portfolio_changed(source=self)

        ask_move(self, self.portfolio, pilot_id, step, moved)

    # ---- the filter --------------------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.filter_bar.open()

    def _filter_applied(self, event: FilterBar.Applied) -> None:
        # Another filter shows other pilots: every lane starts again at its top.
        self.pilot_filter = event.filter
        for stage in LANES:
            lane = self.lane_view(stage).lane
            lane.top = lane.cursor = 0
        self.load()

    @on(FilterBar.Done, "#pipeline-filter-area")
    @on(FilterBar.Cleared, "#pipeline-filter-area")
    def _filter_closed(self) -> None:
        self.board.focus()
        self.refresh_bindings()

    def action_clear_filter(self) -> None:
        self.filter_bar.clear()
        self._filter_closed()

    # ---- size --------------------------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self.query_one("#pipeline-legend", Static).update(self._legend(event.size.width))
        # Taller lanes show more cards: read the windows again if they no longer hold what is shown.
        self.call_after_refresh(self._after_resize)

    def _after_resize(self) -> None:
        for stage in LANES:
            view = self.lane_view(stage)
            if view.lane.total and not view.lane.covers(view.lane.top, view.window):
                self._scroll_to_cursor(view)


__all__ = ["BoardData", "Card", "Lane", "PipelineScreen", "card_lines", "lane_filter", "read_board", "read_window"]
