"""The Dashboard view (key `5`): the portfolio at a glance, readable at 80x24.

The funnel (pilots per stage as bars), the share in production or scaled against the one-third
benchmark of the public inventory reviews, the territory split, the stalled pilots and the five longest
in their stage, the open blockers by category and territory, the top blockers by leverage, and the stale
approvals.

The frame comes first: each panel shows its heading at once, and "loading…" until its numbers are in. A
worker reads them in three steps, each drawn as it arrives: the stage counts (one index: quick at any
size; the funnel, the share and the title), then the other GROUP BY figures (seconds at a million
pilots), then the leverage (it evaluates gates: the longest).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from caio_tui.domain.portfolio_stats import (
    BENCHMARK,
    PortfolioStats,
    ProductionShare,
    TagSummary,
    funnel,
    production_share,
    top_blockers,
)
from caio_tui.domain.stages import DEFAULT_STALLED_DAYS, Stage
from caio_tui.domain.territory import Territory
from caio_tui.domain.text import clip, printable, readiness_bar
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.analytics import blocker_table, dashboard
from caio_tui.store.overrides import GateOverride
from caio_tui.tui.screens.view import ViewScreen
from caio_tui.tui.widgets.quiet_footer import QuietFooter
from caio_tui.tui.widgets.view_bar import ViewBar

LABEL = 17  # the widest funnel label, 'Proof of concept', and a blank

FUNNEL_LABEL = {
    Stage.INTAKE: "Intake",
    Stage.POC: "Proof of concept",
    Stage.PILOT: "Pilot",
    Stage.READINESS: "Readiness",
    Stage.PRODUCTION: "Production",
    Stage.SCALED: "Scaled",
    Stage.RETIRED: "Retired",
}
TERRITORY_STYLE = {
    Territory.CLEAR: "$text-success",
    Territory.INFRASTRUCTURE: "$text-primary",
    Territory.ORGANIZATIONAL: "$text-secondary",
    Territory.BOTH: "$text-error",
    Territory.UNASSESSED: "$text-warning",  # nobody has looked yet: not healthy, not blocked
}
Part = Content | tuple[str, str] | str


def bar(value: int, widest: int, width: int) -> str:
    return readiness_bar(value / widest if widest else 0.0, max(1, width))


def share_bar(share: float, width: int) -> Content:
    """The production share as a bar with the one-third benchmark marked on it."""
    width = max(6, width)
    filled = round(min(1.0, share) * width)
    mark = round(BENCHMARK * width)
    cells: list[Part] = []
    for x in range(width):
        if x == mark:
            cells.append(("┃", "bold $text-warning"))
        elif x < filled:
            cells.append(("█", "$text-success" if share >= BENCHMARK else "$text-primary"))
        else:
            cells.append(("░", "$text-muted"))
    return Content.assemble(*cells)


FUNNEL_HEADING = "Funnel: pilots per stage"


def heading(text: str) -> Content:
    return Content.styled(text, "bold $text-accent")


def loading_lines(title: str) -> list[Content]:
    """A panel whose numbers are not in yet: its heading, and that they are coming."""
    return [heading(title), Content.styled("loading…", "$text-muted")]


def funnel_lines(stats: PortfolioStats, width: int) -> list[Content]:
    return stage_lines(stats.stages, width)


def stage_lines(stages: Mapping[Stage, int], width: int) -> list[Content]:
    widest = max(stages.values(), default=0)
    digits = max(1, len(f"{widest:,}"))
    room = width - LABEL - digits - 2
    lines = [heading(FUNNEL_HEADING)]
    for stage, count in stages.items():
        style = "$text-muted" if stage is Stage.RETIRED else "$text-success" if stage.position >= 4 else "$text-primary"
        lines.append(
            Content.assemble(
                FUNNEL_LABEL[stage].ljust(LABEL), (bar(count, widest, room), style), f" {count:>{digits},}"
            )
        )
    return lines


SHARE_HEADING = "In production or scaled"


def production_lines(share: ProductionShare, width: int) -> list[Content]:
    head: list[Part] = [(f"{SHARE_HEADING} ", "bold $text-accent"), (f"{share.percent}%", "bold")]
    head.append(f" ({share.in_production:,} of {share.active:,})")
    if share.active == 0:
        verdict: list[Part] = [("no active pilots", "$text-muted")]
    elif share.meets_benchmark:
        verdict = [("at or above", "bold $text-success"), " the one-third benchmark"]
    else:
        verdict = [(f"{share.short_of_benchmark:,} short", "bold $text-warning"), " of the one-third benchmark ┃"]
    return [Content.assemble(*head), share_bar(share.share, width - 1), Content.assemble(*verdict)]


TERRITORY_HEADING = "Territory of active pilots"
STALLED_HEADING = "Stalled"  # extended evaluations: pilot or readiness past the threshold
TOP_HEADING = "Top blockers by leverage"
OPEN_HEADING = "Open blockers"
STALE_HEADING = "Stale approvals"
BELOW_GATE_HEADING = "Below their gate"
OVERRIDES_HEADING = "Gate overrides"
OVERRIDES_SHOWN = 5


def override_lines(count: int, shown: list[GateOverride], width: int) -> list[Content]:
    """The count, then the newest overrides: pilot, gate, who, when, and the justification (user text)."""
    lines = [
        Content.assemble(
            (f"{OVERRIDES_HEADING} ", "bold $text-accent"), (f"{count:,}", "bold $text-warning" if count else "bold")
        )
    ]
    for o in shown:
        head = f"{o.pilot_id} into {o.to_stage} · {o.actor} · {o.moved_at[:10]}"
        lines.append(Content.assemble((printable(clip(head, width)), "bold")))
        lines.append(Content.assemble("  ", printable(clip(" ".join(o.justification.split()), max(width - 2, 8)))))
    if count > len(shown):
        more = f"and {count - len(shown):,} older (each pilot's history keeps them)"
        lines.append(Content.styled(more, "$text-muted"))
    return lines


def territory_lines(stats: PortfolioStats, width: int) -> list[Content]:
    widest = max(stats.territories.values(), default=0)
    digits = max(1, len(f"{widest:,}"))
    room = width - 16 - digits - 2
    lines = [heading(TERRITORY_HEADING)]
    for territory, count in stats.territories.items():
        lines.append(
            Content.assemble(
                territory.value.ljust(16),
                (bar(count, widest, room), TERRITORY_STYLE[territory]),
                f" {count:>{digits},}",
            )
        )
    return lines


def stalled_lines(stats: PortfolioStats, width: int, days: int = DEFAULT_STALLED_DAYS) -> list[Content]:
    # The threshold beside the count: "stalled" is never a judgement without its measure (stalled_days).
    lines = [
        Content.assemble(
            (f"{STALLED_HEADING} (over {days} days in stage) ", "bold $text-accent"),
            (f"{stats.stalled:,}", "bold"),
        )
    ]
    if not stats.oldest_stalled:
        lines.append(Content.styled("none: no pilot is past its plan", "$text-muted"))
    # Ids as wide as the longest shown (an imported inventory's are 14 characters), then a space.
    id_width = min(16, max((len(s.id) for s in stats.oldest_stalled), default=7))
    name_width = max(6, width - id_width - 1 - 10 - 7)
    for s in stats.oldest_stalled:
        lines.append(
            Content.assemble(
                (clip(printable(s.id), id_width).ljust(id_width + 1), "bold"),
                clip(printable(s.name), name_width).ljust(name_width),
                f" {s.stage.value:<9}",
                (f"{s.days:>5}d", "$text-warning"),
            )
        )
    return lines


def blocker_lines(stats: PortfolioStats, computing: bool, width: int) -> list[Content]:
    lines = [heading(TOP_HEADING)]
    if computing:
        lines.append(Content.styled("computing…", "$text-warning"))
        return lines
    if not stats.top_blockers:
        lines.append(Content.styled("no single fix would unlock a pilot", "$text-muted"))
    digits = max(len(f"{t.leverage:,}") for t in stats.top_blockers) if stats.top_blockers else 1
    for t in stats.top_blockers:
        lines.append(_blocker_line(t, width, digits))
    return lines


def _blocker_line(t: TagSummary, width: int, digits: int) -> Content:
    """'shared-service-account   unlocks 12 · 30 open', the tag clipped to what is left."""
    unlocks = f" unlocks {t.leverage:>{digits},}"
    open_ = f" · {t.open:,} open"
    tag_width = max(8, width - len(unlocks) - len(open_) - 1)
    return Content.assemble(
        clip(printable(t.tag), tag_width).ljust(tag_width),
        (unlocks, "bold $text-success"),
        (open_, "$text-muted"),
    )


CATEGORY_SHORT = {"identity": "identity", "infrastructure": "infra", "governance": "gov", "organizational": "org"}


def wrapped(lead: str, tokens: list[str], width: int) -> list[Content]:
    """`lead` then the tokens joined with ' · ', wrapped onto as many lines as the width needs."""
    lines: list[Content] = []
    line = lead
    for index, token in enumerate(tokens):
        piece = token if index == 0 else f" · {token}"
        if index and len(line) + len(piece) > width:
            lines.append(Content(line))
            line = "  " + token
        else:
            line += piece
    lines.append(Content(line))
    return lines


def open_lines(stats: PortfolioStats, width: int) -> list[Content]:
    category = [f"{CATEGORY_SHORT[c.value]} {n:,}" for c, n in stats.blockers_by_category.items()]
    territory = [
        f"{CATEGORY_SHORT.get(t.value, t.value)} {n:,}"
        for t, n in stats.blockers_by_territory.items()
        if t not in (Territory.CLEAR, Territory.UNASSESSED)  # no open blocker there, by definition
    ]
    return [
        Content.assemble((f"{OPEN_HEADING} ", "bold $text-accent"), (f"{stats.open_blockers:,}", "bold")),
        *wrapped("by category: ", category, width),
        *wrapped("by territory: ", territory, width),
    ]


class Panel(Widget):
    """A block of the dashboard, drawn for its own width (so the bars follow the terminal's size)."""

    DEFAULT_CSS = """
    Panel {
        height: auto;
        margin-bottom: 1;
    }
    """

    def __init__(self, draw: Any, *, id: str) -> None:
        super().__init__(id=id)
        self.draw = draw  # (width) -> list[Content], or None before the numbers are in

    def render(self) -> Content:
        lines = self.draw(max(20, self.size.width))
        return Content("\n").join(lines) if lines else Content("")

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        lines = self.draw(max(20, width))
        return max(1, len(lines))


class DashboardBody(ScrollableContainer):
    """The panels side by side, scrolled with the keys of a list when they do not fit (at 80x24 the
    overrides and the pilots below their gate are below the fold). It takes the focus, so the keys reach it."""

    DEFAULT_CSS = """
    DashboardBody {
        layout: horizontal;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "scroll_down", "Down", show=False, id="dashboard.scroll_down"),
        Binding("up,k", "scroll_up", "Up", show=False, id="dashboard.scroll_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="dashboard.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="dashboard.page_up"),
        Binding("home,g", "scroll_home", "Top", show=False, id="dashboard.top"),
        Binding("end,G", "scroll_end", "Bottom", show=False, id="dashboard.bottom"),
    ]


class DashboardScreen(ViewScreen, inherit_bindings=False):
    """The portfolio at a glance. No keys of its own (the numbers are read-only): 1 to 5 switch views."""

    DEFAULT_CSS = """
    DashboardScreen #dashboard-title {
        height: 1;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    DashboardScreen #dashboard-body {
        height: 1fr;
        padding: 1 0 0 1;
        scrollbar-gutter: stable;  /* the scrollbar in the column of the right padding: the panels keep their width */
    }
    DashboardScreen .dashboard-column {
        width: 1fr;
        height: auto;
    }
    DashboardScreen #dashboard-left {
        padding-right: 2;
    }
    """

    def __init__(self, portfolio: Portfolio) -> None:
        super().__init__(id="dashboard-view")
        self.portfolio = portfolio
        self.portfolio_name = portfolio.name  # read once: the title never waits for a worker's query
        self.stages: dict[Stage, int] | None = None  # the first step's numbers
        self.stats: PortfolioStats | None = None  # the second's (top_blockers empty until the leverage is in)
        self.computing = True  # the leverage is not in yet
        self.overrides: tuple[int, list[GateOverride]] | None = None
        self._serial = 0

    def compose(self) -> ComposeResult:
        yield ViewBar("dashboard")
        yield Static("", id="dashboard-title")
        with DashboardBody(id="dashboard-body"):
            with Vertical(id="dashboard-left", classes="dashboard-column"):
                yield Panel(self._funnel, id="funnel")
                yield Panel(self._share, id="share")
                yield Panel(lambda w: self._lines(TERRITORY_HEADING, territory_lines, w), id="territories")
            with Vertical(id="dashboard-right", classes="dashboard-column"):
                yield Panel(lambda w: self._lines(STALLED_HEADING, self._stalled_lines, w), id="stalled")
                yield Panel(self._top, id="top-blockers")
                yield Panel(lambda w: self._lines(OPEN_HEADING, open_lines, w), id="open-blockers")
                yield Panel(lambda w: self._stale_approvals(), id="stale-approvals")
                yield Panel(lambda w: self._below_gate(), id="below-gate")
                yield Panel(self._overrides, id="gate-overrides")
        yield QuietFooter()

    def _funnel(self, width: int) -> list[Content]:
        return loading_lines(FUNNEL_HEADING) if self.stages is None else stage_lines(self.stages, width)

    def _share(self, width: int) -> list[Content]:
        if self.stages is None:
            return loading_lines(SHARE_HEADING)
        return production_lines(production_share(self.stages), width)

    def _lines(self, title: str, draw: Callable[[PortfolioStats, int], list[Content]], width: int) -> list[Content]:
        return loading_lines(title) if self.stats is None else draw(self.stats, width)

    def _stalled_lines(self, stats: PortfolioStats, width: int) -> list[Content]:
        return stalled_lines(stats, width, self.portfolio.stalled_days)

    def _top(self, width: int) -> list[Content]:
        if self.stats is None:
            return loading_lines(TOP_HEADING)
        return blocker_lines(self.stats, self.computing, width)

    def _stale_approvals(self) -> list[Content]:
        if self.stats is None:
            return [Content.assemble((f"{STALE_HEADING} ", "bold $text-accent"), ("loading…", "$text-muted"))]
        count = self.stats.stale_approvals
        return [
            Content.assemble(
                (f"{STALE_HEADING} ", "bold $text-accent"),
                (f"{count:,}", "bold $text-warning" if count else "bold"),
            )
        ]

    def _below_gate(self) -> list[Content]:
        """Pilots standing where their gates would not let them in today (filter: below-gate)."""
        if self.stats is None:
            return [Content.assemble((f"{BELOW_GATE_HEADING} ", "bold $text-accent"), ("loading…", "$text-muted"))]
        count = self.stats.below_gate
        return [
            Content.assemble(
                (f"{BELOW_GATE_HEADING} ", "bold $text-accent"),
                (f"{count:,}", "bold $text-error" if count else "bold"),
                ("  (filter: below-gate)" if count else "", "$text-muted"),
            )
        ]

    def _overrides(self, width: int) -> list[Content]:
        if self.overrides is None:
            return [Content.assemble((f"{OVERRIDES_HEADING} ", "bold $text-accent"), ("loading…", "$text-muted"))]
        return override_lines(*self.overrides, width)

    def on_mount(self) -> None:
        self._show_title()
        self.load()

    # ---- loading -------------------------------------------------------------------------------------

    def load(self) -> None:
        """Read the numbers again in a worker; what is shown stays until the new numbers replace it."""
        self._stale = False
        self._serial += 1
        self._load(self._serial)

    @work(exclusive=True, group="dashboard.load")
    async def _load(self, serial: int) -> None:
        no_leverage: list[TagSummary] = []
        try:
            stages = await asyncio.to_thread(self.portfolio.stage_counts)
            if serial != self._serial:
                return
            self.stages = funnel(stages)
            self._show()
            stats = await asyncio.to_thread(dashboard, self.portfolio, no_leverage)
            if serial != self._serial:
                return
            # The second step counted the stages again: one moment's numbers across every panel.
            self.stages, self.stats, self.computing = stats.stages, stats, True
            self.overrides = await asyncio.to_thread(self.portfolio.gate_overrides, OVERRIDES_SHOWN)
            if serial != self._serial:
                return
            self._show()
            table = await asyncio.to_thread(blocker_table, self.portfolio)
        except StoreError as exc:
            if serial == self._serial:
                self.notify(str(exc), title="Cannot read the portfolio", severity="error", markup=False)
            return
        if serial != self._serial:
            return
        self.stats = stats.model_copy(update={"top_blockers": top_blockers(table)})
        self.computing = False
        self._show()

    def _show(self) -> None:
        self._show_title()
        for panel in self.query(Panel):
            panel.refresh(layout=True)

    def _show_title(self) -> None:
        parts: list[Part] = [("Dashboard", "bold"), " · ", (printable(self.portfolio_name), "bold $text-accent")]
        if self.stages is None:
            parts.append(" · loading…")
        else:
            parts += [" · ", (f"{sum(self.stages.values()):,}", "bold"), " pilots"]
        self.query_one("#dashboard-title", Static).update(Content.assemble(*parts))


__all__ = ["DashboardScreen", "Panel", "funnel_lines", "share_bar"]
