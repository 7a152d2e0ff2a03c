"""The pilot detail screen, driven with the keyboard over the civilian-agency sample (fixed clock)."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from textual.app import App
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.store import Portfolio
from caio_tui.tui.dialogs.blocker_picker import BlockerPicker
from caio_tui.tui.dialogs.coverage_edit import CoverageEditor
from caio_tui.tui.dialogs.gate import GateModal
from caio_tui.tui.dialogs.pilot_form import PilotForm
from caio_tui.tui.dialogs.questions import ConfirmScreen
from caio_tui.tui.dialogs.resolve_blocker import ResolveBlocker
from caio_tui.tui.screens.detail import PilotDetailScreen
from helpers.tui import press, settle


class _Host(App[None]):
    """A bare app whose first screen is a placeholder, with the detail screen pushed over it."""

    TITLE = "caio-tui"

    def __init__(self, portfolio: Portfolio, pilot_id: str) -> None:
        super().__init__()
        self.portfolio = portfolio
        self.pilot_id = pilot_id
        self.changed: list[str] = []

    def on_mount(self) -> None:
        self.push_screen(PilotDetailScreen(self.portfolio, self.pilot_id))

    def on_pilot_detail_screen_changed(self, message: PilotDetailScreen.Changed) -> None:
        self.changed.append(message.pilot_id)


def plain(widget: Static) -> str:
    content = widget.content
    return content.plain if isinstance(content, Content) else str(content)


def flat(text: str) -> str:
    """Text with its wrapping undone (prompts are wrapped to the width of their list)."""
    return " ".join(text.split())


def prompts(options: OptionList) -> list[str]:
    return [o.prompt.plain if isinstance(o.prompt, Content) else str(o.prompt) for o in options.options]


def detail(app: App[None]) -> PilotDetailScreen:
    assert isinstance(app.screen, PilotDetailScreen), f"expected the detail screen, got {app.screen!r}"
    return app.screen


def coverage_list(app: App[None]) -> OptionList:
    return detail(app).query_one("#detail-coverage", OptionList)


def highlighted_item(app: App[None]) -> str | None:
    option = coverage_list(app).highlighted_option
    return option.id if option else None


def highlight(app: App[None], item_id: str) -> None:
    options = coverage_list(app)
    options.highlighted = options.get_option_index(item_id)


def screen_text(app: App[None]) -> str:
    """The characters on screen (from the SVG export), to check what a user reads."""
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


def status(portfolio: Portfolio, pilot_id: str, item_id: str) -> CoverageStatus:
    found = portfolio.record(pilot_id).coverage.get(item_id)
    return found.status if found else CoverageStatus.NOT_ASSESSED


# ---- what it shows ------------------------------------------------------------------------------------


async def test_shows_fields_coverage_blockers_gate_and_history(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = detail(app)
        fields = plain(screen.query_one("#detail-fields", Static))
        for expected in ("DCS-004", "Benefits Policy Assistant", "Office of Benefits Administration"):
            assert expected in fields
        assert "Renee Castellanos" in fields
        assert "Pilot · 150 days in stage" in fields
        assert "25%" in fields and "infrastructure" in fields
        coverage = prompts(coverage_list(app))
        assert any(p.startswith("Access control & provisioning") for p in coverage)
        roles = next(p for p in coverage if "Roles defined" in p)
        assert roles.startswith(" ◐ Roles defined\n   Two roles sketched")
        blockers = prompts(screen.query_one("#detail-blockers", OptionList))
        assert flat(blockers[0]).startswith("● shared-service-account identity · access All 40 caseworkers")
        assert flat(blockers[0]).endswith("opened by sample on 2026-06-14")
        gate = flat(plain(screen.query_one("#detail-gate", Static)))
        assert "Gate into Production readiness" in gate and "✗ refused" in gate
        assert "readiness #2" in gate and "resolve the shared-service-account blocker" in gate
        stages = plain(screen.query_one("#detail-stages", Static))
        assert "Proof of concept → Pilot" in stages and "entered Intake" in stages
        # The highlighted item in full under the list.
        panel = plain(screen.query_one("#detail-item-detail", Static))
        assert "partial  access.roles · set by sample on 2026-06-04" in panel
        assert "not in the department role catalog" in panel


async def test_stalled_flag_and_override_in_stage_history(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-011")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "540 days in stage  STALLED (over 180 days)" in plain(detail(app).query_one("#detail-fields", Static))
    app = _Host(sample_portfolio, "DCS-020")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        stages = plain(detail(app).query_one("#detail-stages", Static))
        assert "override: Go-live for the OBA correspondence unit only" in flat(stages)


async def test_audit_trail_lists_changes_of_this_pilot(sample_portfolio: Portfolio) -> None:
    sample_portfolio.set_coverage("DCS-004", "ato.package_submitted", CoverageStatus.PARTIAL, evidence="draft SSP")
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        audit = flat(plain(detail(app).query_one("#detail-audit", Static)))
        assert "2026-11-01 12:00 tester coverage.set ato.package_submitted: not_assessed → partial" in audit


async def test_missing_pilot_shows_a_message_not_a_traceback(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "NOPE-1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "no pilot with id 'NOPE-1'" in plain(detail(app).query_one("#detail-fields", Static))
        await press(pilot, "b", ">")
        assert isinstance(app.screen, PilotDetailScreen)  # nothing to act on: the keys do nothing
        await press(pilot, "escape")
        assert not isinstance(app.screen, PilotDetailScreen)


# ---- moving through the lists -------------------------------------------------------------------------


async def test_list_keys_move_through_coverage_items(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert highlighted_item(app) == "access.roles"
        await press(pilot, "j")
        assert highlighted_item(app) == "access.governed_iam"
        await press(pilot, "down", "down", "down")
        assert highlighted_item(app) == "audit.activity"  # the area heading is skipped
        await press(pilot, "k")
        assert highlighted_item(app) == "access.provisioning_model"
        await press(pilot, "G")
        assert highlighted_item(app) == "system_identity.credentials"
        await press(pilot, "g")
        assert highlighted_item(app) == "access.roles"
        await press(pilot, "pagedown")
        assert highlighted_item(app) not in ("access.roles", None)
        await press(pilot, "pageup")
        assert highlighted_item(app) == "access.roles"


async def test_tab_moves_to_the_blockers(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.focused is coverage_list(app)
        await press(pilot, "tab")
        assert app.focused is detail(app).query_one("#detail-blockers", OptionList)


# ---- coverage -----------------------------------------------------------------------------------------


async def test_space_opens_the_editor_and_changes_nothing(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("space", "space", "space")  # it used to cycle the status, one event a press
        await settle(pilot)
        assert isinstance(app.screen, CoverageEditor)
        assert status(sample_portfolio, "DCS-004", "access.roles") is CoverageStatus.PARTIAL
        assert app.changed == []


async def test_met_is_confirmed_and_refused_without_evidence(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # access.governed_iam: its text takes three lines at 80 columns, the form is taller than the screen
        await press(pilot, "j", "enter", "home", "down", "down", "down")  # -> met in the editor
        editor = app.screen
        assert isinstance(editor, CoverageEditor) and editor.chosen_status is CoverageStatus.MET
        editor.query_one("#editor-evidence", Input).value = ""
        editor.action_save()
        await settle(pilot)
        error = editor.query_one("#editor-error", Static)
        assert "Met needs evidence" in plain(error)
        shown = " ".join(line.text.strip() for line in error.render_lines(error.region.reset_offset))
        assert shown.endswith("Write it.")  # wrapped at 80 columns
        assert editor.query_one("#editor-dialog").content_region.contains_region(error.region)  # on screen
        editor.query_one("#editor-evidence", Input).value = "Role catalog entry RC-12"
        editor.action_save()
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)  # asked before recording met
        assert plain(error) == ""  # the refusal is over: it does not stay under the question
        await press(pilot, "y")
        coverage = sample_portfolio.record("DCS-004").coverage["access.governed_iam"]
        assert (coverage.status, coverage.evidence) == (CoverageStatus.MET, "Role catalog entry RC-12")


async def test_space_leaves_a_waiver_alone(sample_portfolio: Portfolio) -> None:
    sample_portfolio.set_coverage("DCS-004", "ato.granted", CoverageStatus.WAIVED, justification="CAIO waiver 7")
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        highlight(app, "ato.granted")
        await press(pilot, "space")
        assert status(sample_portfolio, "DCS-004", "ato.granted") is CoverageStatus.WAIVED
        assert app.changed == []


async def test_enter_edits_status_and_evidence(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "j", "enter")  # access.governed_iam, now a gap
        assert isinstance(app.screen, CoverageEditor)
        await press(pilot, "down")  # gap -> partial
        await press(pilot, "tab", "end")
        await pilot.press(*"; ICAM ticket 4411")
        await press(pilot, "enter")
        assert isinstance(app.screen, PilotDetailScreen)
        cov = sample_portfolio.record("DCS-004").coverage["access.governed_iam"]
        assert cov.status is CoverageStatus.PARTIAL
        assert cov.evidence.endswith("not through ICAM; ICAM ticket 4411")
        assert cov.updated_by == "tester"
        assert "ICAM ticket 4411" in plain(detail(app).query_one("#detail-item-detail", Static))
        assert app.changed == ["DCS-004"]


async def test_waived_without_justification_is_refused(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "down", "down")  # partial -> met -> waived
        await press(pilot, "ctrl+s")
        editor = app.screen
        assert isinstance(editor, CoverageEditor)
        assert "Waived needs a written justification" in plain(editor.query_one("#editor-error", Static))
        assert status(sample_portfolio, "DCS-004", "access.roles") is CoverageStatus.PARTIAL
        assert app.focused is editor.query_one("#editor-justification", Input)
        await pilot.press(*"Roles come from the department catalog in FY27")
        await press(pilot, "enter")
        cov = sample_portfolio.record("DCS-004").coverage["access.roles"]
        assert cov.status is CoverageStatus.WAIVED
        assert cov.justification == "Roles come from the department catalog in FY27"


async def test_escape_closes_the_editor_without_a_change(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "down", "escape")
        assert isinstance(app.screen, PilotDetailScreen)
        assert status(sample_portfolio, "DCS-004", "access.roles") is CoverageStatus.PARTIAL
        assert app.changed == []


# ---- blockers -----------------------------------------------------------------------------------------


async def test_b_filters_and_applies_a_tag_with_a_note(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "b")
        picker = app.screen
        assert isinstance(picker, BlockerPicker)
        await pilot.press(*"logging")
        shown = prompts(picker.query_one("#picker-tags", OptionList))
        assert [p.split()[0] for p in shown] == ["debug-only-logging", "+"]  # + the offer to create 'logging'
        await press(pilot, "tab")
        assert app.focused is picker.query_one("#picker-note", Input)
        await pilot.press(*"App Insights only, 30 days")
        await press(pilot, "enter")
        assert isinstance(app.screen, PilotDetailScreen)
        opened = [b for b in sample_portfolio.record("DCS-004").open_blockers if b.tag == "debug-only-logging"]
        assert [(b.note, b.opened_by) for b in opened] == [("App Insights only, 30 days", "tester")]
        blockers = prompts(detail(app).query_one("#detail-blockers", OptionList))
        assert any(flat(p).startswith("● debug-only-logging infrastructure · audit App Insights") for p in blockers)
        assert app.changed == ["DCS-004"]


async def test_b_creates_a_custom_tag_with_a_category(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-008")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        territory_before = sample_portfolio.get("DCS-008").territory
        await press(pilot, "b")
        await pilot.press(*"Union grievance")
        picker = app.screen
        assert isinstance(picker, BlockerPicker)
        assert prompts(picker.query_one("#picker-tags", OptionList)) == ["+ Create tag 'union-grievance'…"]
        await press(pilot, "enter")
        assert picker.has_class("-choosing-category")
        await press(pilot, "4")  # organizational
        assert isinstance(app.screen, PilotDetailScreen)
        assert sample_portfolio.tag("union-grievance").category.value == "organizational"
        assert "union-grievance" in [b.tag for b in sample_portfolio.record("DCS-008").open_blockers]
        assert territory_before.value == "infrastructure"
        assert sample_portfolio.get("DCS-008").territory.value == "both"


async def test_r_resolves_the_selected_blocker_from_the_coverage_list_with_how(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "r")  # the focus is on the coverage list: r acts on the blocker list's row
        assert isinstance(app.screen, ResolveBlocker)
        app.screen.query_one("#resolve-note", Input).value = "Per-user sign-in through ICAM since Oct"
        await press(pilot, "enter")
        record = sample_portfolio.record("DCS-004")
        assert record.open_blockers == []
        (blocker,) = record.blockers
        assert (blocker.resolved_by, blocker.resolution) == ("tester", "Per-user sign-in through ICAM since Oct")
        assert blocker.note.startswith("All 40 caseworkers")  # the opening note stays what it was
        blockers = prompts(detail(app).query_one("#detail-blockers", OptionList))
        assert flat(blockers[0]).startswith("✓ shared-service-account resolved identity · access")
        assert "how: Per-user sign-in through ICAM since Oct" in flat(blockers[0])
        assert flat(blockers[0]).endswith("opened by sample on 2026-06-14 · resolved by tester on 2026-11-01")
        # The blocker is gone, the gap it was about is not: the readiness gate still refuses.
        assert "access.governed_iam" in plain(detail(app).query_one("#detail-gate", Static))
        event = sample_portfolio.history("DCS-004")[-1]
        assert event.summary() == "shared-service-account: resolved: Per-user sign-in through ICAM since Oct"


async def test_r_with_no_open_blocker_selected_says_what_to_select(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        seen: list[str] = []
        app.notify = lambda message, **_: seen.append(message)  # type: ignore[method-assign,assignment,misc]
        detail(app).query_one("#detail-blockers", OptionList).highlighted = None
        await press(pilot, "r")
        assert seen == ["Select an open blocker in the Blockers list (tab moves there), then press r."]
        assert sample_portfolio.record("DCS-004").open_blockers


# ---- stages -------------------------------------------------------------------------------------------


async def test_promote_refused_names_the_shared_service_account_rule(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, ">")
        modal = app.screen
        assert isinstance(modal, GateModal)
        body = flat(plain(modal.query_one("#gate-body", Static)))
        assert "The gate refuses this move into Production readiness" in body
        assert "readiness #2" in body and "open blocker(s): shared-service-account" in body
        assert "resolve the shared-service-account blocker" in body
        await press(pilot, "enter")  # refused: enter does not move it
        assert app.screen is modal
        assert sample_portfolio.get("DCS-004").stage is Stage.PILOT


async def test_override_needs_a_justification(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, ">", "o")
        modal = app.screen
        assert isinstance(modal, GateModal)
        assert app.focused is modal.query_one("#gate-justification", Input)
        await pilot.press("space", "space")  # blank is not a justification
        await press(pilot, "enter")
        assert app.screen is modal
        assert "An override needs a written justification" in plain(modal.query_one("#gate-error", Static))
        assert sample_portfolio.get("DCS-004").stage is Stage.PILOT


async def test_override_with_a_justification_moves_and_is_in_the_history(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, ">", "o")
        await pilot.press(*"ICAM migration funded in Q1; CAIO memo 26-03")
        await press(pilot, "enter")
        assert isinstance(app.screen, PilotDetailScreen)
        record = sample_portfolio.record("DCS-004")
        assert record.pilot.stage is Stage.READINESS
        last = record.stage_history[-1]
        assert (last.override, last.actor) == ("ICAM migration funded in Q1; CAIO memo 26-03", "tester")
        assert any("shared-service-account" in rule for rule in last.failed_rules)
        stages = flat(plain(detail(app).query_one("#detail-stages", Static)))
        assert "Pilot → Production readiness · tester" in stages
        assert "override: ICAM migration funded in Q1; CAIO memo 26-03" in stages
        assert "Production readiness · 0 days in stage" in plain(detail(app).query_one("#detail-fields", Static))
        assert app.changed == ["DCS-004"]


async def test_promote_a_passing_pilot(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-008")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "✓ passes" in plain(detail(app).query_one("#detail-gate", Static))
        await press(pilot, ">")
        assert isinstance(app.screen, GateModal)
        assert "The gate passes" in plain(app.screen.query_one("#gate-body", Static))
        await press(pilot, "enter")
        assert isinstance(app.screen, PilotDetailScreen)
        assert sample_portfolio.get("DCS-008").stage is Stage.READINESS
        assert sample_portfolio.record("DCS-008").stage_history[-1].override == ""


async def test_demote_asks_then_moves_back(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "<")
        modal = app.screen
        assert isinstance(modal, GateModal)
        assert "Move DCS-004 back from Pilot to Proof of concept?" in plain(modal.query_one("#gate-body", Static))
        await press(pilot, "enter")
        assert sample_portfolio.get("DCS-004").stage is Stage.POC
        assert "Proof of concept · 0 days in stage" in plain(detail(app).query_one("#detail-fields", Static))


async def test_escape_cancels_the_gate(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-008")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, ">", "escape")
        assert isinstance(app.screen, PilotDetailScreen)
        assert sample_portfolio.get("DCS-008").stage is Stage.PILOT
        assert app.changed == []


async def test_no_promotion_past_scaled(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-027")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "end of the pipeline" in plain(detail(app).query_one("#detail-gate", Static))
        await press(pilot, ">")
        assert isinstance(app.screen, PilotDetailScreen)


# ---- fields, leaving, user text -------------------------------------------------------------------------


async def test_e_edits_the_name(sample_portfolio: Portfolio) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "e")
        assert isinstance(app.screen, PilotForm)
        await press(pilot, "home", "ctrl+k")
        await pilot.press(*"Benefits Policy Copilot")
        await press(pilot, "enter")
        assert isinstance(app.screen, PilotDetailScreen)
        assert sample_portfolio.get("DCS-004").name == "Benefits Policy Copilot"
        assert "DCS-004  Benefits Policy Copilot" in plain(detail(app).query_one("#detail-fields", Static))
        assert app.changed == ["DCS-004"]


@pytest.mark.parametrize("key", ["escape", "q"])
async def test_escape_and_q_go_back(sample_portfolio: Portfolio, key: str) -> None:
    app = _Host(sample_portfolio, "DCS-004")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, PilotDetailScreen)
        await press(pilot, key)
        assert isinstance(app.screen, Screen) and not isinstance(app.screen, PilotDetailScreen)


async def test_markup_in_user_text_shows_literally(portfolio: Portfolio) -> None:
    pilot_id = portfolio.add_pilot(PilotFields(name="[bold red]x[/]", office="[link=http://x]Office[/link]"))
    portfolio.set_coverage(pilot_id, "access.roles", CoverageStatus.GAP, evidence="[i]see[/i] memo")
    portfolio.create_tag("odd-tag", category=portfolio.tag("skills-gap").category)
    portfolio.open_blocker(pilot_id, "odd-tag", note="[blink]urgent[/blink]")
    app = _Host(portfolio, pilot_id)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        for literal in ("[bold red]x[/]", "[link=http://x]Office[/link]", "[i]see[/i] memo", "[blink]urgent[/blink]"):
            assert literal in text
        await press(pilot, "e")
        assert "[bold red]x[/]" in screen_text(app)  # the form's heading too


# ---- snapshots ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_snapshot_detail(
    snap_compare: object, db_path: Path, sample_portfolio: Portfolio, size: tuple[int, int]
) -> None:
    assert callable(snap_compare)
    assert snap_compare(_Host(sample_portfolio, "DCS-004"), terminal_size=size, run_before=settle)
