"""How things look in Python-built Content: the styles screens and dialogs share (a coverage status's
glyph and colour, a blocker category's colour, the muted foreground, a hanging indent).

The rest of the look is CSS: see tui/styles/__init__.py for which rules live where.
"""

from __future__ import annotations

from textual.content import Content

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.territory import BlockerCategory
from caio_tui.domain.text import printable

# Content styles cannot use $text-muted (an "auto" colour that only CSS resolves): the muted foreground.
MUTED = "$foreground-muted"

# Theme variables rather than fixed colours, so dark and light themes both stay readable.
STATUS_STYLE: dict[CoverageStatus, str] = {
    CoverageStatus.NOT_ASSESSED: MUTED,
    CoverageStatus.GAP: "bold $text-error",
    CoverageStatus.PARTIAL: "bold $text-warning",
    CoverageStatus.MET: "bold $text-success",
    CoverageStatus.WAIVED: "bold $text-primary",
    CoverageStatus.NOT_APPLICABLE: "bold $text-primary",
}

STATUS_LABEL: dict[CoverageStatus, str] = {
    CoverageStatus.NOT_ASSESSED: "not assessed",
    CoverageStatus.GAP: "gap",
    CoverageStatus.PARTIAL: "partial",
    CoverageStatus.MET: "met",
    CoverageStatus.WAIVED: "waived",
    CoverageStatus.NOT_APPLICABLE: "not applicable",
}


def status_glyph(status: CoverageStatus) -> Content:
    """The status glyph in its colour, e.g. a green check for met."""
    return Content.styled(status.glyph, STATUS_STYLE[status])


def status_badge(status: CoverageStatus) -> Content:
    """Glyph and name, e.g. '✓ met', in the status colour."""
    return Content.styled(f"{status.glyph} {STATUS_LABEL[status]}", STATUS_STYLE[status])


def user_text(text: str) -> Content:
    """User text as plain content: never parsed as markup, control characters shown escaped."""
    return Content(printable(text))


def hang(content: Content, width: int, indent: int) -> Content:
    """Content wrapped to width with every line after the first indented (a hanging indent)."""
    width = max(12 + indent, width)
    first = content.wrap(width)[0]
    # The rest starts after the first line and the spaces the wrap consumed.
    start = len(first.plain)
    while start < len(content.plain) and content.plain[start] in " \n":
        start += 1
    if start >= len(content.plain):
        return first
    rest = content.divide([start])[1].wrap(width - indent)
    return Content("\n" + " " * indent).join([first, *rest])


def category_style(category: BlockerCategory) -> str:
    """Structural gaps (identity, infrastructure, governance) in the error colour, organizational ones in
    the warning colour: the split the territory is about."""
    return "$text-error" if category.structural else "$text-warning"
