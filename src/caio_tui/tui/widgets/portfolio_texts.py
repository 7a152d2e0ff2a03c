"""The Portfolio view's texts: the header's lines (how many pilots are shown, stalled and marked, and the
sort; the pilots per stage) and what an empty portfolio says instead of the table."""

from __future__ import annotations

from collections.abc import Mapping

from textual.content import Content

from caio_tui.domain.stages import Stage
from caio_tui.store.queries import SortKey
from caio_tui.tui.widgets.pilot_load import Counts

LOADING = Content.styled("loading…", "$text-muted")

STAGE_SHORT = {
    Stage.INTAKE: "intake",
    Stage.POC: "poc",
    Stage.PILOT: "pilot",
    Stage.READINESS: "readiness",
    Stage.PRODUCTION: "production",
    Stage.SCALED: "scaled",
    Stage.RETIRED: "retired",
}

EMPTY_STATE = Content.assemble(
    ("This portfolio has no pilots yet.", "bold"),
    "\n\n",
    "Load a sample to look around:\n",
    ("    ctrl+p", "bold $text-accent"),
    " → Load sample, or from a shell\n",
    ("    caio-tui init --sample civilian-agency", "bold $text-accent"),
    "\n\n",
    "Import your AI use case inventory (OMB CSV) or a snapshot:\n",
    ("    caio-tui import FILE", "bold $text-accent"),
    "\n\n",
    "Or add a pilot by hand: ",
    ("n", "bold $text-accent"),
)


def totals_line(counts: Counts, stalled: int | None, marked: int, sort: SortKey, descending: bool) -> Content:
    """Pilots shown (of how many), stalled, marked, and the sort: `stalled` may be the last load's count
    while this one's is read."""
    parts: list[Content | tuple[str, str] | str] = []
    if counts.shown != counts.total:
        parts += [(f"{counts.shown:,}", "bold"), f" of {counts.total:,} pilots"]
    else:
        parts += [(f"{counts.total:,}", "bold"), " pilots"]
    if stalled:
        parts += [" · ", (f"{stalled:,} stalled", "$text-warning")]
    if marked:
        parts += [" · ", (f"{marked} marked", "bold $text-accent")]
    arrow = "▼" if descending else "▲"
    parts += [" · sort: ", (f"{sort.value} {arrow}", "bold")]
    return Content.assemble(*parts)


def stages_line(stages: Mapping[Stage, int]) -> Content:
    """The pilots in each stage, in pipeline order; a stage with none is muted."""
    line: list[Content | tuple[str, str] | str] = []
    for stage in Stage:
        if line:
            line.append("  ")
        number = stages.get(stage, 0)
        line += [(STAGE_SHORT[stage], "$text-muted"), " ", (str(number), "bold" if number else "$text-muted")]
    return Content.assemble(*line)
