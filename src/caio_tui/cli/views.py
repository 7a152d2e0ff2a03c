"""`compare`, `blockers` and `summary`: the Compare, Blockers and Dashboard views, headless.

Heavy modules are imported inside the commands. User text reaches the terminal only as rich Text (never
markup) after domain.text.printable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from caio_tui.cli.plumbing import CliUsageError, db_option, opened, print_json, rich_console

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from caio_tui.domain.compare import Cell, Comparison, Row
    from caio_tui.domain.coverage import CoverageStatus
    from caio_tui.domain.portfolio_stats import PortfolioStats, TagSummary

WIDE = 160
"""Columns of the table when the output is not a terminal (a file or a pipe): wide enough for 8 pilots."""

_STATUS_COLOUR = {
    "not_assessed": "dim",
    "gap": "bold red",
    "partial": "bold yellow",
    "met": "bold green",
    "waived": "bold cyan",
    "not_applicable": "cyan",
}


def _text(value: str, style: str = "") -> Text:
    from rich.text import Text

    from caio_tui.domain.text import printable

    return Text(printable(value), style=style)


def status_style(status: CoverageStatus) -> str:
    return _STATUS_COLOUR[status.value]


# ---- compare ----------------------------------------------------------------------------------------


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    """The stable JSON shape of `compare --json`: the pilots' summaries, then every area with its items."""

    def cells(row: Row) -> list[dict[str, Any] | None]:
        return [None if c is None else c.model_dump(mode="json") for c in row.cells]

    return {
        "pilots": [p.model_dump(mode="json") for p in comparison.pilots],
        "differing_areas": comparison.differing_areas,
        "differing_items": comparison.differing_items,
        "areas": [
            {
                "id": area.id,
                "name": area.label,
                "differs": area.differs,
                "cells": cells(area),
                "items": [
                    {"id": item.id, "text": item.label, "differs": item.differs, "cells": cells(item)}
                    for item in comparison.items[area.id]
                ],
            }
            for area in comparison.areas
        ],
    }


def _cell(cell: Cell | None, row: Row) -> Text:
    from caio_tui.domain.compare import cell_text

    return _text(cell_text(cell, kind=row.kind), "dim" if cell is None else status_style(cell.status))


def _label(row: Row) -> Text:
    mark = "≠ " if row.differs else "  "
    label = row.label if row.kind == "area" else f"  {row.id}"
    return _text(mark + label, "bold" if row.kind == "area" else "")


def print_comparison(console: Console, comparison: Comparison, rows: list[Row]) -> None:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column(_text("Requirement"), no_wrap=True, overflow="ellipsis", min_width=16, max_width=40)
    for p in comparison.pilots:
        heading = _text(p.id, "bold")
        heading.append("\n")
        heading.append_text(_text(p.name))
        table.add_column(heading, no_wrap=True, overflow="ellipsis", min_width=10, max_width=24)
    for s in comparison.summary:
        table.add_row(_text(("≠ " if s.differs else "  ") + s.label, "italic"), *(_text(v) for v in s.values))
    table.add_section()
    for row in rows:
        table.add_row(_label(row), *(_cell(c, row) for c in row.cells))
    console.print(table)
    legend = (
        "≠ the pilots differ · ✓ met ◐ partial ✗ gap ? not assessed W waived – n/a · "
        "3ev: 3 evidence notes · 9d: 9 days since changed"
    )
    console.print(_text(legend, "dim"))


def comparison_markdown(comparison: Comparison, rows: list[Row]) -> str:
    from caio_tui.domain.compare import cell_text
    from caio_tui.io.reports import md

    heads = [f"{md(p.id)} {md(p.name)}" for p in comparison.pilots]
    lines = [f"| Requirement | {' | '.join(heads)} |", "|---|" + "---|" * len(heads)]
    for s in comparison.summary:
        label = f"≠ *{s.label}*" if s.differs else f"*{s.label}*"
        lines.append(f"| {label} | {' | '.join(md(v) for v in s.values)} |")
    for row in rows:
        label = f"**{md(row.label)}**" if row.kind == "area" else f"&nbsp;&nbsp;{md(row.id)}"
        label = ("≠ " if row.differs else "") + label
        values = " | ".join(md(cell_text(c, kind=row.kind)) for c in row.cells)
        lines.append(f"| {label} | {values} |")
    lines.append("")
    lines.append("≠ the pilots differ · ✓ met ◐ partial ✗ gap ? not assessed W waived – not applicable · eN items with")
    lines.append("evidence · Nd days since the last change · · does not apply")
    return "\n".join(lines) + "\n"


# ---- blockers ---------------------------------------------------------------------------------------


def blockers_json(table: list[TagSummary], stats: PortfolioStats) -> dict[str, Any]:
    return {
        "tags": [t.model_dump(mode="json") for t in table],
        "open_blockers": stats.open_blockers,
        "by_category": {c.value: n for c, n in stats.blockers_by_category.items()},
        "by_territory": {t.value: n for t, n in stats.blockers_by_territory.items() if t.value != "clear"},
    }


def _split_line(title: str, counts: dict[str, int]) -> Text:
    line = _text(f"{title}: ", "bold")
    line.append_text(_text(" · ".join(f"{k} {n}" for k, n in counts.items())))
    return line


def print_blockers(console: Console, table: list[TagSummary], stats: PortfolioStats) -> None:
    from rich import box
    from rich.table import Table

    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    grid.add_column("Tag", no_wrap=True)
    grid.add_column("Category", no_wrap=True)
    grid.add_column("Areas", no_wrap=True, overflow="ellipsis", max_width=28)
    grid.add_column("Open", justify="right")
    grid.add_column("Oldest", justify="right")
    grid.add_column("Leverage", justify="right")
    for t in table:
        oldest = "—" if t.oldest_open_days is None else f"{t.oldest_open_days}d"
        style = "" if t.open else "dim"
        grid.add_row(
            _text(t.tag, style),
            _text(t.category.value, style),
            _text(", ".join(t.areas) or "—", style),
            _text(str(t.open), style),
            _text(oldest, style),
            _text(str(t.leverage), "bold" if t.leverage else style),
        )
    console.print(grid)
    data = blockers_json(table, stats)
    console.print(_split_line(f"Open blockers ({stats.open_blockers}) by category", data["by_category"]))
    console.print(_split_line("by territory of the pilot", data["by_territory"]))
    console.print(
        _text("Leverage: pilots that would pass their next gate with the tag resolved and its areas covered", "dim")
    )


# ---- summary ----------------------------------------------------------------------------------------


def summary_json(name: str, stats: PortfolioStats) -> dict[str, Any]:
    from caio_tui.domain.portfolio_stats import BENCHMARK

    share = stats.production
    return {
        "name": name,
        "total": stats.total,
        "stages": {s.value: n for s, n in stats.stages.items()},
        "production": {
            "in_production_or_scaled": share.in_production,
            "active": share.active,
            "share": round(share.share, 4),
            "benchmark": round(BENCHMARK, 4),
            "meets_benchmark": share.meets_benchmark,
            "short_of_benchmark": share.short_of_benchmark,
        },
        "territories": {t.value: n for t, n in stats.territories.items()},
        "stalled": stats.stalled,
        "oldest_stalled": [s.model_dump(mode="json") for s in stats.oldest_stalled],
        "open_blockers": stats.open_blockers,
        "blockers_by_category": {c.value: n for c, n in stats.blockers_by_category.items()},
        "blockers_by_territory": {t.value: n for t, n in stats.blockers_by_territory.items()},
        "top_blockers": [
            {"tag": t.tag, "category": t.category.value, "open": t.open, "leverage": t.leverage}
            for t in stats.top_blockers
        ],
        "stale_approvals": stats.stale_approvals,
    }


def share_sentence(stats: PortfolioStats) -> str:
    share = stats.production
    head = f"In production or scaled: {share.in_production} of {share.active} ({share.percent}%)"
    if share.active == 0:
        return f"{head}; no active pilots"
    if share.meets_benchmark:
        return f"{head}; at or above the one-third benchmark"
    return f"{head}; below the one-third benchmark by {share.short_of_benchmark} pilot(s)"


def unlocked(ids: tuple[str, ...], shown: int = 5) -> str:
    """The first few pilots a fix unlocks, and how many more."""
    more = len(ids) - shown
    return ", ".join(ids[:shown]) + (f" and {more} more" if more > 0 else "")


def print_summary(console: Console, name: str, stats: PortfolioStats) -> None:
    from caio_tui.domain.text import readiness_bar

    console.print(_text(f"{name}: {stats.total} pilot(s)", "bold"))
    widest = stats.widest_stage or 1
    for stage, count in stats.stages.items():
        line = _text(f"  {stage.label:<21} ")
        line.append_text(_text(readiness_bar(count / widest, 30), "cyan"))
        line.append_text(_text(f" {count}"))
        console.print(line)
    console.print(_text(share_sentence(stats), "bold"))
    console.print(_split_line("Territory", {t.value: n for t, n in stats.territories.items()}))
    stalled = f"Stalled (extended evaluations): {stats.stalled}"
    if stats.oldest_stalled:
        stalled += "; longest: " + ", ".join(f"{s.id} {s.days}d" for s in stats.oldest_stalled)
    console.print(_text(stalled))
    console.print(
        _split_line(
            f"Open blockers ({stats.open_blockers}) by category",
            {c.value: n for c, n in stats.blockers_by_category.items()},
        )
    )
    console.print(
        _split_line(
            "by territory of the pilot",
            {t.value: n for t, n in stats.blockers_by_territory.items() if t.value not in ("clear", "unassessed")},
        )
    )
    if stats.top_blockers:
        console.print(_text("Top blockers by leverage:", "bold"))
        for t in stats.top_blockers:
            console.print(_text(f"  {t.tag} ({t.category.value}) unlocks {t.leverage}: {unlocked(t.unlocks)}"))
    else:
        console.print(_text("Top blockers by leverage: none would unlock a pilot on its own"))
    console.print(_text(f"Stale approvals: {stats.stale_approvals}"))
    console.print(_text(f"Below their gate (filter: below-gate): {stats.below_gate}"))


# ---- the commands -----------------------------------------------------------------------------------


@click.command("compare")
@db_option
@click.argument("pilots", nargs=-1, required=True)
@click.option("--items", "-i", "expand", is_flag=True, help="Expand every area into its items.")
@click.option("--differences", "-d", is_flag=True, help="Only the rows where the pilots differ.")
@click.option("--json", "as_json", is_flag=True, help="The whole matrix as JSON (every area and item).")
@click.option("--markdown", "as_markdown", is_flag=True, help="A Markdown table.")
@click.pass_context
def compare_(
    ctx: click.Context, pilots: tuple[str, ...], expand: bool, differences: bool, as_json: bool, as_markdown: bool
) -> None:
    """PILOTS side by side: requirement areas (and items) in rows, with stage, readiness, territory,
    blockers, next gate and distance to production on top."""
    if as_json and as_markdown:
        raise CliUsageError("choose one of --json and --markdown")
    wanted = list(dict.fromkeys(pilots))
    if len(wanted) < 2:
        raise CliUsageError("compare needs at least two different pilots")
    from caio_tui.store.analytics import comparison

    with opened(ctx) as portfolio:
        found = comparison(portfolio, wanted)
    if as_json:
        print_json(comparison_json(found))
        return
    rows = found.rows("all" if expand else (), differences_only=differences)
    if as_markdown:
        click.echo(comparison_markdown(found, rows), nl=False)
        return
    print_comparison(rich_console(width_when_piped=WIDE), found, rows)


@click.command("blockers")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Tags and splits as JSON.")
@click.pass_context
def blockers_(ctx: click.Context, as_json: bool) -> None:
    """Every blocker tag with its category, areas, open count, oldest open age and leverage (how many
    pilots would pass their next gate if it were fixed), highest leverage first; then open blockers by
    category and by territory."""
    from caio_tui.store.analytics import blocker_table, dashboard

    with opened(ctx) as portfolio:
        table = blocker_table(portfolio)
        stats = dashboard(portfolio, table)
    if as_json:
        print_json(blockers_json(table, stats))
        return
    print_blockers(rich_console(width_when_piped=WIDE), table, stats)


@click.command("summary")
@db_option
@click.option("--json", "as_json", is_flag=True, help="The numbers as JSON.")
@click.pass_context
def summary_(ctx: click.Context, as_json: bool) -> None:
    """The dashboard: pilots per stage, the share in production against the one-third benchmark,
    territories, stalled pilots, open blockers, top blockers by leverage, stale approvals."""
    from caio_tui.store.analytics import dashboard

    with opened(ctx) as portfolio:
        stats = dashboard(portfolio)
        name = portfolio.name
    if as_json:
        print_json(summary_json(name, stats))
        return
    print_summary(rich_console(width_when_piped=WIDE), name, stats)


COMMANDS = (compare_, blockers_, summary_)
