"""The briefing as one self-contained HTML page, rendered from an autoescaping Jinja2 template.

Escaping is the environment's, not each call site's: every `{{ value }}` in the templates goes through
`_shown`, which escapes it the way the page always has (control characters made visible, then
`html.escape` with quotes), and autoescape stays on behind it for anything that slips past. The only
markup that is not escaped is the templates' own (and the macros they call). Python here computes what
the page shows (numbers, chart sizes); the markup is in `templates/briefing.html.j2` and
`templates/briefing_charts.svg.j2`, the style in `templates/briefing.css`.

Jinja2 is imported on the first HTML export only: start-up never pays for it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from caio_tui.domain.pilots import Pilot
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import Territory
from caio_tui.domain.text import clip, printable
from caio_tui.io.briefing import (
    BELOW_GATE_NOTE,
    OVERRIDES_NOTE,
    PRODUCTION_BENCHMARK,
    STALLED_SHOWN,
    TERRITORY_LABEL,
    Briefing,
    from_label,
    headline,
    needs,
    override_stage,
    when,
)
from caio_tui.io.briefing_commercial import html_section

if TYPE_CHECKING:
    import jinja2

_STAGE_COLOUR: dict[Stage, str] = {
    Stage.INTAKE: "#9aa5b1",
    Stage.POC: "#7b93b8",
    Stage.PILOT: "#4f7cc4",
    Stage.READINESS: "#2f5fa8",
    Stage.PRODUCTION: "#2e8b57",
    Stage.SCALED: "#1f6b40",
    Stage.RETIRED: "#b8b8b8",
}
_TERRITORY_COLOUR: dict[Territory, str] = {
    Territory.CLEAR: "#3c9d5d",
    Territory.INFRASTRUCTURE: "#c8553d",
    Territory.ORGANIZATIONAL: "#e0a030",
    Territory.BOTH: "#8e3b6e",
    Territory.UNASSESSED: "#9aa5b1",
}


def briefing_html(b: Briefing) -> str:
    return _template().render(
        b=b,
        title=f"Portfolio briefing: {b.name}",
        taken_at=f"{b.taken_at:%Y-%m-%d %H:%M}",
        headline=headline(b),
        funnel=_funnel(b),
        share=_share(b),
        territory=_territory(b),
        territory_rows=_territory_rows(b),
        leverage=_leverage(b),
        closest=[
            _Closest(d.record.pilot, round(d.record.pilot.readiness * 100), d.changes, needs(d, b.catalog))
            for d in b.closest
        ],
        below_gate_note=BELOW_GATE_NOTE,
        overrides_note=OVERRIDES_NOTE,
        override_stage=override_stage,
        stalled=b.stalled[:STALLED_SHOWN],
        stalled_hidden=len(b.stalled) - STALLED_SHOWN,
        when=when,
        from_label=from_label,
        commercial=html_section(b.commercial),
    )


# ---- the template environment ----------------------------------------------------------------------


@cache
def _template() -> jinja2.Template:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("caio_tui.io", "templates"),
        autoescape=True,
        finalize=_shown,
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the export instead of showing nothing
        keep_trailing_newline=True,  # the stylesheet ends with a line break, as the page always had
        extensions=[_joined_lines()],
    )
    env.filters["f1"] = lambda number: f"{number:.1f}"
    env.globals["nl"] = Markup("\n")  # markup: a line break in user text is shown as ⏎
    return env.get_template("briefing.html.j2")


def _shown(value: Any) -> Any:
    """Every `{{ value }}` on its way to the page: text escaped (the bytes the page has always had, so the
    golden file holds), markup the templates built themselves kept as it is, numbers left to autoescape."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return Markup(html.escape(printable(value), quote=True))


_LINE_BREAK = re.compile(r"\n[ \t]*")


def _joined_lines() -> type[jinja2.ext.Extension]:
    """An extension that drops each line break and the indentation after it from a `.j2` template's source,
    so the templates are indented for reading while the page keeps its compact form. The stylesheet is
    included as it is."""
    import jinja2.ext

    class JoinedLines(jinja2.ext.Extension):
        def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
            return _LINE_BREAK.sub("", source) if name and name.endswith(".j2") else source

    return JoinedLines


# ---- what the page shows, in plain values ----------------------------------------------------------


@dataclass(frozen=True)
class _Closest:
    pilot: Pilot
    readiness: int  # percent
    changes: int
    needs: list[str]


@dataclass(frozen=True)
class _Bar:
    label: str
    count: int
    y: int
    width: float
    colour: str


@dataclass(frozen=True)
class _Funnel:
    bars: list[_Bar]
    width: int = 480
    row: int = 26
    label_width: int = 150

    @property
    def height(self) -> int:
        return self.row * len(self.bars)


def _funnel(b: Briefing) -> _Funnel:
    chart = _Funnel(bars=[])
    count_width = 40
    top = max([n for _, n in b.funnel] + [1])
    bar_width = chart.width - chart.label_width - count_width
    for i, (stage, n) in enumerate(b.funnel):
        width = max(2.0, n / top * bar_width) if n else 0.0
        chart.bars.append(_Bar(stage.label, n, i * chart.row, width, _STAGE_COLOUR[stage]))
    return chart


@dataclass(frozen=True)
class _Share:
    label: str
    filled: float
    mark: float
    colour: str = _STAGE_COLOUR[Stage.PRODUCTION]
    width: int = 480


def _share(b: Briefing) -> _Share:
    share = min(1.0, b.production_share)
    label = f"{b.in_production} of {b.active} active pilots in production or scaled ({round(share * 100)}%)"
    return _Share(label=label, filled=share * _Share.width, mark=PRODUCTION_BENCHMARK * _Share.width)


@dataclass(frozen=True)
class _Segment:
    label: str
    count: int
    x: float
    width: float
    colour: str


@dataclass(frozen=True)
class _Key:
    label: str
    count: int
    x: int
    y: int
    colour: str


@dataclass(frozen=True)
class _Territory:
    bars: list[_Segment]
    legend: list[_Key]
    width: int = 480
    height: int = 34

    @property
    def view_height(self) -> int:
        """The bar, then the legend two keys a row, 20 high each."""
        return self.height + 18 + (len(self.legend) + 1) // 2 * 20


def _territory(b: Briefing) -> _Territory:
    chart = _Territory(bars=[], legend=[])
    total = sum(n for _, n in b.territory)
    x = 0.0
    for territory, n in b.territory:
        if n and total:
            width = n / total * chart.width
            chart.bars.append(_Segment(TERRITORY_LABEL[territory], n, x, width, _TERRITORY_COLOUR[territory]))
            x += width
    for i, (territory, n) in enumerate(b.territory):
        short = TERRITORY_LABEL[territory].split(" (")[0]
        key_y = chart.height + 16 + (i // 2) * 20
        chart.legend.append(_Key(short, n, (i % 2) * 240, key_y, _TERRITORY_COLOUR[territory]))
    return chart


@dataclass(frozen=True)
class _TerritoryRow:
    label: str
    count: int
    percent: int


def _territory_rows(b: Briefing) -> list[_TerritoryRow]:
    active = max(1, sum(n for _, n in b.territory))
    return [_TerritoryRow(TERRITORY_LABEL[t], n, round(n / active * 100)) for t, n in b.territory]


@dataclass(frozen=True)
class _TagBar:
    label: str
    short_label: str
    open_on: int
    unlocks: int
    y: int
    open_width: float
    unlock_width: float


@dataclass(frozen=True)
class _Leverage:
    bars: list[_TagBar]
    width: int = 1000
    row: int = 24
    label_width: int = 230

    @property
    def height(self) -> int:
        return self.row * len(self.bars) + 4


def _leverage(b: Briefing) -> _Leverage:
    chart = _Leverage(bars=[])
    shown = b.leverage[:8]
    top = max([len(t.open_on) for t in shown] + [1])
    bar_width = chart.width - chart.label_width - 70
    for i, t in enumerate(shown):
        open_width, unlock_width = len(t.open_on) / top * bar_width, t.leverage / top * bar_width
        bar = _TagBar(t.tag, clip(t.tag, 28), len(t.open_on), t.leverage, i * chart.row, open_width, unlock_width)
        chart.bars.append(bar)
    return chart
