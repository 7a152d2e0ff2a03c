"""The pilot form: create a pilot, or edit the fields of an existing one.

The stage of an existing pilot is not edited here: it moves only through the gate (`>` / `<`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Checkbox, Footer, Input, Label, Select, Static, TextArea

from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import PIPELINE, Stage
from caio_tui.domain.text import printable
from caio_tui.store import Portfolio, StoreError
from caio_tui.tui.dialogs.base import Dialog

_FIELD_LABELS = {"name": "Name", "office": "Office", "owner": "Owner", "description": "Description"}


def ask_pilot(screen: Screen[Any], portfolio: Portfolio, pilot_id: str | None, saved: Callable[[str], None]) -> None:
    """The form of a new pilot (`pilot_id` None) or of the pilot's fields; once saved, say so and run
    `saved(pilot_id)`."""

    def done(result: str | None) -> None:
        if result:
            screen.notify(f"{'Created' if pilot_id is None else 'Saved'} {result}", markup=False)
            saved(result)

    screen.app.push_screen(PilotForm(portfolio, pilot_id), done)


def validation_message(exc: ValidationError) -> str:
    """The first problem of a form, as one line naming the field."""
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    message = str(first["msg"]).removeprefix("Value error, ")
    if field == "name" and first["type"] == "string_too_short":
        message = "a pilot needs a name"
    return f"{_FIELD_LABELS.get(field, field)}: {message}" if field else message


class PilotForm(Dialog[str | None]):
    """New pilot (pilot_id None) or edit of pilot_id; dismisses with the pilot's id, or None."""

    DEFAULT_CSS = """
    PilotForm > #form-dialog {
        width: 84;
    }
    PilotForm #form-heading {
        text-style: bold;
        margin-bottom: 1;
    }
    PilotForm #form-fields {
        grid-size: 2;
        grid-columns: 13 1fr;
        grid-rows: auto;
        grid-gutter: 1 0;
        height: auto;
    }
    PilotForm Input {
        background: $foreground 7%;
    }
    PilotForm .modal-field-label {
        color: $text-muted;
    }
    PilotForm #form-description {
        height: 5;
    }
    PilotForm #form-stage-fixed {
        color: $text-muted;
    }
    PilotForm #form-error {
        color: $text-error;
        height: auto;
        margin-top: 1;
    }
    PilotForm #form-hints {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="pilot_form.save"),
        Binding("escape", "cancel", "Cancel", id="pilot_form.cancel"),
    ]

    def __init__(self, portfolio: Portfolio, pilot_id: str | None) -> None:
        super().__init__()
        self.portfolio = portfolio
        self.pilot_id = pilot_id
        self._saving = False

    @property
    def is_new(self) -> bool:
        return self.pilot_id is None

    def compose(self) -> ComposeResult:
        with Vertical(id="form-dialog", classes="dialog-frame"):
            yield Static("New pilot" if self.is_new else "", id="form-heading")
            with Grid(id="form-fields"):
                yield Label("Name", classes="modal-field-label")
                yield Input(placeholder="required", id="form-name", compact=True, select_on_focus=False)
                yield Label("Office", classes="modal-field-label")
                yield Input(placeholder="program office", id="form-office", compact=True, select_on_focus=False)
                yield Label("Owner", classes="modal-field-label")
                yield Input(placeholder="who answers for it", id="form-owner", compact=True, select_on_focus=False)
                yield Label("Stage", classes="modal-field-label")
                if self.is_new:
                    yield Select(
                        [(stage.label, stage) for stage in (*PIPELINE, Stage.RETIRED)],
                        value=Stage.INTAKE,
                        allow_blank=False,
                        id="form-stage",
                        compact=True,
                    )
                else:
                    yield Static("", id="form-stage-fixed")
                yield Label("High-impact", classes="modal-field-label")
                yield Checkbox(
                    "a high-impact use case (the M-25-21 practices apply)", id="form-high-impact", compact=True
                )
                yield Label("Description", classes="modal-field-label")
                yield TextArea(id="form-description", soft_wrap=True, tab_behavior="focus")
            yield Static("", id="form-error")
            yield Static("enter or ctrl+s save · tab next field · escape cancel", id="form-hints")
        yield Footer()

    def on_mount(self) -> None:
        if self.pilot_id is not None:
            self._fill(self.pilot_id)
        self.query_one("#form-name", Input).focus()

    def _fill(self, pilot_id: str) -> None:
        try:
            pilot = self.portfolio.get(pilot_id)
        except StoreError as exc:
            self._show_error(str(exc))
            return
        self.query_one("#form-heading", Static).update(
            Content.assemble("Edit ", (pilot.id, "bold"), " ", Content(printable(pilot.name)))
        )
        self.query_one("#form-name", Input).value = pilot.name
        self.query_one("#form-office", Input).value = pilot.office
        self.query_one("#form-owner", Input).value = pilot.owner
        self.query_one("#form-stage-fixed", Static).update(f"{pilot.stage.label} (it moves through the gate: > and <)")
        self.query_one("#form-high-impact", Checkbox).value = pilot.high_impact
        self.query_one("#form-description", TextArea).text = pilot.description

    def _fields(self) -> PilotFields:
        """What the form holds; raises ValidationError for a missing name or an over-long text."""
        return PilotFields.model_validate(
            {
                "name": self.query_one("#form-name", Input).value,
                "office": self.query_one("#form-office", Input).value,
                "owner": self.query_one("#form-owner", Input).value,
                "high_impact": self.query_one("#form-high-impact", Checkbox).value,
                "description": self.query_one("#form-description", TextArea).text,
            }
        )

    def _show_error(self, message: str) -> None:
        self.query_one("#form-error", Static).update(Content(message))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self._saving:
            return
        try:
            fields = self._fields()
        except ValidationError as exc:
            self._show_error(validation_message(exc))
            return
        stage = self.query_one("#form-stage", Select).value if self.is_new else None
        self._saving = True
        self._save(fields, stage if isinstance(stage, Stage) else Stage.INTAKE)

    @work(group="pilot_form.save")
    async def _save(self, fields: PilotFields, stage: Stage) -> None:
        # A write waits on the file lock when another program writes: keep it off the event loop.
        try:
            if self.pilot_id is None:
                saved = await asyncio.to_thread(lambda: self.portfolio.add_pilot(fields, stage=stage))
            else:
                pilot_id = self.pilot_id
                await asyncio.to_thread(lambda: self.portfolio.edit_pilot(pilot_id, **fields.model_dump()))
                saved = pilot_id
        except StoreError as exc:
            self._saving = False
            self._show_error(str(exc))
            return
        self.dismiss(saved)

    def action_cancel(self) -> None:
        self.dismiss(None)
