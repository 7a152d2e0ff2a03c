"""The pilot detail screen: one pilot's fields, coverage, blockers, stage history, gate and audit trail.

Coverage and blockers are two keyboard lists (tab moves between them). A status changes only through the
editor (enter or space), never by a key press alone; `r` resolves the blocker highlighted in the blocker
list wherever the focus is, and asks how it was resolved. Every change goes through the
store, then the screen reloads the pilot and posts `PilotDetailScreen.Changed` so the portfolio table can
refresh too. Writes run off the event loop (a write can wait seconds on another program's lock) and one
at a time, so quick repeated keys apply in order. The pilot drawn as Content: tui/widgets/detail/content.py;
the two lists: tui/widgets/detail/lists.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from caio_tui.domain.blockers import Blocker
from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.stages import Stage
from caio_tui.store import Portfolio, StoreError
from caio_tui.tui.dialogs.blocker_picker import BlockerPicker
from caio_tui.tui.dialogs.coverage_edit import CoverageEditor
from caio_tui.tui.dialogs.gate import GateModal, RecheckModal
from caio_tui.tui.dialogs.pilot_form import PilotForm
from caio_tui.tui.dialogs.resolve_blocker import ResolveBlocker
from caio_tui.tui.styles.content import MUTED
from caio_tui.tui.widgets.detail.content import (
    AREA_PREFIX,
    BLOCKER_PREFIX,
    DetailView,
    area_prompt,
    audit_content,
    blocker_prompt,
    description_content,
    fields_content,
    gate_content,
    item_panel,
    item_prompt,
    load_view,
    stages_content,
)
from caio_tui.tui.widgets.detail.identity import IdentityFacts
from caio_tui.tui.widgets.detail.lists import BlockerList, CoverageList, KeyList
from caio_tui.tui.widgets.quiet_footer import QuietFooter

# ---- the screen ---------------------------------------------------------------------------------------


class PilotDetailScreen(Screen[None]):
    """One pilot: read it, change its coverage and blockers, move it through the gate."""

    class Changed(Message):
        """The pilot changed in the store (bubbles to the app so views can refresh)."""

        def __init__(self, pilot_id: str) -> None:
            super().__init__()
            self.pilot_id = pilot_id

    DEFAULT_CSS = """
    PilotDetailScreen {
        layout: vertical;
    }
    PilotDetailScreen #detail-fields {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    PilotDetailScreen #detail-body {
        height: 1fr;
    }
    PilotDetailScreen #detail-left {
        width: 3fr;
    }
    PilotDetailScreen #detail-right {
        width: 2fr;
        padding: 0 0 0 1;
    }
    PilotDetailScreen #detail-history {
        height: 1fr;
        padding-right: 1;
        scrollbar-size-vertical: 1;
    }
    PilotDetailScreen #detail-history:focus {
        background-tint: $foreground 3%;
    }
    PilotDetailScreen.-narrow #detail-item-detail {
        max-height: 4;
    }
    PilotDetailScreen .detail-section-title {
        text-style: bold;
        padding: 0 1;
        width: 1fr;
        background: $panel;
    }
    PilotDetailScreen #detail-coverage {
        height: 1fr;
        border: none;
        scrollbar-size-vertical: 1;
        scrollbar-gutter: stable;
    }
    PilotDetailScreen #detail-item-detail {
        height: auto;
        max-height: 6;
        padding: 0 1;
        border-top: solid $primary 50%;
    }
    PilotDetailScreen #detail-blockers {
        height: auto;
        max-height: 12;
        border: none;
        scrollbar-size-vertical: 1;
        scrollbar-gutter: stable;
    }
    PilotDetailScreen OptionList > .option-list--option-disabled {
        color: $text;
    }
    PilotDetailScreen #detail-blockers > .option-list--option-disabled {
        color: $text-muted;
    }
    PilotDetailScreen OptionList:focus > .option-list--option-highlighted {
        /* A lighter cursor than the default, so the status and category colours stay legible on it. */
        background: $primary 40%;
        color: $foreground;
    }
    PilotDetailScreen OptionList:focus {
        background-tint: $foreground 3%;
    }
    PilotDetailScreen #detail-history Static {
        margin-bottom: 1;
    }
    """

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    # The footer shows these first (widgets/quiet_footer.py): at 80 columns the rest may not fit.
    FOOTER_FIRST: ClassVar[tuple[str, ...]] = (
        "resolve_blocker",
        "promote",
        "edit_coverage",
        "add_blocker",
        "undo",
        "back",
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", id="detail.back"),
        # Priority: the focused list would otherwise take space and enter for its own selection. Both open
        # the editor: a status change is deliberate (space used to cycle the status, one event a press).
        Binding("enter,space", "edit_coverage", "Edit", priority=True, id="detail.edit_coverage"),
        Binding("b", "add_blocker", "Blocker", id="detail.add_blocker"),
        Binding("r", "resolve_blocker", "Resolve", id="detail.resolve_blocker"),
        Binding(">", "promote", "Promote", id="detail.promote"),
        Binding("<", "demote", "Demote", id="detail.demote"),
        Binding("e", "edit_pilot", "Fields", id="detail.edit_pilot"),
        Binding(
            "a",
            "recheck",
            "Re-check",
            tooltip="Re-check a stale approval: the gate of the last move, on today's state",
            id="detail.recheck",
        ),
    ]

    def __init__(self, portfolio: Portfolio, pilot_id: str) -> None:
        super().__init__()
        self.portfolio = portfolio
        self.pilot_id = pilot_id
        self.view: DetailView | None = None
        self._write_lock = asyncio.Lock()
        self._resumed = False

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-fields")
        with Horizontal(id="detail-body"):
            with Vertical(id="detail-left"):
                yield Label("Coverage", id="detail-coverage-title", classes="detail-section-title")
                yield CoverageList(id="detail-coverage")
                yield Static("", id="detail-item-detail")
            with Vertical(id="detail-right"):
                yield Label("Blockers", id="detail-blockers-title", classes="detail-section-title")
                yield BlockerList(id="detail-blockers")
                # Focusable after the blockers (tab order): the history can be scrolled from the keyboard.
                with VerticalScroll(id="detail-history"):
                    yield Static("", id="detail-gate")
                    yield IdentityFacts(id="detail-identity")
                    yield Static("", id="detail-stages")
                    yield Static("", id="detail-description")
                    yield Static("", id="detail-audit")
        yield QuietFooter()

    def on_mount(self) -> None:
        # One pilot is a few small queries (well under 5 ms): read it now so the first frame is complete.
        self._load_now()
        coverage = self.query_one("#detail-coverage", CoverageList)
        coverage.highlighted = _first_enabled(coverage)
        coverage.focus()

    # ---- loading and showing ---------------------------------------------------------------------------

    def _load_now(self) -> None:
        try:
            self._show(load_view(self.portfolio, self.pilot_id))
        except StoreError as exc:
            self._show_missing(str(exc))

    def on_screen_resume(self) -> None:
        # Back from another view (its own stack of screens, which the app's change notices do not reach):
        # an undo or a change made there shows here. The first resume is the mount, which has just read.
        if self._resumed:
            self.reload()
        self._resumed = True

    def reload(self) -> None:
        """Re-read the pilot from the store (e.g. after an undo or a reload from disk)."""
        self.run_worker(self._reload(changed=False), group="detail.reload")

    async def _reload(self, *, changed: bool) -> None:
        async with self._write_lock:
            await self._load_in_thread()
        if changed:
            self.post_message(self.Changed(self.pilot_id))

    async def _load_in_thread(self) -> None:
        try:
            view = await asyncio.to_thread(load_view, self.portfolio, self.pilot_id)
        except StoreError as exc:
            self._show_missing(str(exc))
            return
        self._show(view)

    def _show_missing(self, message: str) -> None:
        self.view = None
        self.query_one("#detail-fields", Static).update(Content.styled(message, "bold $text-error"))
        self.query_one("#detail-coverage", CoverageList).clear_options()
        self.query_one("#detail-blockers", BlockerList).clear_options()
        for static_id in ("#detail-gate", "#detail-stages", "#detail-description", "#detail-audit"):
            self.query_one(static_id, Static).update("")
        self.refresh_bindings()

    def _show(self, view: DetailView) -> None:
        self.view = view
        self.query_one("#detail-fields", Static).update(fields_content(view))
        self._show_coverage(view)
        self._show_item_panel()
        self._show_blockers(view)
        self._show_history(view)
        self.query_one(IdentityFacts).load(self.portfolio, self.pilot_id)
        self.refresh_bindings()

    def _show_history(self, view: DetailView) -> None:
        width = self.query_one("#detail-gate", Static).size.width or 40
        self.query_one("#detail-gate", Static).update(gate_content(view, width))
        self.query_one("#detail-stages", Static).update(stages_content(view, width))
        self.query_one("#detail-description", Static).update(description_content(view))
        self.query_one("#detail-audit", Static).update(audit_content(view, width))

    def _show_coverage(self, view: DetailView) -> None:
        coverage = self.query_one("#detail-coverage", CoverageList)
        width = coverage.prompt_width
        items = [item for area in view.areas for item in area.items]
        met = sum(view.coverage(i.id).status is CoverageStatus.MET for i in items)
        unassessed = sum(view.coverage(i.id).status is CoverageStatus.NOT_ASSESSED for i in items)
        self.query_one("#detail-coverage-title", Label).update(
            f"Coverage · {len(items)} items, {met} met, {unassessed} not assessed"
        )
        options: list[Option] = []
        for index, area in enumerate(view.areas):
            options.append(Option(area_prompt(view, area, index == 0), id=AREA_PREFIX + area.id, disabled=True))
            options += [
                Option(item_prompt(item, view.coverage(item.id), width, view.reported(item.id)), id=item.id)
                for item in area.items
            ]
        if [o.id for o in coverage.options] == [o.id for o in options]:
            # Same items (the usual case): replace the prompts in place so the list keeps its scroll.
            for option in options:
                assert option.id is not None
                coverage.replace_option_prompt(option.id, option.prompt)
            return
        _replace_options(coverage, options)

    def _show_blockers(self, view: DetailView) -> None:
        blockers = self.query_one("#detail-blockers", BlockerList)
        width = blockers.prompt_width
        record = view.record
        ordered = [*record.open_blockers, *(b for b in record.blockers if not b.is_open)]
        options = [
            Option(blocker_prompt(b, view.tags.get(b.tag), width), id=f"{BLOCKER_PREFIX}{b.id}", disabled=not b.is_open)
            for b in ordered
        ]
        if not options:
            options = [Option(Content.styled("No blockers. b adds one.", MUTED), disabled=True)]
        _replace_options(blockers, options)
        resolved = len(record.blockers) - len(record.open_blockers)
        self.query_one("#detail-blockers-title", Label).update(
            f"Blockers · {len(record.open_blockers)} open, {resolved} resolved"
        )

    # ---- what is selected ------------------------------------------------------------------------------

    def _selected_item(self) -> str | None:
        option = self.query_one("#detail-coverage", CoverageList).highlighted_option
        if option is None or option.disabled or not option.id:
            return None
        return option.id

    def _selected_blocker(self) -> Blocker | None:
        option = self.query_one("#detail-blockers", BlockerList).highlighted_option
        if self.view is None or option is None or option.disabled or not option.id:
            return None
        blocker_id = int(option.id.removeprefix(BLOCKER_PREFIX))
        return next((b for b in self.view.record.open_blockers if b.id == blocker_id), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys show in the footer only where they apply (e.g. `r` on an open blocker)."""
        if action == "back":
            return True
        if self.view is None:
            return False
        stage = self.view.record.pilot.stage
        if action == "edit_coverage":
            return isinstance(self.focused, CoverageList) and self._selected_item() is not None
        if action == "resolve_blocker":
            return bool(self.view.record.open_blockers)  # from any list: it acts on the blocker list's row
        if action == "promote":
            return stage.next() is not None
        if action == "demote":
            return stage.previous() is not None
        if action == "recheck":
            return self.view.record.pilot.approval_stale
        return True

    def _show_item_panel(self) -> None:
        if self.view is not None:
            self.query_one("#detail-item-detail", Static).update(item_panel(self.view, self._selected_item()))

    @on(OptionList.OptionHighlighted)
    def _highlight_moved(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "detail-coverage":
            self._show_item_panel()
        self.refresh_bindings()

    @on(KeyList.WidthChanged)
    def _rewrap(self) -> None:
        # Prompts are wrapped to the list's width (for the hanging indent): redo them at the new width.
        if self.view is not None:
            self._show_coverage(self.view)
            self._show_blockers(self.view)
            self._show_history(self.view)

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    # ---- actions ---------------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(OptionList.OptionSelected, "#detail-coverage")
    def _item_clicked(self) -> None:
        self.action_edit_coverage()

    def action_edit_coverage(self) -> None:
        item_id = self._selected_item()
        if item_id is not None:
            self.app.push_screen(CoverageEditor(self.portfolio, self.pilot_id, item_id), self._after_modal)

    def action_add_blocker(self) -> None:
        self.app.push_screen(BlockerPicker(self.portfolio, self.pilot_id), self._after_modal)

    def action_resolve_blocker(self) -> None:
        blocker = self._selected_blocker()
        if blocker is None:
            self.notify("Select an open blocker in the Blockers list (tab moves there), then press r.", markup=False)
            return
        self.app.push_screen(ResolveBlocker(self.pilot_id, blocker), lambda how: self._resolve(blocker.tag, how))

    def _resolve(self, tag: str, how: str | None) -> None:
        if how is not None:  # None: cancelled
            self._write(lambda: self.portfolio.resolve_blocker(self.pilot_id, tag, resolution=how))

    def action_promote(self) -> None:
        self._gate(self.view.record.pilot.stage.next() if self.view else None)

    def action_demote(self) -> None:
        self._gate(self.view.record.pilot.stage.previous() if self.view else None)

    def _gate(self, to_stage: Stage | None) -> None:
        if to_stage is not None:
            self.app.push_screen(GateModal(self.portfolio, self.pilot_id, to_stage), self._after_modal)

    def action_recheck(self) -> None:
        self.app.push_screen(RecheckModal(self.portfolio, self.pilot_id), self._after_modal)

    def action_edit_pilot(self) -> None:
        self.app.push_screen(PilotForm(self.portfolio, self.pilot_id), self._after_modal)

    # ---- changes ---------------------------------------------------------------------------------------

    def _after_modal(self, result: object) -> None:
        """A modal closed: when it changed the pilot, show the pilot as stored now."""
        if result:
            self.run_worker(self._reload(changed=True), group="detail.reload")

    def _write(self, change: Callable[[], object]) -> None:
        self.run_worker(self._apply(change), group="detail.write")

    async def _apply(self, change: Callable[[], object]) -> None:
        # One write at a time, in key order; the store call runs in a thread so the UI keeps drawing.
        async with self._write_lock:
            try:
                await asyncio.to_thread(change)
            except StoreError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            await self._load_in_thread()
        self.post_message(self.Changed(self.pilot_id))


def _first_enabled(options: OptionList) -> int | None:
    return next((i for i, o in enumerate(options.options) if not o.disabled), None)


def _replace_options(options: OptionList, new: list[Option]) -> None:
    """Replace every option, keeping the highlight on the same id when it is still there."""
    kept = options.highlighted_option
    options.set_options(new)
    if kept is not None and kept.id is not None:
        try:
            options.highlighted = options.get_option_index(kept.id)
            return
        except OptionDoesNotExist:
            pass
    options.highlighted = _first_enabled(options)


__all__ = ["PilotDetailScreen"]
