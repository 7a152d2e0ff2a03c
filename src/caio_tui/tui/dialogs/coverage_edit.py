"""The coverage editor: one requirement item of one pilot, with its status, evidence and justification.

"Met" is a claim: the editor asks before recording it, and refuses it without evidence when the item's
framework requires evidence (the store refuses it too, for every other way in). How a coverage status looks
on screen (glyph and colour) lives in tui/styles/content.py.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from caio_tui.domain.coverage import Catalog, Coverage, CoverageStatus, Framework, missing_evidence
from caio_tui.store import Portfolio, StoreError
from caio_tui.tui.dialogs.base import Dialog
from caio_tui.tui.dialogs.questions import ConfirmScreen
from caio_tui.tui.styles.content import MUTED, STATUS_LABEL, status_badge, user_text


class CoverageEditor(Dialog[bool]):
    """Edit one item's status (all six), evidence and justification; dismisses True when saved."""

    DEFAULT_CSS = """
    CoverageEditor > #editor-dialog {
        width: 84;
        /* At 80x24 a long item text makes the form taller than the screen: it scrolls, never cuts. */
        overflow-y: auto;
        scrollbar-size-vertical: 1;
    }
    CoverageEditor #editor-heading {
        text-style: bold;
    }
    CoverageEditor #editor-item-text {
        color: $text-muted;
        margin-bottom: 1;
    }
    CoverageEditor OptionList:focus > .option-list--option-highlighted {
        /* A lighter cursor than the default, so the status and category colours stay legible on it. */
        background: $primary 40%;
        color: $foreground;
    }
    CoverageEditor Input {
        background: $foreground 7%;
    }
    CoverageEditor #editor-evidence {
        margin-bottom: 1;
    }
    CoverageEditor .modal-field-label {
        color: $text-muted;
    }
    CoverageEditor #editor-status {
        height: auto;
        max-height: 8;
        margin-bottom: 1;
    }
    CoverageEditor #editor-error {
        color: $text-error;
        height: auto;
    }
    CoverageEditor #editor-hints {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="coverage_editor.save"),
        Binding("escape", "cancel", "Cancel", id="coverage_editor.cancel"),
    ]

    def __init__(self, portfolio: Portfolio, pilot_id: str, item_id: str) -> None:
        super().__init__()
        self.portfolio = portfolio
        self.pilot_id = pilot_id
        self.item_id = item_id
        self._saving = False
        self._current: Coverage | None = None  # None until read, and when the pilot or item is unknown
        self._framework: Framework | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="editor-dialog", classes="dialog-frame"):
            yield Static("", id="editor-heading")
            yield Static("", id="editor-item-text")
            yield Label("Status (↑/↓)", classes="modal-field-label")
            yield OptionList(
                *[Option(self._status_prompt(s), id=s.value) for s in CoverageStatus],
                id="editor-status",
                markup=False,
            )
            yield Label("Evidence (a note or a reference)", classes="modal-field-label")
            yield Input(id="editor-evidence", compact=True, select_on_focus=False)
            yield Label("Justification (required for waived and not applicable)", classes="modal-field-label")
            yield Input(id="editor-justification", compact=True, select_on_focus=False)
            yield Static("", id="editor-error")
            yield Static("enter or ctrl+s save · tab next field · escape cancel", id="editor-hints")
        yield Footer()

    @staticmethod
    def _status_prompt(status: CoverageStatus) -> Content:
        note = "  (needs a justification)" if status.needs_justification else ""
        return Content.assemble(status_badge(status), (note, MUTED))

    def on_mount(self) -> None:
        options = self.query_one("#editor-status", OptionList)
        options.focus()
        try:
            self._fill()
        except StoreError as exc:
            self._show_error(str(exc))

    def _fill(self) -> None:
        """Read the item and its current coverage (one small query) into the form."""
        catalog: Catalog = self.portfolio.catalog()
        item = next((i for i in catalog.items() if i.id == self.item_id), None)
        if item is None:
            raise StoreError(f"unknown requirement item {self.item_id!r}")
        record = self.portfolio.record(self.pilot_id)
        current = record.coverage.get(self.item_id) or Coverage(item=self.item_id)
        self.query_one("#editor-heading", Static).update(
            Content.assemble("Coverage · ", (self.pilot_id, "bold"), " ", user_text(record.pilot.name))
        )
        self.query_one("#editor-item-text", Static).update(
            Content.assemble((catalog.area_of(self.item_id).name, "bold"), " › ", item.text, f"  ({self.item_id})")
        )
        options = self.query_one("#editor-status", OptionList)
        options.highlighted = options.get_option_index(current.status.value)
        self.query_one("#editor-evidence", Input).value = current.evidence
        self.query_one("#editor-justification", Input).value = current.justification
        self._current = current
        self._framework = catalog.framework_of(self.item_id)

    # ---- reading the form ------------------------------------------------------------------------------

    @property
    def chosen_status(self) -> CoverageStatus:
        option = self.query_one("#editor-status", OptionList).highlighted_option
        return CoverageStatus(option.id) if option and option.id else CoverageStatus.NOT_ASSESSED

    def _show_error(self, message: str) -> None:
        error = self.query_one("#editor-error", Static)
        error.update(Content(message))
        if message:
            self.call_after_refresh(error.scroll_visible, animate=False)  # once its lines are laid out

    # ---- saving ----------------------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#editor-status")
    @on(Input.Submitted)
    def _submit(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self._current is None:
            return  # nothing was read: the error line says why
        status = self.chosen_status
        evidence = self.query_one("#editor-evidence", Input).value.strip()
        justification = self.query_one("#editor-justification", Input).value.strip()
        if status.needs_justification and not justification:
            self._show_error(f"{STATUS_LABEL[status].capitalize()} needs a written justification: say why.")
            self.query_one("#editor-justification", Input).focus()
            return
        if self._saving:
            return
        kept = justification if status.needs_justification else None
        if status is CoverageStatus.MET and self._current.status is not CoverageStatus.MET:
            self._confirm_met(evidence)
            return
        self._saving = True
        self._show_error("")
        self._save(status, evidence, kept)

    def _confirm_met(self, evidence: str) -> None:
        """Met is asked for, never slipped into: refused without the evidence the framework requires, else
        confirmed with the evidence it will be recorded on shown (it may still say the opposite)."""
        assert self._framework is not None
        refused = missing_evidence(self._framework, self.item_id, CoverageStatus.MET, evidence)
        if refused:
            self._show_error(f"Met needs evidence: {self._framework.name} asks what shows it is met. Write it.")
            self.query_one("#editor-evidence", Input).focus()
            return

        def answered(yes: bool | None) -> None:
            if yes and not self._saving:
                self._saving = True
                self._save(CoverageStatus.MET, evidence, None)

        self._show_error("")  # a refusal before this one no longer holds
        question = f"Record {self.item_id} as met?"
        self.app.push_screen(ConfirmScreen(question, f"Evidence: {evidence or '(none)'}"), answered)

    @work(group="coverage_editor.save")
    async def _save(self, status: CoverageStatus, evidence: str, justification: str | None) -> None:
        # A write waits on the file lock when another program writes: keep it off the event loop.
        try:
            await asyncio.to_thread(
                self.portfolio.set_coverage,
                self.pilot_id,
                self.item_id,
                status,
                evidence=evidence,
                justification=justification,
            )
        except StoreError as exc:
            self._saving = False
            self._show_error(str(exc))
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
