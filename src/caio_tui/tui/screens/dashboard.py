"""The Dashboard view (key `5`): the portfolio at a glance, readable at 80x24.

The funnel (pilots per stage as bars), the share in production or scaled against the one-third
benchmark of the public inventory reviews, the territory split, the stalled pilots and the five longest
in their stage, the open blockers by category and territory, the top blockers by leverage, and the stale
approvals. The numbers come from a few GROUP BY queries in a worker; the leverage (seconds on a large
portfolio) follows in a second step, so the rest shows at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Static

from caio_tui.domain.blockers import Territory
from caio_tui.domain.portfolio_stats import BENCHMARK, PortfolioStats, TagSummary, top_blockers
from caio_tui.domain.scoring import readiness_bar
from caio_tui.domain.stages import Stage
from caio_tui.domain.text import clip, printable
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.analytics import blocker_table, dashboard
from caio_tui.tui.keymap import ViewBar

LOADING_AFTER_S = 0.1
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


def funnel_lines(stats: PortfolioStats, width: int) -> list[Content]:
    widest = stats.widest_stage
    digits = max(1, len(f"{widest:,}"))
    room = width - LABEL - digits - 2
    lines = [Content.styled("Funnel: pilots per stage", "bold $text-accent")]
    for stage, count in stats.stages.items():
        style = "$text-muted" if stage is Stage.RETIRED else "$text-success" if stage.position >= 4 else "$text-primary"
        lines.append(
            Content.assemble(
                FUNNEL_LABEL[stage].ljust(LABEL), (bar(count, widest, room), style), f" {count:>{digits},}"
            )
        )
    return lines


def share_lines(stats: PortfolioStats, width: int) -> list[Content]:
    share = stats.production
    head: list[Part] = [("In production or scaled ", "bold $text-accent"), (f"{share.percent}%", "bold")]
    head.append(f" ({share.in_production:,} of {share.active:,})")
    if share.active == 0:
        verdict: list[Part] = [("no active pilots", "$text-muted")]
    elif share.meets_benchmark:
        verdict = [("at or above", "bold $text-success"), " the one-third benchmark"]
    else:
        verdict = [(f"{share.short_of_benchmark:,} short", "bold $text-warning"), " of the one-third benchmark ┃"]
    return [Content.assemble(*head), share_bar(share.share, width - 1), Content.assemble(*verdict)]


def territory_lines(stats: PortfolioStats, width: int) -> list[Content]:
    widest = max(stats.territories.values(), default=0)
    digits = max(1, len(f"{widest:,}"))
    room = width - 16 - digits - 2
    lines = [Content.styled("Territory of active pilots", "bold $text-accent")]
    for territory, count in stats.territories.items():
        lines.append(
            Content.assemble(
                territory.value.ljust(16),
                (bar(count, widest, room), TERRITORY_STYLE[territory]),
                f" {count:>{digits},}",
            )
        )
    return lines


def stalled_lines(stats: PortfolioStats, width: int) -> list[Content]:
    lines = [Content.assemble(("Stalled (extended evaluations) ", "bold $text-accent"), (f"{stats.stalled:,}", "bold"))]
    if not stats.oldest_stalled:
        lines.append(Content.styled("none: no pilot is past its plan", "$text-muted"))
    name_width = max(6, width - 10 - 10 - 7)
    for s in stats.oldest_stalled:
        lines.append(
            Content.assemble(
                (s.id.ljust(10), "bold"),
                clip(printable(s.name), name_width).ljust(name_width),
                f" {s.stage.value:<9}",
                (f"{s.days:>5}d", "$text-warning"),
            )
        )
    return lines


def blocker_lines(stats: PortfolioStats, computing: bool, width: int) -> list[Content]:
    lines = [Content.styled("Top blockers by leverage", "bold $text-accent")]
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
        if t is not Territory.CLEAR
    ]
    return [
        Content.assemble(("Open blockers ", "bold $text-accent"), (f"{stats.open_blockers:,}", "bold")),
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


class DashboardScreen(Screen[None], inherit_bindings=False):
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
        padding: 1 1 0 1;
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
        self.stats: PortfolioStats | None = None
        self.computing = True
        self._stale = False
        self._serial = 0
        self._loading_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield ViewBar("dashboard")
        yield Static("", id="dashboard-title")
        with Horizontal(id="dashboard-body"):
            with Vertical(id="dashboard-left", classes="dashboard-column"):
                yield Panel(lambda w: self._lines(funnel_lines, w), id="funnel")
                yield Panel(lambda w: self._lines(share_lines, w), id="share")
                yield Panel(lambda w: self._lines(territory_lines, w), id="territories")
            with Vertical(id="dashboard-right", classes="dashboard-column"):
                yield Panel(lambda w: self._lines(stalled_lines, w), id="stalled")
                yield Panel(lambda w: self._top(w), id="top-blockers")
                yield Panel(lambda w: self._lines(open_lines, w), id="open-blockers")
                yield Panel(lambda w: self._stale_approvals(), id="stale-approvals")
        yield Footer()

    def _lines(self, draw: Any, width: int) -> list[Content]:
        return [] if self.stats is None else list(draw(self.stats, width))

    def _top(self, width: int) -> list[Content]:
        return [] if self.stats is None else blocker_lines(self.stats, self.computing, width)

    def _stale_approvals(self) -> list[Content]:
        if self.stats is None:
            return []
        count = self.stats.stale_approvals
        return [
            Content.assemble(
                ("Stale approvals ", "bold $text-accent"),
                (f"{count:,}", "bold $text-warning" if count else "bold"),
            )
        ]

    def on_mount(self) -> None:
        self._show_title()
        self.load()

    def on_screen_resume(self, _event: Any) -> None:
        if self._stale:
            self.load()

    def portfolio_changed(self) -> None:
        if self.is_current:
            self.load()
        else:
            self._stale = True

    # ---- loading -------------------------------------------------------------------------------------

    def load(self) -> None:
        self._stale = False
        self._serial += 1
        if self._loading_timer is None:
            self._loading_timer = self.set_timer(LOADING_AFTER_S, self._show_loading)
        self._load(self._serial)

    def _show_loading(self) -> None:
        self._loading_timer = None
        if self.stats is None:
            self.query_one("#dashboard-body").loading = True

    def _loaded(self) -> None:
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None
        self.query_one("#dashboard-body").loading = False

    @work(exclusive=True, group="dashboard.load")
    async def _load(self, serial: int) -> None:
        no_leverage: list[TagSummary] = []
        try:
            stats = await asyncio.to_thread(dashboard, self.portfolio, no_leverage)
        except StoreError as exc:
            self._failed(exc, serial)
            return
        if serial != self._serial:
            return
        self.stats, self.computing = stats, True
        self._loaded()
        self._show()
        try:
            table = await asyncio.to_thread(blocker_table, self.portfolio)
        except StoreError as exc:
            self._failed(exc, serial)
            return
        if serial != self._serial:
            return
        self.stats = stats.model_copy(update={"top_blockers": top_blockers(table)})
        self.computing = False
        self._show()

    def _failed(self, exc: StoreError, serial: int) -> None:
        if serial == self._serial:
            self._loaded()
            self.notify(str(exc), title="Cannot read the portfolio", severity="error", markup=False)

    def _show(self) -> None:
        self._show_title()
        for panel in self.query(Panel):
            panel.refresh(layout=True)

    def _show_title(self) -> None:
        parts: list[Part] = [("Dashboard", "bold"), " · ", (printable(self.portfolio_name), "bold $text-accent")]
        if self.stats is None:
            parts.append(" · loading…")
        else:
            parts += [" · ", (f"{self.stats.total:,}", "bold"), " pilots"]
        self.query_one("#dashboard-title", Static).update(Content.assemble(*parts))


__all__ = ["DashboardScreen", "Panel", "funnel_lines", "share_bar"]
