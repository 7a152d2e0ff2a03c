"""The gate modal: what moving a pilot to another stage takes, and the move itself.

A promotion passes the gate of every stage it enters. When the gate refuses, the modal lists every
failing rule and the least changes that would make it pass; the move can still be made with a written
justification (an override), which the store keeps in the stage history and the audit trail. A demotion
or retiring passes no gate: the modal only asks for confirmation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import Enum
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from caio_tui.domain.gates import GateResult
from caio_tui.domain.stages import Stage
from caio_tui.domain.staleness import Regression
from caio_tui.domain.text import printable
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.gates import preview_recheck, recheck
from caio_tui.store.portfolio import GateRefused
from caio_tui.tui.dialogs.base import Dialog
from caio_tui.tui.styles.content import MUTED, hang


def ask_move(screen: Screen[Any], portfolio: Portfolio, pilot_id: str, step: int, moved: Callable[[], None]) -> None:
    """Promote (step +1) or demote (-1) the pilot through the gate modal, from the stage stored now (not
    as last drawn); `moved()` runs after the pilot moved. A pilot at either end is said so, not moved."""
    try:
        pilot = portfolio.get(pilot_id)
    except StoreError as exc:
        screen.notify(str(exc), severity="error", markup=False)
        return
    to_stage = pilot.stage.next() if step > 0 else pilot.stage.previous()
    if to_stage is None:
        where = "after" if step > 0 else "before"
        screen.notify(f"{pilot_id} is {pilot.stage.value}: there is no stage {where} it", markup=False)
        return

    def done(result: bool | None) -> None:
        if result:
            screen.notify(f"{pilot_id} moved to {to_stage.label}", markup=False)
            moved()

    screen.app.push_screen(GateModal(portfolio, pilot_id, to_stage), done)


class GateMode(Enum):
    PASS = "pass"  # a promotion the gate allows
    FAIL = "fail"  # a promotion the gate refuses (override possible)
    NO_GATE = "no_gate"  # a demotion or retiring: confirmation only
    INVALID = "invalid"  # nothing to confirm (unknown pilot, same stage)


class GateModal(Dialog[bool]):
    """Moves pilot_id to to_stage after showing the gate; dismisses True when the pilot moved."""

    DEFAULT_CSS = """
    GateModal > #gate-dialog {
        width: 96;
    }
    GateModal.-refused > #gate-dialog {
        border: round $error;
    }
    GateModal #gate-heading {
        text-style: bold;
        margin-bottom: 1;
    }
    GateModal #gate-result {
        height: auto;
        max-height: 60vh;
    }
    GateModal #gate-justification-label, GateModal #gate-justification {
        display: none;
    }
    GateModal.-overriding #gate-justification-label, GateModal.-overriding #gate-justification {
        display: block;
    }
    GateModal #gate-justification-label {
        color: $text-warning;
        margin-top: 1;
    }
    GateModal #gate-error {
        color: $text-error;
        height: auto;
    }
    GateModal #gate-hints {
        color: $text-muted;
        margin-top: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "confirm", "Confirm", id="gate.confirm"),
        Binding("o", "override", "Override", id="gate.override"),
        Binding("ctrl+s", "confirm_override", "Move with override", id="gate.confirm_override"),
        Binding("escape", "cancel", "Cancel", id="gate.cancel"),
    ]

    def __init__(self, portfolio: Portfolio, pilot_id: str, to_stage: Stage) -> None:
        super().__init__()
        self.portfolio = portfolio
        self.pilot_id = pilot_id
        self.to_stage = to_stage
        self.mode = GateMode.INVALID
        self.result: GateResult | None = None
        self._moving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="gate-dialog", classes="dialog-frame"):
            yield Static("", id="gate-heading")
            with VerticalScroll(id="gate-result"):
                yield Static("", id="gate-body")
            yield Label(
                "Written justification for the override (kept in the audit trail):", id="gate-justification-label"
            )
            yield Input(placeholder="why this pilot moves although the gate refuses it", id="gate-justification")
            yield Static("", id="gate-error")
            yield Static("", id="gate-hints")
        yield Footer()

    def on_mount(self) -> None:
        self._evaluate()

    # ---- showing the gate ------------------------------------------------------------------------------

    def _evaluate(self) -> None:
        try:
            pilot = self.portfolio.get(self.pilot_id)
        except StoreError as exc:
            self._show(GateMode.INVALID, None, Content(str(exc)))
            return
        verb = self._verb(pilot.stage)
        heading = Content.assemble(
            f"{verb} ", (self.pilot_id, "bold"), " ", Content(printable(pilot.name)), "\n",
            (f"{pilot.stage.label} → {self.to_stage.label}", f"not bold {MUTED}"),
        )  # fmt: skip
        self.query_one("#gate-heading", Static).update(heading)
        if pilot.stage is self.to_stage:
            self._show(GateMode.INVALID, None, Content(f"{self.pilot_id} is already in {self.to_stage.label}."))
            return
        if verb != "Promote":
            self._show(GateMode.NO_GATE, None, self._no_gate_text(verb, pilot.stage))
            return
        try:
            result = self.portfolio.check_gate(self.pilot_id, self.to_stage)
        except StoreError as exc:
            self._show(GateMode.INVALID, None, Content(str(exc)))
            return
        self._show_result(result)

    def _verb(self, current: Stage) -> str:
        if self.to_stage is Stage.RETIRED:
            return "Retire"
        if current is Stage.RETIRED or self.to_stage.position < current.position:
            return "Demote"
        return "Promote"

    def _no_gate_text(self, verb: str, current: Stage) -> Content:
        if verb == "Retire":
            what = f"Retire {self.pilot_id} (switch it off)?"
        else:
            what = f"Move {self.pilot_id} back from {current.label} to {self.to_stage.label}?"
        return Content.assemble(
            (what, "bold"),
            "\n",
            ("A demotion or retiring passes no gate; the move is recorded in the stage history.", MUTED),
        )

    def _show_result(self, result: GateResult) -> None:
        self.result = result
        if result.passed:
            body = Content.assemble(
                ("✓ The gate passes", "bold $text-success"),
                f": every rule into {result.to_stage.label} holds.",
            )
            self._show(GateMode.PASS, result, body)
        else:
            self._show(GateMode.FAIL, result, self._refusal(result))

    def _refusal(self, result: GateResult) -> Content:
        width = self.query_one("#gate-body", Static).size.width or 90
        lines = [
            Content.assemble(("✗ The gate refuses this move", "bold $text-error"), f" into {result.to_stage.label}."),
            Content(""),
            Content.styled("Failing rules", "bold"),
        ]
        for failure in result.failures:
            line = Content.assemble(
                "  ", ("✗ ", "$text-error"), (failure.rule, "bold"), "  ", printable(failure.reason)
            )
            lines.append(hang(line, width, 4))
        lines += [Content(""), Content.styled("Least changes that would make it pass", "bold")]
        lines += [hang(Content.assemble("  • ", printable(c.text)), width, 4) for c in result.least_changes]
        return Content("\n").join(lines)

    def on_resize(self) -> None:
        # The refusal is wrapped to the dialog's width (hanging indents): redo it at the new width.
        self.call_after_refresh(self._rewrap)

    def _rewrap(self) -> None:
        if self.mode is GateMode.FAIL and self.result is not None:
            self.query_one("#gate-body", Static).update(self._refusal(self.result))

    def _show(self, mode: GateMode, result: GateResult | None, body: Content) -> None:
        self.mode = mode
        self.result = result
        self.set_class(mode is GateMode.FAIL, "-refused")
        self.query_one("#gate-body", Static).update(body)
        self.query_one("#gate-hints", Static).update(self._hints())
        self.refresh_bindings()

    def _hints(self) -> str:
        overriding = self.has_class("-overriding")
        if self.mode is GateMode.FAIL and overriding:
            return "enter or ctrl+s move with this override · escape cancel"
        if self.mode is GateMode.FAIL:
            return "o override with a written justification · escape cancel"
        if self.mode is GateMode.INVALID:
            return "escape close"
        return f"enter move {self.pilot_id} to {self.to_stage.label} · escape cancel"

    def _show_error(self, message: str) -> None:
        self.query_one("#gate-error", Static).update(Content(message))

    # ---- keys ------------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm_override":
            return self.mode is GateMode.FAIL and self.has_class("-overriding")
        if action == "override":
            return self.mode is GateMode.FAIL and not self.has_class("-overriding")
        if action == "confirm":
            if self.mode is GateMode.INVALID:
                return False
            # Refused and not overriding: hidden; the hint line says how to override.
            return self.mode is not GateMode.FAIL or self.has_class("-overriding")
        return True

    def action_override(self) -> None:
        self.add_class("-overriding")
        self.query_one("#gate-hints", Static).update(self._hints())
        self.query_one("#gate-justification", Input).focus()
        self.refresh_bindings()

    @on(Input.Submitted, "#gate-justification")
    def _submitted(self) -> None:
        self.action_confirm()

    def action_confirm_override(self) -> None:
        self.action_confirm()

    def action_confirm(self) -> None:
        if self._moving or self.mode is GateMode.INVALID:
            return
        override: str | None = None
        if self.mode is GateMode.FAIL:
            if not self.has_class("-overriding"):
                self._show_error("The gate refuses this move: press o to override with a written justification.")
                return
            override = self.query_one("#gate-justification", Input).value.strip()
            if not override:
                self._show_error("An override needs a written justification: say why the pilot moves anyway.")
                self.query_one("#gate-justification", Input).focus()
                return
        self._moving = True
        self._move(override)

    REFUSED_NOW = "The gate refuses this move now; see the rules above."

    def _decide(self, override: str | None) -> None:
        """The write the modal exists for (in a worker thread)."""
        self.portfolio.move(self.pilot_id, self.to_stage, override=override)

    @work(group="gate.move")
    async def _move(self, override: str | None) -> None:
        # A write waits on the file lock when another program writes: keep it off the event loop.
        try:
            await asyncio.to_thread(self._decide, override)
        except GateRefused as exc:
            # The pilot changed since the modal opened: show the gate as it is now.
            self._moving = False
            self._show_result(exc.result)
            self._show_error(self.REFUSED_NOW)
            return
        except StoreError as exc:
            self._moving = False
            self._show_error(str(exc))
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class RecheckModal(GateModal):
    """Re-checks a stale approval: the gate the pilot's last move passed, against its state now.

    When it passes, enter decides the approval afresh on today's state; when it refuses, `o` re-approves
    with a written justification (an override), as `caio-tui gates recheck` does. Dismisses True when the
    approval was decided afresh."""

    REFUSED_NOW = "The gate refuses the re-check now; see the rules above."

    def __init__(self, portfolio: Portfolio, pilot_id: str) -> None:
        super().__init__(portfolio, pilot_id, Stage.INTAKE)  # the real gate is read from the last move
        self.regressions: tuple[Regression, ...] = ()

    def _evaluate(self) -> None:
        try:
            pilot = self.portfolio.get(self.pilot_id)
            preview = preview_recheck(self.portfolio, self.pilot_id)
        except StoreError as exc:
            self._show(GateMode.INVALID, None, Content(str(exc)))
            return
        self.to_stage, self.regressions = preview.to_stage, preview.regressions
        heading = Content.assemble(
            "Re-check the approval of ", (self.pilot_id, "bold"), " ", Content(printable(pilot.name)), "\n",
            (f"the gate {preview.from_stage.label} → {preview.to_stage.label}, on today's state", f"not bold {MUTED}"),
        )  # fmt: skip
        self.query_one("#gate-heading", Static).update(heading)
        self._show_result(preview.result)

    def _regressed(self) -> list[Content]:
        if not self.regressions:
            return [Content.styled("Nothing has regressed since the approval.", MUTED), Content("")]
        width = self.query_one("#gate-body", Static).size.width or 90
        lines = [Content.styled("What regressed since the approval", "bold")]
        lines += [hang(Content.assemble("  • ", printable(r.text)), width, 4) for r in self.regressions]
        return [*lines, Content("")]

    def _show_result(self, result: GateResult) -> None:
        if result.passed:
            verdict = Content.assemble(
                ("✓ The gate passes", "bold $text-success"),
                f" on today's state: every rule into {result.to_stage.label} holds.",
            )
            self._show(GateMode.PASS, result, Content("\n").join([*self._regressed(), verdict]))
        else:
            self._show(GateMode.FAIL, result, self._refusal(result))

    def _refusal(self, result: GateResult) -> Content:
        return Content("\n").join([*self._regressed(), super()._refusal(result)])

    def _hints(self) -> str:
        overriding = self.has_class("-overriding")
        if self.mode is GateMode.FAIL and overriding:
            return "enter or ctrl+s re-approve with this override · escape cancel"
        if self.mode is GateMode.FAIL:
            return "o re-approve with a written justification · escape cancel"
        if self.mode is GateMode.INVALID:
            return "escape close"
        return "enter re-approve on today's state · escape cancel"

    def _decide(self, override: str | None) -> None:
        recheck(self.portfolio, self.pilot_id, override=override)
