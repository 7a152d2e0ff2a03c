"""The portfolio table's columns at a given width: which are shown, in which form, and how wide.

The name gets the width. When the terminal is too narrow for every column in its full form, columns are
abbreviated, then dropped, one step at a time in NARROWING's order (the help shows it, HELP_ROWS), until
the name has NAME_WANT cells; the ID column is as wide as the longest id (read once with the counts). The
user chooses which columns there are at all (`[table] columns` in config.toml, or the palette).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from caio_tui.config import TABLE_COLUMNS
from caio_tui.store.queries import SortKey
from caio_tui.tui.widgets.virtual_table import GUTTER_WIDTH, SEPARATOR_WIDTH, Column

COLUMN_LABELS: dict[str, str] = {
    "id": "ID",
    "name": "Name",
    "office": "Office",
    "stage": "Stage",
    "readiness": "Ready",
    "territory": "Territory",
    "blockers": "Blockers",
    "days": "Days",
}
SHORT_LABELS: dict[str, str] = {"territory": "Terr.", "blockers": "Blk"}

# Each column's forms: (want, good, max) widths. The table narrows until every column has what it wants
# (the name NAME_WANT), then spare room goes to the name, the office and the blockers; the others are fixed.
FULL, SHORT, COUNT, PERCENT = "full", "short", "count", "percent"
NAME_MIN, NAME_WANT, NAME_GOOD, NAME_MAX = 10, 24, 30, 40
OFFICE_SHORT_BELOW = 18  # an office column narrower than this shows the short office names
_WIDTHS: dict[tuple[str, str], tuple[int, int, int]] = {
    ("office", FULL): (12, 20, 28),
    ("office", SHORT): (10, 16, 16),
    ("stage", FULL): (11, 11, 11),  # "production↓"
    ("readiness", FULL): (10, 10, 10),  # "100% █████"
    ("readiness", PERCENT): (5, 5, 5),  # " 100%", under "Ready"
    ("territory", FULL): (14, 14, 14),  # "organizational"
    ("territory", SHORT): (5, 5, 5),  # "infra"
    ("blockers", FULL): (22, 30, 44),  # the count and as many tags as fit
    ("blockers", SHORT): (14, 14, 14),
    ("blockers", COUNT): (3, 3, 3),
    ("days", FULL): (5, 5, 5),  # "Days": up to four digits and the stalled or the stale mark
}

# The stated order in which a narrow table gives way: (column, its next form or None to drop it, in words).
NARROWING: tuple[tuple[str, str | None, str], ...] = (
    ("territory", SHORT, "Territory abbreviated (infra, org, both, clear, unas.)"),
    ("readiness", PERCENT, "Ready: the percentage without its bar"),
    ("blockers", SHORT, "Blockers: the count and fewer tags"),
    ("office", SHORT, "Office shortened (Benefits for Office of Benefits; so is any narrow office column)"),
    ("office", None, "Office dropped"),
    ("territory", None, "Territory dropped"),
    ("blockers", COUNT, "Blockers: the count alone"),
)

# What each column means and how a narrow table gives way, for the help screen.
HELP_ROWS: tuple[tuple[str, str], ...] = (
    ("ID", "The pilot's id, sorted naturally (AI-2 before AI-10)"),
    ("Stage ↓", "↓ after the stage: below its gate (it would fail a gate up to its stage today)"),
    ("Ready", "Readiness in %: how much of what production requires is met"),
    ("Territory", "What holds it back: infra(structure), org(anizational), both, clear, unas(sessed)"),
    ("Blockers", "Open blockers: how many, then as many tags as fit and +N for the rest"),
    ("Days", "Days in the current stage; ! stalled (past the stalled threshold), ≠ approval stale"),
    *((f"narrow {n}", words) for n, (_, _, words) in enumerate(NARROWING, start=1)),
    ("columns", 'Show/Hide column in the palette (ctrl+p), or in config.toml: [table] columns = ["id", "name", …]'),
)


@dataclass(frozen=True)
class Layout:
    """The columns shown, left to right, and the form each is drawn in (`forms[key]`)."""

    columns: tuple[Column, ...]
    forms: dict[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(column.key for column in self.columns)

    def form(self, key: str) -> str:
        return self.forms.get(key, FULL)

    def width(self, key: str) -> int:
        return next((c.width for c in self.columns if c.key == key), 0)

    @property
    def compact(self) -> bool:
        """Whether any column gave way (short words in the cells)."""
        return any(form != FULL for form in self.forms.values())


def _bounds(key: str, form: str, id_width: int) -> tuple[int, int, int]:
    if key == "id":
        return (id_width, id_width, id_width)
    if key == "name":
        return (NAME_WANT, NAME_GOOD, NAME_MAX)
    return _WIDTHS[(key, form)]


def layout_for(width: int, *, id_width: int = 7, shown: tuple[str, ...] = TABLE_COLUMNS) -> Layout:
    """The columns `shown` (in that order) fitted to `width` cells: forms narrowed in NARROWING's order
    until every column has the width it wants, then the spare room shared: the name to NAME_GOOD, the
    office and the blockers to their good widths, then each to its widest, the rest to the name. Still too
    narrow with every step taken, the name shrinks to NAME_MIN and the table scrolls sideways."""
    id_width = max(len(COLUMN_LABELS["id"]) + 2, id_width)  # room for the header's sort arrow
    forms = dict.fromkeys(shown, FULL)

    def wanted() -> int:
        separators = SEPARATOR_WIDTH * max(0, len(forms) - 1)
        return GUTTER_WIDTH + separators + sum(_bounds(k, f, id_width)[0] for k, f in forms.items())

    taken: list[tuple[str, str]] = []  # (column, its form before the step)
    for key, form, _ in NARROWING:
        if wanted() <= width:
            break
        if key in forms:
            taken.append((key, forms[key]))
            if form is None:
                del forms[key]
            else:
                forms[key] = form
    # A late step can free more room than was missing: give back what an earlier one took, if it fits.
    for key, form in reversed(taken[:-1]):
        before = dict(forms)
        forms[key] = form
        forms = {k: forms[k] for k in shown if k in forms}  # a column given back keeps its place
        if wanted() > width:
            forms = before
    widths = {k: _bounds(k, f, id_width)[0] for k, f in forms.items()}
    spare = width - wanted()
    if spare < 0 and "name" in widths:
        widths["name"] = max(NAME_MIN, widths["name"] + spare)
    for step in (1, 2):  # first to the good widths, then to the widest
        for key in ("name", "office", "blockers"):
            if key in widths and spare > 0:
                grow = max(0, min(spare, _bounds(key, forms[key], id_width)[step] - widths[key]))
                widths[key] += grow
                spare -= grow
    if spare > 0 and "name" in widths:
        widths["name"] += spare
    if widths.get("office", OFFICE_SHORT_BELOW) < OFFICE_SHORT_BELOW:
        forms["office"] = SHORT
    columns = tuple(_column(key, forms[key], widths[key]) for key in forms)
    return Layout(columns, {k: f for k, f in forms.items() if f != FULL})


def _column(key: str, form: str, width: int) -> Column:
    label = COLUMN_LABELS[key]
    if width < len(label) + 2:
        label = SHORT_LABELS.get(key, label)
    right = key in (SortKey.READINESS.value, SortKey.DAYS.value)
    return Column(key, label, width, align="right" if right else "left")


def blockers_cell(count: int, tags: list[str], width: int) -> str:
    """The open blocker count, then as many whole tags as fit in `width` cells and `+N` for the rest; a
    first tag too long for the room is cut (the count and `+N` always show)."""
    if count <= 0:
        return ""
    head = str(count)
    if not tags or width <= len(head) + 2:
        return head
    shown: list[str] = []
    for index, tag in enumerate(tags):
        rest = len(tags) - index - 1
        more = f" +{rest}" if rest else ""
        candidate = " ".join([head, *shown, tag]) + more
        if len(candidate) <= width:
            shown.append(tag)
            continue
        if not shown:  # not even the first tag: cut it, keep the count of the others
            more = f" +{len(tags) - 1}" if len(tags) > 1 else ""
            room = width - len(head) - 1 - len(more)
            if room >= 4:
                return f"{head} {tag[: room - 1]}…{more}"
            return f"{head}{more}"
        return " ".join([head, *shown]) + f" +{len(tags) - len(shown)}"
    return " ".join([head, *shown])


__all__ = ["HELP_ROWS", "NARROWING", "Layout", "blockers_cell", "layout_for"]
