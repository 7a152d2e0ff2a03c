"""Link years: the rows an inventory import held back (several pilots match) are listed with their
candidates; choosing one links the row to that pilot in one import event."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList

from caio_tui.domain.stages import Stage
from caio_tui.io.inventory import import_file
from caio_tui.io.inventory_review import held_for_review
from caio_tui.store import Portfolio
from caio_tui.tui.dialogs.link_years import LinkYearsScreen
from helpers.omb import write_2024, write_2025
from helpers.tui import make_app, press, run_command, settle


def held_portfolio(portfolio: Portfolio, tmp_path: Path) -> None:
    same = {"3_agency": "Department of Civic Services", "3_abr": "DCS", "2_use_case_name": "Search", "4_bureau": "OGM"}
    write_2024(tmp_path / "2024.csv", [{**same, "16_dev_stage": "Initiated"}, {**same, "16_dev_stage": "Retired"}])
    import_file(portfolio, tmp_path / "2024.csv")
    row = {
        "agency": "DCS",
        "id": "DCS-2",
        "use_case_name": "Search",
        "agency_bureau": "OGM",
        "development_stage": "Pilot",
    }
    result = import_file(portfolio, write_2025(tmp_path / "2025.csv", [row]))
    assert len(result.ambiguous) == 1


async def test_choosing_a_candidate_links_the_row(portfolio: Portfolio, tmp_path: Path) -> None:
    held_portfolio(portfolio, tmp_path)
    (held,) = held_for_review(portfolio)
    chosen = held.candidates[0]
    app = make_app(portfolio)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await run_command(pilot, "Link years")
        screen = app.screen
        assert isinstance(screen, LinkYearsScreen)
        options = screen.query_one("#link-rows", OptionList)
        assert options.option_count == 4  # the row's heading, two candidates, "none of these"
        await press(pilot, "down", "enter")  # the first candidate (the heading is not selectable)
        assert held_for_review(portfolio) == []
        assert "No row is held" in str(screen.query_one("#link-summary").content)  # type: ignore[attr-defined]
        await press(pilot, "escape")
        assert not isinstance(app.screen, LinkYearsScreen)
    pilot_after = portfolio.get(chosen.id)
    assert pilot_after.stage is Stage.PILOT and pilot_after.extra["omb_id"] == "DCS-2"
    assert portfolio.history()[-1].action == "import"


async def test_a_second_row_linked_to_the_same_pilot_is_refused_in_the_dialog(
    portfolio: Portfolio, tmp_path: Path
) -> None:
    same = {"3_agency": "Department of Civic Services", "3_abr": "DCS", "2_use_case_name": "Search", "4_bureau": "OGM"}
    write_2024(tmp_path / "2024.csv", [{**same, "16_dev_stage": "Initiated"}, {**same, "16_dev_stage": "Retired"}])
    import_file(portfolio, tmp_path / "2024.csv")
    row = {"agency": "DCS", "use_case_name": "Search", "agency_bureau": "OGM"}
    rows = [
        {**row, "id": "DCS-2", "development_stage": "Pilot"},
        {**row, "id": "DCS-3", "development_stage": "Deployed"},
    ]
    import_file(portfolio, write_2025(tmp_path / "2025.csv", rows))
    first, second = held_for_review(portfolio)
    target = first.candidates[0].id
    app = make_app(portfolio)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await run_command(pilot, "Link years")
        screen = app.screen
        assert isinstance(screen, LinkYearsScreen)
        await press(pilot, "down", "enter")  # the first row's first candidate
        assert [h.key for h in held_for_review(portfolio)] == [second.key]
        options = screen.query_one("#link-rows", OptionList)
        same_pilot = options.get_option_index(f"{second.key}\x1f{target}")  # the second row: the same pilot
        options.highlighted = same_pilot
        await press(pilot, "enter")
        error = str(screen.query_one("#link-error").content)  # type: ignore[attr-defined]
        assert f"{target} already keeps row 2 of this inventory" in error
        assert [h.key for h in held_for_review(portfolio)] == [second.key]  # still held, nothing lost
