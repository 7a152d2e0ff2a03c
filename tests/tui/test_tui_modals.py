"""The modals on their own: blocker picker, gate, coverage editor and pilot form (fixed clock)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App
from textual.content import Content
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, OptionList, Select, Static

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory
from caio_tui.store import Portfolio
from caio_tui.tui.dialogs.blocker_picker import BlockerPicker, slug
from caio_tui.tui.dialogs.coverage_edit import CoverageEditor
from caio_tui.tui.dialogs.gate import GateModal
from caio_tui.tui.dialogs.pilot_form import PilotForm
from helpers.tui import press, settle

_NOT_DISMISSED = object()


class _Host(App[None]):
    """Pushes one modal on mount and keeps what it was dismissed with."""

    TITLE = "caio-tui"

    def __init__(self, modal: ModalScreen[Any]) -> None:
        super().__init__()
        self.modal = modal
        self.result: object = _NOT_DISMISSED

    def on_mount(self) -> None:
        self.push_screen(self.modal, self._done)

    def _done(self, result: object) -> None:
        self.result = result


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text)
    await settle(pilot)


def plain(widget: Static) -> str:
    content = widget.content
    return " ".join((content.plain if isinstance(content, Content) else str(content)).split())


def prompts(options: OptionList) -> list[str]:
    return [o.prompt.plain if isinstance(o.prompt, Content) else str(o.prompt) for o in options.options]


def error_of(app: _Host) -> str:
    """The modal's one-line error (each modal names it after itself, e.g. #gate-error)."""
    return plain(next(w for w in app.modal.query(Static) if w.id and w.id.endswith("-error")))


# ---- blocker picker -----------------------------------------------------------------------------------


def test_slug_makes_a_valid_tag_name() -> None:
    assert slug("  Vendor lock-in (AWS) ") == "vendor-lock-in-aws"
    assert slug("!!!") == ""
    assert len(slug("x" * 60)) == 48


async def test_picker_marks_the_open_tag_and_will_not_apply_it(sample_portfolio: Portfolio) -> None:
    app = _Host(BlockerPicker(sample_portfolio, "DCS-004"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tags = app.modal.query_one("#picker-tags", OptionList)
        assert len(tags.options) == len(sample_portfolio.tags())
        shared = next(o for o in tags.options if o.id == "tag:shared-service-account")
        assert shared.disabled and "(open)" in str(shared.prompt)
        await type_text(pilot, "shared-service-account")
        assert tags.highlighted is None  # the only match is open already; no offer to create it
        await press(pilot, "enter")
        assert "No tag highlighted" in error_of(app)
        assert app.result is _NOT_DISMISSED
        assert len(sample_portfolio.record("DCS-004").open_blockers) == 1


async def test_picker_arrows_choose_from_the_filter_field(sample_portfolio: Portfolio) -> None:
    app = _Host(BlockerPicker(sample_portfolio, "DCS-001"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_text(pilot, "identity")
        tags = app.modal.query_one("#picker-tags", OptionList)
        names = [p.split()[0] for p in prompts(tags)]
        assert names[:2] == ["informal-access", "no-deprovisioning"]
        assert "No way to remove someone who leaves" not in plain(app.modal.query_one("#picker-about", Static))
        await press(pilot, "down")
        assert "No way to remove someone who leaves" in plain(app.modal.query_one("#picker-about", Static))
        await press(pilot, "enter")
        assert app.result == "no-deprovisioning"
        assert [b.tag for b in sample_portfolio.record("DCS-001").open_blockers] == ["no-deprovisioning"]


async def test_picker_escape_cancels(sample_portfolio: Portfolio) -> None:
    app = _Host(BlockerPicker(sample_portfolio, "DCS-001"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_text(pilot, "skills")
        await press(pilot, "escape")
        assert app.result is None
        assert sample_portfolio.record("DCS-001").open_blockers == []


async def test_picker_new_tag_category_by_arrows_and_escape_goes_back(sample_portfolio: Portfolio) -> None:
    app = _Host(BlockerPicker(sample_portfolio, "DCS-001"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_text(pilot, "Records officer veto")
        await press(pilot, "enter")
        assert app.modal.has_class("-choosing-category")
        await press(pilot, "escape")  # back to the tags, not out of the picker
        assert not app.modal.has_class("-choosing-category") and app.result is _NOT_DISMISSED
        await press(pilot, "enter", "down", "down", "enter")  # identity -> infrastructure -> governance
        assert app.result == "records-officer-veto"
        assert sample_portfolio.tag("records-officer-veto").category is BlockerCategory.GOVERNANCE
        assert sample_portfolio.get("DCS-001").territory.value == "infrastructure"


async def test_picker_store_error_is_shown(sample_portfolio: Portfolio) -> None:
    app = _Host(BlockerPicker(sample_portfolio, "NOPE-9"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "no pilot with id 'NOPE-9'" in error_of(app)
        await press(pilot, "escape")
        assert app.result is None


# ---- gate ---------------------------------------------------------------------------------------------


async def test_gate_refused_then_cancelled(sample_portfolio: Portfolio) -> None:
    app = _Host(GateModal(sample_portfolio, "DCS-004", Stage.READINESS))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.modal.has_class("-refused")
        assert "o override" in plain(app.modal.query_one("#gate-hints", Static))
        await press(pilot, "o")
        await press(pilot, "ctrl+s")  # empty justification
        assert "An override needs a written justification" in error_of(app)
        await press(pilot, "escape")
        assert app.result is False
        assert sample_portfolio.get("DCS-004").stage is Stage.PILOT


async def test_gate_override_with_ctrl_s(sample_portfolio: Portfolio) -> None:
    app = _Host(GateModal(sample_portfolio, "DCS-004", Stage.READINESS))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "o")
        await type_text(pilot, "Accepted by the CAIO until the ICAM move")
        await press(pilot, "ctrl+s")
        assert app.result is True
        last = sample_portfolio.record("DCS-004").stage_history[-1]
        assert last.override == "Accepted by the CAIO until the ICAM move"
        event = sample_portfolio.history("DCS-004")[-1]
        assert event.action == "stage.move" and event.after["override"] == last.override


async def test_gate_skipping_stages_checks_every_gate_crossed(sample_portfolio: Portfolio) -> None:
    app = _Host(GateModal(sample_portfolio, "DCS-004", Stage.PRODUCTION))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        body = plain(app.modal.query_one("#gate-body", Static))
        assert "readiness #2" in body and "production #1" in body
        assert "set access.roles to met (now partial)" in body


async def test_gate_retire_asks_for_confirmation(sample_portfolio: Portfolio) -> None:
    app = _Host(GateModal(sample_portfolio, "DCS-004", Stage.RETIRED))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "Retire DCS-004 (switch it off)?" in plain(app.modal.query_one("#gate-body", Static))
        await press(pilot, "enter")
        assert app.result is True
        assert sample_portfolio.get("DCS-004").stage is Stage.RETIRED


async def test_gate_store_errors_are_shown(sample_portfolio: Portfolio) -> None:
    app = _Host(GateModal(sample_portfolio, "NOPE-9", Stage.PILOT))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "no pilot with id 'NOPE-9'" in plain(app.modal.query_one("#gate-body", Static))
        await press(pilot, "enter")
        assert app.result is _NOT_DISMISSED
        await press(pilot, "escape")
        assert app.result is False
    app = _Host(GateModal(sample_portfolio, "DCS-004", Stage.PILOT))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "DCS-004 is already in Pilot." in plain(app.modal.query_one("#gate-body", Static))


async def test_gate_refuses_when_the_pilot_changed_meanwhile(sample_portfolio: Portfolio) -> None:
    app = _Host(GateModal(sample_portfolio, "DCS-008", Stage.READINESS))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "The gate passes" in plain(app.modal.query_one("#gate-body", Static))
        sample_portfolio.open_blocker("DCS-008", "personal-credentials")  # e.g. from another window
        await press(pilot, "enter")
        assert app.result is _NOT_DISMISSED
        assert "The gate refuses this move now" in error_of(app)
        assert "personal-credentials" in plain(app.modal.query_one("#gate-body", Static))
        assert sample_portfolio.get("DCS-008").stage is Stage.PILOT


# ---- coverage editor ----------------------------------------------------------------------------------


async def test_editor_not_applicable_with_justification(sample_portfolio: Portfolio) -> None:
    app = _Host(CoverageEditor(sample_portfolio, "DCS-004", "ato.granted"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "end")  # the last status: not applicable
        await press(pilot, "tab", "tab")
        await type_text(pilot, "Hosted in an ATO'd enterprise platform")
        await press(pilot, "enter")
        assert app.result is True
        cov = sample_portfolio.record("DCS-004").coverage["ato.granted"]
        assert (cov.status, cov.justification) == (
            CoverageStatus.NOT_APPLICABLE,
            "Hosted in an ATO'd enterprise platform",
        )


async def test_editor_high_impact_item_on_a_pilot_that_is_not(sample_portfolio: Portfolio) -> None:
    high_impact_only = [
        i.id
        for f in sample_portfolio.catalog().frameworks
        if f.applies_to == "high_impact"
        for a in f.areas
        for i in a.items
    ]
    assert high_impact_only
    app = _Host(CoverageEditor(sample_portfolio, "DCS-004", high_impact_only[0]))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "down", "enter")
        assert "applies to high-impact use cases only" in error_of(app)
        assert app.result is _NOT_DISMISSED


async def test_editor_unknown_pilot_or_item_is_an_error_line(sample_portfolio: Portfolio) -> None:
    for pilot_id, item_id, message in (
        ("NOPE-9", "access.roles", "no pilot with id 'NOPE-9'"),
        ("DCS-004", "access.nothing", "unknown requirement item 'access.nothing'"),
    ):
        app = _Host(CoverageEditor(sample_portfolio, pilot_id, item_id))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert message in error_of(app)
            await press(pilot, "ctrl+s")
            assert app.result is _NOT_DISMISSED
            await press(pilot, "escape")
            assert app.result is False


# ---- pilot form ---------------------------------------------------------------------------------------


async def test_new_pilot_needs_a_name(portfolio: Portfolio) -> None:
    app = _Host(PilotForm(portfolio, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        assert error_of(app) == "Name: a pilot needs a name"
        assert portfolio.count() == 0


async def test_new_pilot_with_fields_stage_and_high_impact(portfolio: Portfolio) -> None:
    app = _Host(PilotForm(portfolio, None))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_text(pilot, "Tribal Consultation Search")
        await press(pilot, "tab")
        await type_text(pilot, "Office of Tribal Affairs")
        await press(pilot, "tab")
        await type_text(pilot, "D. Whitehorse")
        app.modal.query_one("#form-stage", Select).value = Stage.POC
        app.modal.query_one("#form-high-impact", Checkbox).focus()
        await press(pilot, "space")
        await press(pilot, "ctrl+s")
        assert isinstance(app.result, str)
        created = portfolio.get(app.result)
        assert (created.name, created.office, created.owner) == (
            "Tribal Consultation Search",
            "Office of Tribal Affairs",
            "D. Whitehorse",
        )
        assert created.stage is Stage.POC and created.high_impact


async def test_edit_form_shows_user_text_literally_and_saves(portfolio: Portfolio) -> None:
    pilot_id = portfolio.add_pilot(PilotFields(name="[bold red]x[/]", description="line one\nline two"))
    app = _Host(PilotForm(portfolio, pilot_id))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert plain(app.modal.query_one("#form-heading", Static)) == f"Edit {pilot_id} [bold red]x[/]"
        assert app.modal.query_one("#form-name", Input).value == "[bold red]x[/]"
        assert "moves through the gate" in plain(app.modal.query_one("#form-stage-fixed", Static))
        await press(pilot, "tab")
        await type_text(pilot, "Office of [i]Data[/i]")
        await press(pilot, "enter")
        assert app.result == pilot_id
        edited = portfolio.get(pilot_id)
        assert edited.office == "Office of [i]Data[/i]" and edited.description == "line one\nline two"


async def test_edit_form_escape_changes_nothing(portfolio: Portfolio) -> None:
    pilot_id = portfolio.add_pilot(PilotFields(name="Keep me"))
    app = _Host(PilotForm(portfolio, pilot_id))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await type_text(pilot, " changed")
        await press(pilot, "escape")
        assert app.result is None
        assert portfolio.get(pilot_id).name == "Keep me"


# ---- snapshots ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_snapshot_blocker_picker(snap_compare: Any, sample_portfolio: Portfolio, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await type_text(pilot, "acc")

    assert snap_compare(_Host(BlockerPicker(sample_portfolio, "DCS-004")), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_snapshot_gate_refused(snap_compare: Any, sample_portfolio: Portfolio, size: tuple[int, int]) -> None:
    modal = GateModal(sample_portfolio, "DCS-004", Stage.READINESS)
    assert snap_compare(_Host(modal), terminal_size=size, run_before=settle)
