"""Help (`?` or `f1`): every key of every screen, grouped by screen.

The list is read from the BINDINGS of the screens and widgets themselves, so it cannot drift from what
the keys do; a view that lands later (navigation.VIEWS) joins it with its own bindings.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.keys import _normalize_key_list
from textual.screen import Screen
from textual.widgets import Footer, Static

from caio_tui.domain.stages import DEFAULT_STALLED_DAYS

KEY_WIDTH = 14
WIDE_AT = 110  # columns from which the sections are laid out in two columns


@dataclass(frozen=True)
class HelpSection:
    title: str
    rows: tuple[tuple[str, str], ...]  # (keys as displayed, what they do)


# The help screen's own keys, here so that this list of every screen's keys needs no import of it.
HELP_BINDINGS: list[BindingType] = [
    Binding("escape,q,question_mark,f1", "close", "Close", id="help.close"),
    # The list keys work here too (the arrows, home, end and the page keys come with the scroll).
    Binding("g", "scroll('top')", "Top", show=False, tooltip="To the top", id="help.top"),
    Binding("G", "scroll('bottom')", "Bottom", show=False, tooltip="To the bottom", id="help.bottom"),
    Binding("j", "scroll('down')", "Down", show=False, tooltip="Scroll down", id="help.down"),
    Binding("k", "scroll('up')", "Up", show=False, tooltip="Scroll up", id="help.up"),
]


@dataclass(frozen=True)
class BindingGroup:
    """The keys of one screen or dialog, as the help lists them. `also`: the bindings active beside
    them (the app's, a list's), which a key given by the keymap must not collide with either."""

    title: str
    bindings: tuple[Binding, ...]
    also: tuple[Binding, ...] = ()


def _of(*classes: type[Any]) -> tuple[Binding, ...]:
    found: list[BindingType] = []
    for cls in classes:
        found += getattr(cls, "BINDINGS", [])
    return _of_list(found)


def _of_list(bindings: list[BindingType]) -> tuple[Binding, ...]:
    return tuple(Binding.make_bindings(bindings))


def binding_groups(app_class: type[App[Any]]) -> list[BindingGroup]:
    """Every screen's keys, in the order a user meets the screens (the help's order)."""
    from caio_tui.tui.dialogs.blocker_picker import BlockerPicker
    from caio_tui.tui.dialogs.coverage_edit import CoverageEditor
    from caio_tui.tui.dialogs.export import ExportDialog
    from caio_tui.tui.dialogs.gate import GateModal
    from caio_tui.tui.dialogs.import_file import ImportScreen
    from caio_tui.tui.dialogs.pilot_form import PilotForm
    from caio_tui.tui.dialogs.questions import ConfirmScreen, PathPrompt
    from caio_tui.tui.navigation import VIEWS
    from caio_tui.tui.screens.detail import PilotDetailScreen
    from caio_tui.tui.screens.portfolio import FilterInput, PortfolioScreen
    from caio_tui.tui.screens.snapshot_diff import SnapshotDiffScreen
    from caio_tui.tui.widgets.detail.lists import CoverageList
    from caio_tui.tui.widgets.virtual_table import VirtualTable

    app_bindings = _of(app_class)
    anywhere = tuple(b for b in app_bindings if not b.action.startswith("view(") and not b.system)
    palette = Binding(
        App.COMMAND_PALETTE_BINDING, "command_palette", "Palette", tooltip="Command palette: views, export, theme, …"
    )
    views = tuple(b for b in app_bindings if b.action.startswith("view("))
    table = _of(VirtualTable)
    beside = app_bindings + table  # what a view's or the detail screen's own keys live beside

    groups = [
        BindingGroup("Anywhere", (*anywhere, palette)),
        BindingGroup("Views", views),
        BindingGroup("Portfolio", _of(PortfolioScreen), beside),
        BindingGroup("Portfolio: the filter line", _of(FilterInput)),
        BindingGroup("Lists and tables", table, app_bindings),
        BindingGroup("Pilot detail", _of(PilotDetailScreen, CoverageList), beside),
        BindingGroup("Blocker picker", _of(BlockerPicker), app_bindings),
        BindingGroup("Gate", _of(GateModal), app_bindings),
        BindingGroup("Coverage editor", _of(CoverageEditor), app_bindings),
        BindingGroup("Pilot form", _of(PilotForm), app_bindings),
    ]
    for view in VIEWS:
        screen_class = view.screen_class()
        if screen_class is not PortfolioScreen:
            groups.append(BindingGroup(view.title, _of(screen_class), beside))
    groups += [
        BindingGroup("Export (x)", _of(ExportDialog), app_bindings),
        BindingGroup("Import (palette)", _of(ImportScreen), app_bindings),
        BindingGroup("Compare with snapshot (palette)", _of(SnapshotDiffScreen), app_bindings),
        BindingGroup("Questions", _of(ConfirmScreen), app_bindings),
        BindingGroup("File name", _of(PathPrompt), app_bindings),
        BindingGroup("Help", _of_list(HELP_BINDINGS), app_bindings),
    ]
    return groups


def keys_of(binding: Binding, keymap: Mapping[str, str]) -> list[str]:
    """The keys a binding answers to under a keymap (Textual's long names: `question_mark`, not `?`)."""
    given = keymap.get(binding.id) if binding.id else None
    return _normalize_key_list(given if given is not None else binding.key).split(",")


def _describe(binding: Binding) -> str:
    if binding.tooltip:
        return binding.tooltip
    if binding.description:
        return binding.description
    return binding.action.split("(")[0].replace("_", " ").strip().capitalize()


def binding_rows(app: App[Any], bindings: Iterable[BindingType]) -> tuple[tuple[str, str], ...]:
    """One row per action: its keys (as the footer shows them, the user's keymap applied) and its
    description. System bindings (Textual's own) are left out."""
    keymap: Mapping[str, str] = app._keymap
    grouped: dict[tuple[str, str], list[str]] = {}
    for binding in Binding.make_bindings(bindings):
        if binding.system:
            continue
        keys = grouped.setdefault((binding.action, _describe(binding)), [])
        mapped = binding.id in keymap if binding.id else False
        for key in keys_of(binding, keymap) if mapped else [binding.key]:
            shown = app.get_key_display(binding.with_key(key, None) if mapped else binding)
            if shown not in keys:
                keys.append(shown)
    return tuple((" ".join(keys), description) for (_action, description), keys in grouped.items())


def help_sections(app: App[Any]) -> list[HelpSection]:
    """Every screen's keys, in the order a user meets the screens (tui/keymap.py lists them)."""
    from caio_tui.tui.widgets.filter_bar import GRAMMAR
    from caio_tui.tui.widgets.pilot_columns import HELP_ROWS

    sections = [HelpSection(g.title, binding_rows(app, g.bindings)) for g in binding_groups(type(app))]
    after_filter = next(i for i, s in enumerate(sections) if s.title == "Portfolio: the filter line") + 1
    sections[after_filter:after_filter] = [
        HelpSection("The filter (/ in Portfolio, Pipeline, Compare)", GRAMMAR),
        HelpSection("Portfolio: the columns", HELP_ROWS),
    ]
    portfolio = getattr(app, "portfolio", None)
    days = getattr(portfolio, "stalled_days", DEFAULT_STALLED_DAYS)
    sections.append(
        HelpSection(
            "Words",
            (
                ("stalled", f"In pilot or readiness for over {days} days (stalled_days in config.toml)"),
                ("stale ≠", "Approved on a state that has changed since: its gate would now refuse it"),
                ("below-gate ↓", "Standing at a stage whose gates it would fail today"),
            ),
        )
    )
    sections.append(
        HelpSection(
            "Mouse",
            (
                ("click", "Select a row"),
                ("double-click", "Open the pilot"),
                ("click heading", "Sort by the column (again: reverse)"),
            ),
        )
    )
    return sections


def section_content(section: HelpSection, width: int = 80) -> Content:
    """A section as lines of `keys  description`, descriptions wrapped under themselves to `width`."""
    key_width = min(KEY_WIDTH, max((len(keys) for keys, _ in section.rows), default=0))
    indent = " " * (2 + key_width + 2)
    lines: list[Content | tuple[str, str] | str] = [(section.title, "bold $text-primary")]
    for keys, description in section.rows:
        wrapped = textwrap.wrap(description, max(12, width - len(indent))) or [""]
        lines += ["\n", (f"  {keys:<{key_width}}", "bold $text-accent"), "  ", wrapped[0]]
        lines += [f"\n{indent}{more}" for more in wrapped[1:]]
    return Content.assemble(*lines)


class HelpScreen(Screen[None]):
    """The keys of every screen, grouped; scrolls with the arrows and page keys."""

    BINDINGS: ClassVar[list[BindingType]] = HELP_BINDINGS

    _sections: list[HelpSection]

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE_AT, "-wide")]

    def compose(self) -> ComposeResult:
        yield Static(
            Content.assemble(
                ("Keys", "bold"),
                ("  ·  every key of every screen  ·  esc closes  ·  ctrl+p: the command palette", "$text-muted"),
            ),
            id="help-title",
        )
        self._sections = help_sections(self.app)
        width = self._column_width(self.app.size.width)
        with VerticalScroll(id="help-body"):
            for section in self._sections:
                yield Static(section_content(section, width), classes="help-section")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def on_resize(self) -> None:
        width = self._column_width(self.size.width)
        for static, section in zip(self.query(".help-section").results(Static), self._sections, strict=True):
            static.update(section_content(section, width))

    @staticmethod
    def _column_width(screen_width: int) -> int:
        usable = screen_width - 2 - 1  # padding and scrollbar
        return (usable - 2) // 2 if screen_width >= WIDE_AT else usable

    def action_close(self) -> None:
        self.dismiss()

    def action_scroll(self, where: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        {"top": body.scroll_home, "bottom": body.scroll_end, "down": body.scroll_down, "up": body.scroll_up}[where](
            animate=False
        )


__all__ = [
    "HELP_BINDINGS",
    "BindingGroup",
    "HelpScreen",
    "HelpSection",
    "binding_groups",
    "binding_rows",
    "help_sections",
    "keys_of",
    "section_content",
]
