"""The Pipeline board drawn: a card's lines, a lane of cards (LaneView) and the lanes side by side (Board).

A card shows a pilot's name, office, readiness bar and one glyph per open blocker (by category, each its
own shape), its days in stage, and one mark each for a stalled pilot, a stale approval and a pilot below its
gate (after its readiness: it stands where its readiness would not let it in today).
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import events
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory
from caio_tui.domain.text import clip, printable, readiness_bar
from caio_tui.tui.styles.text import short_office
from caio_tui.tui.widgets.board.data import MIN_WINDOW, Card, Lane

CARD_LINES = 4  # name, office, readiness and blockers, days and marks
CARD_GAP = 1
HEAD_LINES = 2  # the stage with its count, and a rule
COLLAPSED_WIDTH = 9
NARROW_LANE = 15  # below this many cells a card uses its short words
SHORT_LABEL: dict[Stage, str] = {
    Stage.INTAKE: "Intake",
    Stage.POC: "PoC",
    Stage.PILOT: "Pilot",
    Stage.READINESS: "Ready",
    Stage.PRODUCTION: "Prod",
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
BELOW_GATE_MARK = "↓"  # stands at a stage whose gates it would fail today
STALE_MARK = "≠"  # the approval was made on a state the pilot no longer has (as in the table)
FOCUS_STYLE = "on $primary 25%"
FOCUS_BLURRED_STYLE = "on $primary 10%"


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
    """Days in stage, then the stalled and stale marks in the longest words that fit in `room` cells. A
    stalled pilot is marked here only (one way: the word or `!`); a stale approval by `≠` or its words."""
    days = f"{card.days}d"
    stalled = [" stalled", "!"] if card.stalled else [""]
    stale = [" approval stale", " stale", STALE_MARK] if card.stale else [""]
    for stalled_word in stalled:
        for stale_word in stale:
            if len(days) + len(stalled_word) + len(stale_word) <= room:
                return Content.assemble((days, MUTED), (stalled_word, STALLED_STYLE), (stale_word, STALE_STYLE))
    # No room for everything: the marks first, so the days are what gets cut.
    return Content.assemble((stalled[-1].strip(), STALLED_STYLE), (stale[-1].strip(), STALE_STYLE), " ", (days, MUTED))


def _name_lines(name: str, width: int) -> tuple[str, str]:
    """A name over two lines of `width` cells, broken between words where it can be (a narrow card)."""
    if len(name) <= width:
        return name, ""
    cut = name.rfind(" ", 0, width + 1)
    if cut <= 0:  # a first word longer than the line: cut it, and the next line starts at the next word
        space = name.find(" ")
        return name[: width - 1] + "…", name[space + 1 :] if space > 0 else ""
    return name[:cut].rstrip(), name[cut:].strip()


def card_lines(card: Card, width: int) -> list[Content]:
    """The card's four lines, each exactly `width` cells: the name; the office; the readiness; the blocker
    glyphs with days in stage and the marks. On a narrow card the name takes the office's line when it
    needs it, and the readiness bar gives way to the percentage."""
    narrow = width < NARROW_LANE
    pad = "" if narrow else " "  # a narrow card uses every cell
    inner = max(1, width - len(pad))
    percent = f"{round(card.readiness * 100)}%"
    below = BELOW_GATE_MARK if card.below_gate else ""
    room = inner - len(percent) - len(below) - 1
    bar = readiness_bar(card.readiness, min(12, room)) + " " if room >= 3 else ""
    glyphs = blocker_glyphs(card.blockers, min(6, max(2, inner // 3)))
    spacer = " " if glyphs.cell_length else ""
    name = printable(card.name)
    office = printable(short_office(card.office) if narrow else card.office) or "—"
    first = Content.styled(name, "bold")
    second = Content.styled(office, MUTED)
    if narrow:
        top, rest = _name_lines(name, inner)
        if rest:
            first, second = Content.styled(top, "bold"), Content.styled(rest, "bold")
    rows = [
        first,
        second,
        Content.assemble((bar, "$text-success"), (percent, MUTED), (below, STALE_STYLE)),
        Content.assemble(glyphs, spacer, _marks(card, inner - glyphs.cell_length - len(spacer))),
    ]
    return [Content.assemble(pad, row.truncate(inner, ellipsis=True, pad=True)) for row in rows]


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
            empty = "  no pilots" if width >= 11 else "no pilots" if width >= 9 else "none"
            lines.append(Content.styled(empty, MUTED).truncate(width))  # one line, never wrapped
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
        lead, gap = " ", "  "
        if len(label) + len(gap) + len(count) > width - 1:
            label, gap = SHORT_LABEL[self.lane.stage], " "
        if len(label) + len(gap) + len(count) > width - 1:
            lead = ""  # a narrow lane: the heading starts at its edge, as its cards do
        # The count always shows; a label without room for it gives way.
        label = clip(label, max(1, width - len(lead) - len(gap) - len(count)))
        return Content.assemble(lead, (label, "bold"), gap, (count, "bold $text-accent")).truncate(width)

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


__all__ = ["Board", "LaneView", "card_lines", "window_size"]
