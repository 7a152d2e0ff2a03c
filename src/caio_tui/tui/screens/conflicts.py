"""The Conflicts view (key `8`): what office bundles left waiting after `caio-tui merge FILE`.

Above, each conflict side by side: the pilot, the field (one of its own fields, a coverage item, a blocker
tag), the value sent (base), the CAIO's, the office's, and the office. `c` keeps the CAIO's value, `o` takes
the office's, `e` sets a value of one's own (a dialog prefilled with the office's, checked as the field's
type). Below, the stage requests (an office moved a pilot; gate decisions are the CAIO's): `>` passes the
pilot through the gate in the same dialog as `>` in the Portfolio view (a refused gate lists its failing
rules, `o` there overrides with a written justification), `d` declines (with an optional reason). Tab
moves between the lists; the focused one's cursor is in the accent colour and only its keys are offered,
acting on its highlighted row. A pane under the lists shows that row in full (tui/widgets/conflict_pane.py).

Every read and write runs in a worker; user text is shown as Text, never markup. Each decision is one
change (`u` undoes it: the conflict or request waits again), and the count in the view bar follows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Static

from caio_tui.domain.office_values import describe, edit_text, office_named, stage_title
from caio_tui.domain.stages import Stage
from caio_tui.domain.text import clip, printable
from caio_tui.store import Portfolio, StoreError, office_decisions, office_queue
from caio_tui.tui.dialogs.gate import GateModal
from caio_tui.tui.screens.view import ViewScreen
from caio_tui.tui.widgets.conflict_pane import ConflictPane, request_text
from caio_tui.tui.widgets.quiet_footer import QuietFooter
from caio_tui.tui.widgets.view_bar import ViewBar
from caio_tui.tui.widgets.virtual_table import Column, SequenceSource, TableRow, VirtualTable

if TYPE_CHECKING:
    from caio_tui.domain.office_merge import Value
    from caio_tui.store.office_queue import WaitingConflict, WaitingRequest

NARROW_BELOW = 100
NO_BUNDLE = "No bundle merged yet. An office's changes arrive with: caio-tui merge FILE"
NOTHING_WAITS = "No conflict waits: every one is resolved."
NO_REQUESTS = "No stage request waits."


def conflict_columns(width: int) -> tuple[Column, ...]:
    narrow = width < NARROW_BELOW
    side = 12 if narrow else 18
    return (
        Column("pilot", "Pilot", 16 if narrow else 26, min_width=8),
        Column("field", "Field", 12 if narrow else 22, min_width=8),
        Column("base", "Base", side, min_width=6),
        Column("caio", "CAIO", side, min_width=6),
        Column("office", "Office's", side, min_width=6),
        Column("from", "From", 10 if narrow else 16, min_width=6),
    )


def request_columns(width: int) -> tuple[Column, ...]:
    narrow = width < NARROW_BELOW
    return (
        Column("pilot", "Pilot", 24 if narrow else 40, min_width=8),
        Column("asks", "Asks", 22, min_width=10),
        Column("now", "Now", 12),
        Column("from", "From", 16 if narrow else 30, min_width=6),
    )


def _pilot(pilot_id: str, name: str) -> Text:
    text = Text(printable(pilot_id), style="bold")
    return text.append(" " + printable(name or "(no longer in the portfolio)"), style="" if name else "italic")


def conflict_rows(found: list[WaitingConflict]) -> list[TableRow]:
    """A row per waiting conflict; its key is the conflict's id."""
    return [
        TableRow(
            str(c.id),
            (
                _pilot(c.pilot_id, c.pilot_name),
                Text(printable(str(c.key))),
                Text(clip(printable(describe(c.kind, c.base)), 200), style="dim"),
                Text(clip(printable(describe(c.kind, c.caio)), 200)),
                Text(clip(printable(describe(c.kind, c.office)), 200), style="bold"),
                Text(printable(c.office_name)),
            ),
        )
        for c in found
    ]


def request_rows(asked: list[WaitingRequest]) -> list[TableRow]:
    """A row per waiting stage request; its key is the request's id."""
    return [
        TableRow(
            str(r.id),
            (
                _pilot(r.pilot_id, r.pilot_name),
                Text(f"{stage_title(r.current)} → {stage_title(r.requested)}", style="bold"),
                Text(stage_title(r.stage_now)),
                Text(printable(r.office_name)),
            ),
        )
        for r in asked
    ]


class RequestGateModal(GateModal):
    """The gate dialog of `>`, for an office's stage request: the move is the request's decision."""

    DEFAULT_CSS = """
    RequestGateModal #gate-result {
        max-height: 40vh;
    }
    """

    def __init__(self, portfolio: Portfolio, request: WaitingRequest) -> None:
        super().__init__(portfolio, request.pilot_id, Stage(request.requested))
        self.request = request
        self.request_id = request.id

    def _evaluate(self) -> None:
        super()._evaluate()  # then say who asks, in the office's own words, above the gate
        self.query_one("#gate-heading", Static).update(request_text(self.request))

    def _decide(self, override: str | None) -> None:
        office_decisions.decide_request(self.portfolio, self.request_id, move=True, override=override)


class ConflictsScreen(ViewScreen, inherit_bindings=False):
    """Conflicts and stage requests from office bundles; every decision is a person's."""

    DEFAULT_CSS = """
    ConflictsScreen .conflicts-title {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    ConflictsScreen .conflicts-title.-focused {
        color: $text-accent;
    }
    ConflictsScreen VirtualTable > .virtual-table--cursor {
        background: $panel;
        color: $text-muted;
        text-style: none;
    }
    ConflictsScreen VirtualTable:focus > .virtual-table--cursor {
        background: $accent;
        color: $text;
        text-style: bold;
    }
    ConflictsScreen #conflicts-table {
        height: 2fr;
    }
    ConflictsScreen #requests-table {
        height: 1fr;
        min-height: 3;
    }
    ConflictsScreen #conflicts-hint {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "take('caio')", "CAIO's", id="conflicts.take_caio", tooltip="Keep the CAIO's value"),
        Binding("o", "take('office')", "Office's", id="conflicts.take_office", tooltip="Take the office's value"),
        Binding("e", "edit", "Edit", id="conflicts.edit", tooltip="Set a value of your own (starts from the office's)"),
        Binding(
            "greater_than_sign",
            "gate",
            "Gate",
            id="conflicts.gate",
            tooltip="Pass the request's pilot through the gate",
        ),
        Binding("d", "decline", "Decline", id="conflicts.decline", tooltip="Decline the stage request"),
        Binding(
            "tab",
            "other_list",
            "Other list",
            id="conflicts.other_list",
            tooltip="Move between the conflicts and the stage requests",
        ),
        Binding(
            "shift+tab",
            "other_list",
            "Other list",
            show=False,
            id="conflicts.other_list_back",
            tooltip="The other list",
        ),
    ]
    # At 80 columns the footer keeps these first (quiet_footer.py): the focused list's keys, undo, help.
    FOOTER_FIRST = ("take('caio')", "take('office')", "edit", "gate", "decline", "undo", "help", "other_list")

    def __init__(self, portfolio: Portfolio) -> None:
        super().__init__(id="conflicts-view")
        self.portfolio = portfolio
        self.found: list[WaitingConflict] | None = None
        self.asked: list[WaitingRequest] = []
        self.merged = False

    @property
    def conflicts_table(self) -> VirtualTable:
        return self.query_one("#conflicts-table", VirtualTable)

    @property
    def requests_table(self) -> VirtualTable:
        return self.query_one("#requests-table", VirtualTable)

    def compose(self) -> ComposeResult:
        width = self.app.size.width - 1
        yield ViewBar("conflicts")
        yield Static(
            Content.assemble(("Conflicts", "bold"), " · reading…"), id="conflicts-title", classes="conflicts-title"
        )
        yield VirtualTable(conflict_columns(width), None, empty_message=NO_BUNDLE, id="conflicts-table")
        yield Static(Content.styled("Stage requests", "bold"), id="requests-title", classes="conflicts-title")
        yield VirtualTable(request_columns(width), None, empty_message=NO_REQUESTS, id="requests-table")
        yield ConflictPane(id="conflicts-pane")
        yield Static("", id="conflicts-hint", markup=False)
        yield QuietFooter()

    def on_mount(self) -> None:
        self.conflicts_table.focus()
        self.load()

    def on_resize(self) -> None:
        width = self.app.size.width - 1
        for table, columns in (
            (self.conflicts_table, conflict_columns(width)),
            (self.requests_table, request_columns(width)),
        ):
            if columns != table.columns:
                table.set_columns(columns)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only the focused list's keys: a key never acts on the list the user is not looking at."""
        if action in ("take", "edit"):
            return bool(self.found) and self._on_requests() is False
        if action in ("gate", "decline"):
            return bool(self.asked) and self._on_requests() is True
        return True

    def _on_requests(self) -> bool | None:
        """Whether the requests list has focus (None: neither list, e.g. while a dialog is open)."""
        focused = self.focused
        if focused is self.requests_table:
            return True
        return False if focused is self.conflicts_table else None

    def action_other_list(self) -> None:
        (self.conflicts_table if self._on_requests() else self.requests_table).focus()

    def on_descendant_focus(self) -> None:
        self._focus_shown()

    @on(VirtualTable.CursorMoved)
    def _cursor_moved(self) -> None:
        self._show_pane()

    def _focus_shown(self) -> None:
        on_requests = self._on_requests()
        if self.found is not None:
            counts = f" · {len(self.found)} conflict(s) wait" if self.merged else ""
            self._title("#conflicts-title", "Conflicts", counts, on_requests is False)
            self._title(
                "#requests-title",
                "Stage requests",
                f" · {len(self.asked)} wait" if self.merged else "",
                on_requests is True,
            )
        self._show_hint()
        self._show_pane()
        self.refresh_bindings()

    def _title(self, selector: str, name: str, counts: str, focused: bool) -> None:
        """A list's title; the focused list's is marked (▸, in the accent colour), readable without colour."""
        title = self.query_one(selector, Static)
        title.set_class(focused, "-focused")
        title.update(Content.assemble("▸ " if focused else "  ", (name, "bold"), counts))

    def _show_pane(self) -> None:
        pane = self.query_one(ConflictPane)
        chosen = self._request() if self._on_requests() else self._conflict()
        if chosen is None:
            pane.clear()
        elif isinstance(chosen, office_queue.WaitingRequest):
            pane.show_request(chosen)
        else:
            pane.show_conflict(chosen)

    def _show_hint(self) -> None:
        if not (self.found or self.asked):
            hint = ""
        elif self._on_requests():
            hint = "> gate · d decline · tab: conflicts · enter: the pilot"
        else:
            hint = "c keep CAIO's · o take office's · e edit · tab: requests"
        self.query_one("#conflicts-hint", Static).update(hint)

    # ---- reading -----------------------------------------------------------------------------------------

    def load(self) -> None:
        self._stale = False
        self._load()

    @work(exclusive=True, group="conflicts.load")
    async def _load(self) -> None:
        try:
            read = await asyncio.to_thread(_read, self.portfolio)
        except StoreError as exc:
            self.notify(str(exc), title="Cannot read the conflicts", severity="error", markup=False)
            return
        self.found, self.asked, self.merged = read.found, read.asked, read.merged
        self._show(read)
        self.refresh_bindings()

    def _show(self, read: _Read) -> None:
        if not self.is_mounted:
            return
        self.conflicts_table.empty_message = NOTHING_WAITS if self.merged else NO_BUNDLE
        self.conflicts_table.set_source(SequenceSource(read.conflict_rows))
        self.requests_table.set_source(SequenceSource(read.request_rows))
        if not self.found and self.asked and not self._on_requests():
            self.requests_table.focus()  # nothing to settle above: the requests are what waits
        self._focus_shown()

    # ---- deciding ------------------------------------------------------------------------------------------

    def _conflict(self) -> WaitingConflict | None:
        key = self.conflicts_table.cursor_key
        return next((c for c in self.found or [] if str(c.id) == key), None)

    def _request(self) -> WaitingRequest | None:
        key = self.requests_table.cursor_key
        return next((r for r in self.asked if str(r.id) == key), None)

    def action_take(self, side: str) -> None:
        conflict = self._conflict()
        if conflict is not None:
            chosen: Any = side
            self._write(lambda: office_decisions.resolve_conflict(self.portfolio, conflict.id, chosen))

    def action_edit(self) -> None:
        conflict = self._conflict()
        if conflict is None:
            return
        from caio_tui.tui.dialogs.conflict_value import ConflictValue

        def value(text: str) -> Value:  # the same check in the dialog and for the write (the cached catalog)
            return office_decisions.edited_value(self.portfolio, conflict.kind, conflict.name, text)

        def check(text: str) -> str | None:
            try:
                value(text)
            except ValueError as exc:
                return str(exc)
            return None

        def answered(text: str | None) -> None:
            if text is not None:
                edited = value(text)
                self._write(lambda: office_decisions.resolve_conflict(self.portfolio, conflict.id, "edited", edited))

        kind = conflict.kind
        sides = (describe(kind, conflict.base), describe(kind, conflict.caio), describe(kind, conflict.office))
        title = f"{conflict.pilot_id} {conflict.pilot_name} · {conflict.key}"
        self.app.push_screen(
            ConflictValue(title, sides, edit_text(kind, conflict.office), _edit_hint(conflict), check),
            answered,
        )

    def action_gate(self) -> None:
        request = self._request()
        if request is None:
            return

        def done(moved: bool | None) -> None:
            if moved:
                moved_to = stage_title(request.requested)
                self.notify(printable(f"{request.pilot_id} moved to {moved_to}"), markup=False)
                self._changed()

        self.app.push_screen(RequestGateModal(self.portfolio, request), done)

    def action_decline(self) -> None:
        request = self._request()
        if request is None:
            return
        from caio_tui.tui.dialogs.conflict_value import DeclineReason

        def answered(reason: str | None) -> None:
            if reason is not None:
                decide = office_decisions.decide_request
                self._write(lambda: decide(self.portfolio, request.id, move=False, reason=reason or None))

        to = stage_title(request.requested)
        title = f"Decline the request of {office_named(request.office_name)} to move {request.pilot_id} to {to}"
        self.app.push_screen(DeclineReason(title), answered)

    @on(VirtualTable.RowActivated, "#conflicts-table")
    @on(VirtualTable.RowActivated, "#requests-table")
    def _activated(self, event: VirtualTable.RowActivated) -> None:
        chosen = self._conflict() if event.table is self.conflicts_table else self._request()
        if chosen is not None and chosen.pilot_name:
            from caio_tui.tui.screens.detail import PilotDetailScreen

            self.app.push_screen(PilotDetailScreen(self.portfolio, chosen.pilot_id))

    @work(group="conflicts.write")
    async def _write(self, change: Callable[[], str]) -> None:
        try:
            done = await asyncio.to_thread(change)
        except StoreError as exc:
            self.notify(str(exc), title="Nothing was changed", severity="error", markup=False)
            return
        self.notify(printable(done), markup=False)
        self._changed()

    def _changed(self) -> None:
        from caio_tui.tui.host import CaioHost

        if isinstance(self.app, CaioHost):
            self.app.portfolio_changed(source=self, details=True)
        self.load()


@dataclass(frozen=True)
class _Read:
    """What waits, read in a worker with the tables' rows made there too (thousands of conflicts after a
    large stale bundle: ~23 us a row, not on the UI thread)."""

    found: list[WaitingConflict]
    asked: list[WaitingRequest]
    merged: bool
    conflict_rows: list[TableRow]
    request_rows: list[TableRow]


def _read(portfolio: Portfolio) -> _Read:
    found, asked = office_queue.conflicts(portfolio), office_queue.requests(portfolio)
    return _Read(found, asked, office_queue.merged_any(portfolio), conflict_rows(found), request_rows(asked))


def _edit_hint(conflict: WaitingConflict) -> str:
    if conflict.kind == "coverage":
        return "STATUS or STATUS: NOTE (the evidence; a waiver's justification). met needs evidence:"
    if conflict.kind == "blocker":
        return "The note the blocker stays open with:"
    if conflict.name == "high_impact":
        return "yes or no:"
    return "The value:"


__all__ = ["ConflictsScreen", "conflict_rows", "request_rows"]
