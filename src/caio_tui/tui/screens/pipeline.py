"""The Pipeline view (key `2`): the board of pilots by stage, and the gated moves between stages.

One lane per stage, intake to scaled, each headed by its count; retired is collapsed into its count at
the right and opens with `enter`. A card shows a pilot's name, office, readiness bar and one glyph per
open blocker (by category), its days in stage, and marks for a stalled pilot and a stale approval.
`h` `j` `k` `l` (or the arrows) move the focus; `>` `<` (or `L` `H`) move the focused pilot through the
gate with the gate modal; `enter` opens the pilot; `/` filters with the same tokens as the table.

A lane never holds its whole stage: it keeps a bounded window of cards read from the store page by page
(longest in the stage first), says how many more there are, and scrolls by reading the next page. Reading runs in
workers, so a 100,000-pilot portfolio draws its board as fast as a small one. What a lane holds and how it
is read: tui/widgets/board/data.py; a card and a lane drawn: tui/widgets/board/lanes.py.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar, cast

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from caio_tui.domain.filters import PilotFilter
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory
from caio_tui.domain.text import printable
from caio_tui.store import Portfolio, StoreError
from caio_tui.tui.dialogs.gate import ask_move
from caio_tui.tui.screens.detail import PilotDetailScreen
from caio_tui.tui.screens.view import ViewScreen
from caio_tui.tui.widgets.board.data import LANES, BoardData, read_board, read_window
from caio_tui.tui.widgets.board.lanes import (
    BELOW_GATE_MARK,
    CATEGORY_GLYPH,
    CATEGORY_STYLE,
    MUTED,
    STALE_MARK,
    STALE_STYLE,
    STALLED_STYLE,
    Board,
    LaneView,
)
from caio_tui.tui.widgets.filter_bar import FilterBar, FilterInput
from caio_tui.tui.widgets.quiet_footer import QuietFooter
from caio_tui.tui.widgets.view_bar import ViewBar

if TYPE_CHECKING:
    from caio_tui.tui.host import CaioHost

BUFFER_PAGES = 3  # a lane reads this many screens of cards at once, so most scrolling needs no query
LOADING_AFTER_S = 0.1
FILTER_HINT = (
    "enter: board · esc: clear · a,b either · -x not · stage: blocker: category: territory: office: "
    "stalled high-impact stale below-gate ready"
)
FILTER_PLACEHOLDER = "text, stage:pilot, blocker:TAG, category:identity, -stalled, ready, … (? for the grammar)"


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

    # The footer shows these first (widgets/quiet_footer.py): at 80 columns the rest may not fit.
    FOOTER_FIRST: ClassVar[tuple[str, ...]] = ("open", "move(1)", "move(-1)", "undo", "filter")

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
    def caio(self) -> CaioHost:
        return cast("CaioHost", self.app)

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
            ("!", STALLED_STYLE),
            " stalled  ",
            (STALE_MARK, STALE_STYLE),
            " approval stale  ",
            (BELOW_GATE_MARK, STALE_STYLE),
            " below gate" if short else " below its gate",
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
        if data.below_gate:
            parts += [" · ", (f"{data.below_gate:,} below their gate {BELOW_GATE_MARK}", "$text-error")]
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


__all__ = ["BoardFilter", "PipelineScreen"]
