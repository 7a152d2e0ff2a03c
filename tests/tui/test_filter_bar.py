"""FilterBar: the filter line shared by the pilot views (parsing, the reason for a wrong token, pacing)."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Static

from caio_tui.domain.filters import parse_filter
from caio_tui.tui.widgets.filter_bar import ERROR_AFTER_S, FilterBar, FilterInput, typed_so_far


class Host(App[None]):
    """A view with a filter bar whose loads end only when the test says so."""

    def __init__(self) -> None:
        super().__init__()
        self.applied: list[tuple[str, bool]] = []
        self.done = 0
        self.cleared = 0

    def compose(self) -> ComposeResult:
        yield FilterBar()
        yield Static("results", id="results")

    @property
    def bar(self) -> FilterBar:
        return self.query_one(FilterBar)

    @on(FilterBar.Applied)
    def _applied(self, event: FilterBar.Applied) -> None:
        self.applied.append((event.text, event.cleared))
        self.bar.hold()  # a load starts; the test releases it

    @on(FilterBar.Done)
    def _done(self) -> None:
        self.done += 1

    @on(FilterBar.Cleared)
    def _cleared(self) -> None:
        self.cleared += 1


def error_text(app: Host) -> str:
    content = app.query_one("#filter-error", Static).content
    return content.plain if isinstance(content, Content) else str(content)


async def open_and_type(pilot: Pilot[Any], app: Host, text: str) -> None:
    """Open the filter line and type `text`: two keys, a pause (their query starts), then the rest."""
    app.bar.open()
    await pilot.pause()
    await pilot.press(*text[:2])
    await pilot.pause(ERROR_AFTER_S)
    await pilot.press(*text[2:])
    await pilot.pause(ERROR_AFTER_S * 2)


async def test_typing_while_a_load_runs_queues_only_the_latest_text() -> None:
    app = Host()
    async with app.run_test() as pilot:
        await open_and_type(pilot, app, "grant")
        assert app.applied == [("gr", False)]  # the first letters queried; the rest waited for their load
        assert app.bar.release() is True  # the load ended: the latest text goes, once
        await pilot.pause()
        assert app.applied == [("gr", False), ("grant", False)]
        assert app.bar.release() is False  # nothing typed meanwhile
        await pilot.pause()
        assert len(app.applied) == 2
        assert app.bar.applied == parse_filter("grant")
        assert app.screen.has_class("-filtering") and app.screen.has_class("-filtered")


async def test_a_wrong_token_is_said_under_the_input_and_the_last_filter_stays() -> None:
    app = Host()
    async with app.run_test() as pilot:
        await open_and_type(pilot, app, "stalled")
        app.bar.release()
        await pilot.press(*" stage:piolt")
        await pilot.pause(ERROR_AFTER_S * 2)
        app.bar.release()
        await pilot.pause()
        assert error_text(app).startswith("unknown stage 'piolt'")
        assert app.screen.has_class("-filter-error")
        assert app.bar.applied == parse_filter("stalled")  # " stage:" is not searched for as words
        await pilot.press("enter")
        await pilot.pause()
        assert app.done == 0  # enter does not leave a wrong filter
        assert isinstance(app.focused, FilterInput)
        await pilot.press(*["backspace"] * 4, *"ilot", "enter")
        await pilot.pause()
        app.bar.release()
        await pilot.pause()
        assert app.done == 1
        assert error_text(app) == ""
        assert not app.screen.has_class("-filter-error")
        assert not app.screen.has_class("-filtering")  # the filter line closed, the filter stays
        assert app.bar.applied == parse_filter("stalled stage:pilot")


async def test_escape_clears_the_filter_and_says_so() -> None:
    app = Host()
    async with app.run_test() as pilot:
        await open_and_type(pilot, app, "grant")
        app.bar.release()
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        app.bar.release()
        await pilot.pause()
        assert app.cleared == 1
        assert app.applied[-1] == ("", True)
        assert app.bar.input.value == ""
        assert not app.screen.has_class("-filtering") and not app.screen.has_class("-filtered")


def test_what_is_still_being_typed_at_the_end_is_not_searched_for() -> None:
    assert typed_so_far("stage:") == ""
    assert typed_so_far("grant office:") == "grant"
    assert typed_so_far("grant Office:") == "grant"
    assert typed_so_far("stage:pilot") == "stage:pilot"
    assert typed_so_far("grant ") == "grant "
    assert typed_so_far("fraud:") == "fraud:"  # not a token key: words to search for
    assert typed_so_far("g") == ""  # one letter: most pilots match; wait for the second
    assert typed_so_far("grant s") == "grant"
    assert typed_so_far("grant se") == "grant se"


async def test_keys_typed_in_one_burst_make_one_query() -> None:
    app = Host()
    async with app.run_test() as pilot:
        app.bar.open()
        await pilot.pause()
        app.bar.input.insert_text_at_cursor("g")
        app.bar.input.insert_text_at_cursor("rant")  # as a paste: two changes within the same moment
        await pilot.pause(ERROR_AFTER_S)
        assert app.applied == [("grant", False)]
