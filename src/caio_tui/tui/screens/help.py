"""Help (`?` or `f1`): every key of every screen, grouped by screen.

The list is read from the BINDINGS of the screens and widgets themselves, so it cannot drift from what
the keys do; a view that lands later (navigation.VIEWS) joins it with its own bindings.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

KEY_WIDTH = 14
WIDE_AT = 110  # columns from which the sections are laid out in two columns


@dataclass(frozen=True)
class HelpSection:
    title: str
    rows: tuple[tuple[str, str], ...]  # (keys as displayed, what they do)


def _describe(binding: Binding) -> str:
    if binding.tooltip:
        return binding.tooltip
    if binding.description:
        return binding.description
    return binding.action.split("(")[0].replace("_", " ").strip().capitalize()


def binding_rows(app: App[Any], bindings: Iterable[BindingType]) -> tuple[tuple[str, str], ...]:
    """One row per action: its keys (as the footer shows them) and its description. System bindings
    (Textual's own, like ctrl+c) are left out."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for binding in Binding.make_bindings(bindings):
        if binding.system:
            continue
        keys = grouped.setdefault((binding.action, _describe(binding)), [])
        shown = app.get_key_display(binding)
        if shown not in keys:
            keys.append(shown)
    return tuple((" ".join(keys), description) for (_action, description), keys in grouped.items())


def _bindings_of(cls: type[Any]) -> list[BindingType]:
    return list(getattr(cls, "BINDINGS", []))


def help_sections(app: App[Any]) -> list[HelpSection]:
    """Every screen's keys, in the order a user meets the screens."""
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
    from caio_tui.tui.widgets.filter_bar import GRAMMAR
    from caio_tui.tui.widgets.virtual_table import VirtualTable

    app_bindings = list(Binding.make_bindings(_bindings_of(type(app))))
    anywhere = [b for b in app_bindings if not b.action.startswith("view(")]
    palette = Binding(
        App.COMMAND_PALETTE_BINDING, "command_palette", "Palette", tooltip="Command palette: views, export, theme, …"
    )
    views = [b for b in app_bindings if b.action.startswith("view(")]
    sections = [
        HelpSection("Anywhere", binding_rows(app, [*anywhere, palette])),
        HelpSection("Views", binding_rows(app, views)),
        HelpSection("Portfolio", binding_rows(app, _bindings_of(PortfolioScreen))),
        HelpSection("Portfolio: the filter line", binding_rows(app, _bindings_of(FilterInput))),
        HelpSection("The filter (/ in Portfolio, Pipeline, Compare)", GRAMMAR),
        HelpSection("Lists and tables", binding_rows(app, _bindings_of(VirtualTable))),
        HelpSection(
            "Pilot detail",
            binding_rows(app, [*_bindings_of(PilotDetailScreen), *_bindings_of(CoverageList)]),
        ),
        HelpSection("Blocker picker", binding_rows(app, _bindings_of(BlockerPicker))),
        HelpSection("Gate", binding_rows(app, _bindings_of(GateModal))),
        HelpSection("Coverage editor", binding_rows(app, _bindings_of(CoverageEditor))),
        HelpSection("Pilot form", binding_rows(app, _bindings_of(PilotForm))),
    ]
    for view in VIEWS:
        screen_class = view.screen_class()
        if screen_class is not PortfolioScreen:
            sections.append(HelpSection(view.title, binding_rows(app, _bindings_of(screen_class))))
    sections += [
        HelpSection("Export (x)", binding_rows(app, _bindings_of(ExportDialog))),
        HelpSection("Import (palette)", binding_rows(app, _bindings_of(ImportScreen))),
        HelpSection("Compare with snapshot (palette)", binding_rows(app, _bindings_of(SnapshotDiffScreen))),
        HelpSection("Questions", binding_rows(app, _bindings_of(ConfirmScreen))),
        HelpSection("File name", binding_rows(app, _bindings_of(PathPrompt))),
        HelpSection("Help", binding_rows(app, _bindings_of(HelpScreen))),
        HelpSection(
            "Mouse",
            (
                ("click", "Select a row"),
                ("double-click", "Open the pilot"),
                ("click heading", "Sort by the column (again: reverse)"),
            ),
        ),
    ]
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

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="help.close"),
    ]

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

    def section_titles(self) -> Sequence[str]:
        return [s.title for s in self._sections]


__all__ = ["HelpScreen", "HelpSection", "binding_rows", "help_sections", "section_content"]
