"""One pilot as the detail screen shows it: DetailView (everything read from the store in one go) and pure
functions that draw its parts (fields, coverage prompts, blockers, gate, stage history, audit trail) as
Content, so they are easy to read and to test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual.content import Content

from caio_tui.domain.blockers import Blocker, BlockerTag
from caio_tui.domain.coverage import Area, Catalog, Coverage, CoverageStatus, Item
from caio_tui.domain.gates import GateResult
from caio_tui.domain.history import AuditEvent
from caio_tui.domain.inventory_mapping import REPORTED_KEY
from caio_tui.domain.pilots import PilotRecord, StageMove
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import Territory
from caio_tui.domain.text import printable, readiness_bar
from caio_tui.store import Portfolio, office_queue
from caio_tui.tui.styles.content import MUTED, STATUS_LABEL, category_style, hang, status_glyph

AUDIT_LIMIT = 50
AREA_PREFIX = "area:"
BLOCKER_PREFIX = "blocker:"

TERRITORY_STYLE: dict[Territory, str] = {
    Territory.CLEAR: "bold $text-success",
    Territory.ORGANIZATIONAL: "bold $text-warning",
    Territory.INFRASTRUCTURE: "bold $text-error",
    Territory.BOTH: "bold $text-error",
    Territory.UNASSESSED: "bold $text-warning",
}


@dataclass(frozen=True)
class DetailView:
    """Everything the screen shows about one pilot, read in one go."""

    record: PilotRecord
    catalog: Catalog
    days_in_stage: int
    stalled: bool
    stalled_days: int
    gate: GateResult | None
    gate_note: str  # why there is no gate (end of the pipeline, retired)
    tags: dict[str, BlockerTag]
    history: list[AuditEvent]
    waiting: str = ""  # what office bundles left waiting for this pilot ("" when nothing)

    def reported(self, item_id: str) -> str:
        """What an imported inventory reads for an item where a person's status says otherwise ("" if none)."""
        found = self.record.pilot.extra.get(REPORTED_KEY)
        value = found.get(item_id, "") if isinstance(found, dict) else ""
        return value if isinstance(value, str) else ""

    @property
    def areas(self) -> list[Area]:
        return self.catalog.areas(self.record.pilot.high_impact)

    def coverage(self, item_id: str) -> Coverage:
        return self.record.coverage.get(item_id) or Coverage(item=item_id)


def load_view(portfolio: Portfolio, pilot_id: str) -> DetailView:
    """Read one pilot with everything the screen shows (a few small queries)."""
    record = portfolio.record(pilot_id)
    pilot = record.pilot
    gate: GateResult | None = None
    note = ""
    if pilot.stage is Stage.RETIRED:
        note = "Retired: switched off, no gate ahead."
    elif pilot.stage.next() is None:
        note = f"{pilot.stage.label} is the end of the pipeline: no gate ahead."
    else:
        gate = portfolio.check_gate(pilot_id)
    return DetailView(
        record=record,
        catalog=portfolio.catalog(),
        days_in_stage=portfolio.days_in_stage(pilot),
        stalled=portfolio.is_stalled(pilot),
        stalled_days=portfolio.stalled_days,
        gate=gate,
        gate_note=note,
        tags={t.tag: t for t in portfolio.tags()},
        history=portfolio.history(pilot_id, limit=AUDIT_LIMIT),
        waiting=office_queue.waiting_for(portfolio, pilot_id),
    )


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d}" if moment else ""


# ---- rendering (pure functions of the view, so they are easy to read and test) --------------------------


def fields_content(view: DetailView) -> Content:
    pilot = view.record.pilot
    stalled: tuple[str, str] = ("", "")
    if view.stalled:
        stalled = (f"  STALLED (over {view.stalled_days} days)", "bold $text-warning")
    stale: tuple[str, str] = ("", "")
    if pilot.approval_stale:
        stale = ("  APPROVAL STALE (a: re-check)", "bold $text-error")
    below: tuple[str, str] = ("", "")
    if pilot.below_gate:
        below = (f"  BELOW ITS GATE (would not pass into {pilot.stage.value} today)", "bold $text-error")
    bar = readiness_bar(pilot.readiness)
    return Content.assemble(
        (pilot.id, "bold $text-accent"), "  ", (printable(pilot.name), "bold"), "\n",
        ("Office ", MUTED), printable(pilot.office) or "—", ("   Owner ", MUTED), printable(pilot.owner) or "—", "\n",
        ("Stage ", MUTED), (pilot.stage.label, "bold"), f" · {view.days_in_stage} days in stage", stalled, stale, below,
        ("   High-impact ", MUTED), "yes" if pilot.high_impact else "no", "\n",
        ("Readiness ", MUTED), f"{round(pilot.readiness * 100):>3}% ", (bar, "$text-success"),
        ("   Territory ", MUTED), (pilot.territory.value, TERRITORY_STYLE[pilot.territory]),
        ("   Open blockers ", MUTED), str(pilot.open_blockers),
        ("\n" + printable(view.waiting) + ": press 8", "bold $text-warning") if view.waiting else "",
    )  # fmt: skip


def area_prompt(view: DetailView, area: Area, first: bool) -> Content:
    statuses = [view.coverage(i.id).status for i in area.items]
    met = sum(s is CoverageStatus.MET for s in statuses)
    return Content.assemble(
        "" if first else "\n",
        (area.name, "bold $text-accent"),
        (f"  {met}/{len(statuses)} met", MUTED),
    )


def coverage_detail(coverage: Coverage) -> tuple[Content, Content]:
    """Evidence and justification; and who set the status when ("" if never). Two runs of text."""
    parts: list[Content | str | tuple[str, str]] = []
    if coverage.evidence:
        parts.append(printable(coverage.evidence))
    if coverage.justification:
        parts += [("; " if parts else "", ""), ("justification: ", "$text-primary"), printable(coverage.justification)]
    who = ""
    if coverage.updated_at is not None:
        by = f"set by {printable(coverage.updated_by)} on {_when(coverage.updated_at)}"
        who = f"{STATUS_LABEL[coverage.status]}, {by}"
    return Content.assemble(*parts), Content.styled(who, MUTED)


WRAP_FROM = 50  # a list this wide wraps who set a status rather than cut it (120 columns; not 80)


def item_prompt(item: Item, coverage: Coverage, width: int, reported: str = "") -> Content:
    """The glyph, the item's text (wrapped) and one line of its evidence and who set it (and, where an
    inventory reads otherwise than the person who set it, what it reads). The evidence is cut to fit; who
    set it is not ("office NAME (chosen by ACTOR)" is the source of the value): it goes on lines of its own
    when it does not fit beside the evidence, except in a narrow list (80 columns), where the line is cut
    and the highlighted item's panel says it in full."""
    head = hang(Content.assemble(" ", status_glyph(coverage.status), " ", item.text), width, 3)
    front, who = coverage_detail(coverage)
    if reported:
        who = Content.assemble(who, (f" · the inventory reads {reported.split(':', 1)[0]}", "$text-warning"))
    if not front and not who:
        return head
    room = max(12, width - 3)
    front = front.stylize_before(MUTED)
    beside = Content.assemble((" · ", MUTED), who) if front and who else who
    if front.cell_length + beside.cell_length <= room:
        return Content.assemble(head, "\n   ", front, beside)
    if beside.cell_length + 12 <= room:  # the evidence cut, who set it in full
        return Content.assemble(head, "\n   ", front.truncate(room - beside.cell_length, ellipsis=True), beside)
    if room < WRAP_FROM:
        return Content.assemble(head, "\n   ", Content.assemble(front, beside).truncate(room, ellipsis=True))
    lines = [head, Content("   ").append(front.truncate(room, ellipsis=True))] if front else [head]
    return Content("\n").join([*lines, hang(Content.assemble("   ", who), width, 3)])


def item_panel(view: DetailView, item_id: str | None) -> Content:
    """The highlighted item in full: its text, status, evidence, justification, who and when."""
    if item_id is None:
        return Content.styled("Choose an item with ↑/↓.", MUTED)
    item = next((i for a in view.areas for i in a.items if i.id == item_id), None)
    if item is None:
        return Content("")
    coverage = view.coverage(item_id)
    parts: list[Content | str | tuple[str, str]] = [
        status_glyph(coverage.status),
        " ",
        (STATUS_LABEL[coverage.status], "bold"),
        (f"  {item_id}", MUTED),
    ]
    if coverage.updated_at is not None:
        parts.append((f" · set by {printable(coverage.updated_by)} on {_when(coverage.updated_at)}", MUTED))
    parts += ["\n", ("Evidence: ", MUTED), printable(coverage.evidence) or "—"]
    if coverage.justification or coverage.status.needs_justification:
        parts += ["\n", ("Justification: ", "$text-primary"), printable(coverage.justification) or "—"]
    reported = view.reported(item_id)
    if reported:  # a person's status stands; the inventory's reading is shown beside it, never applied
        parts += ["\n", ("The inventory reads: ", "$text-warning"), printable(reported)]
    return Content.assemble(*parts)


def blocker_prompt(blocker: Blocker, tag: BlockerTag | None, width: int) -> Content:
    areas = ", ".join(tag.areas) if tag and tag.areas else ""
    parts: list[Content | str | tuple[str, str]] = []
    if blocker.is_open:
        parts += [("● ", category_style(blocker.category)), (blocker.tag, "bold")]
    else:
        parts += [("✓ ", "$text-success"), (blocker.tag, "strike"), " resolved"]
    parts += ["  ", (blocker.category.value, category_style(blocker.category))]
    if areas:
        parts.append((f" · {areas}", MUTED))
    head = hang(Content.assemble(*parts), width, 2)
    who = f"opened by {printable(blocker.opened_by)} on {_when(blocker.opened_at)}"
    if not blocker.is_open:
        who += f" · resolved by {printable(blocker.resolved_by)} on {_when(blocker.resolved_at)}"
    lines = [head]
    if blocker.note:
        lines.append(hang(Content.assemble("  ", printable(blocker.note)), width, 2))
    if blocker.resolution:
        lines.append(hang(Content.assemble("  ", ("how: ", MUTED), printable(blocker.resolution)), width, 2))
    lines.append(hang(Content.assemble("  ", (who, MUTED)), width, 2))
    return Content("\n").join(lines)


def gate_content(view: DetailView, width: int) -> Content:
    gate = view.gate
    if gate is None:
        return Content.assemble(("Gate", "bold"), "\n", hang(Content.styled(view.gate_note, MUTED), width, 0))
    head = Content.assemble(("Gate into ", "bold"), (gate.to_stage.label, "bold"))
    if gate.passed:
        return Content.assemble(head, "\n", ("✓ passes", "bold $text-success"), (" · > promotes", MUTED))
    lines = [head, Content.styled("✗ refused", "bold $text-error")]
    for failure in gate.failures:
        line = Content.assemble("  ", ("✗ ", "$text-error"), (failure.rule, "bold"), " ", printable(failure.reason))
        lines.append(hang(line, width, 4))
    lines.append(Content.styled("Least changes that would make it pass:", MUTED))
    lines += [hang(Content.assemble("  • ", printable(c.text)), width, 4) for c in gate.least_changes]
    return Content("\n").join(lines)


def move_lines(move: StageMove, width: int) -> list[Content]:
    if move.from_stage is None:
        what = f"entered {move.to_stage.label}"
    else:
        what = f"{move.from_stage.label} → {move.to_stage.label}"
    head = Content.assemble((_when(move.moved_at), MUTED), "  ", what, (f" · {printable(move.actor)}", MUTED))
    lines = [hang(head, width, 12)]
    if move.override:
        lines.append(
            hang(Content.assemble("    ", ("override: ", "bold $text-warning"), printable(move.override)), width, 4)
        )
        lines += [hang(Content.styled(f"    gate refused: {printable(r)}", MUTED), width, 4) for r in move.failed_rules]
    return lines


def stages_content(view: DetailView, width: int) -> Content:
    lines = [line for m in reversed(view.record.stage_history) for line in move_lines(m, width)]
    if not lines:
        lines = [Content.styled("No stage moves recorded.", MUTED)]
    return Content("\n").join([Content.styled("Stage history (newest first)", "bold"), *lines])


def audit_content(view: DetailView, width: int) -> Content:
    lines = [
        hang(
            Content.assemble(
                (f"{e.at:%Y-%m-%d %H:%M}", MUTED),
                "  ",
                (printable(e.actor), MUTED),
                "  ",
                (e.action, "bold"),
                "  ",
                printable(e.summary_for(view.record.pilot.id)),
            ),
            width,
            4,
        )
        for e in reversed(view.history)
    ] or [Content.styled("No changes recorded for this pilot since it was created or imported.", MUTED)]
    title = Content.styled(f"Audit trail (newest first, last {AUDIT_LIMIT})", "bold")
    return Content("\n").join([title, *lines])


def description_content(view: DetailView) -> Content:
    text = view.record.pilot.description
    body = Content(printable(text, single_line=False)) if text else Content.styled("No description.", MUTED)
    return Content.assemble(("Description", "bold"), "\n", body)


__all__ = [
    "AREA_PREFIX",
    "AUDIT_LIMIT",
    "BLOCKER_PREFIX",
    "DetailView",
    "area_prompt",
    "audit_content",
    "blocker_prompt",
    "description_content",
    "fields_content",
    "gate_content",
    "item_panel",
    "item_prompt",
    "load_view",
    "stages_content",
]
