"""The store's fast read paths give the answers the plain ones gave: positions counted on an index, keyset
pages, full-text counts, the high-impact index, reads on their own connection, sqlite-utils left unimported."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import caio_tui.store.pilot_list as pilot_list_module
from caio_tui.domain.filters import parse_filter
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.io.samples import load_sample
from caio_tui.store import Portfolio, database
from caio_tui.store.queries import SortKey
from helpers import NOW

FILTERS = ["", "office", "benefits", "stage:pilot", "stage:pilot stage:readiness", "high-impact", "stalled"]
SORTS = [(key, descending) for key in SortKey for descending in (False, True)]


def ids(pilots: list[object]) -> list[str]:
    return [p.id for p in pilots]  # type: ignore[attr-defined]


@pytest.fixture
def crowded(sample_portfolio: Portfolio) -> Portfolio:
    """The sample, plus pilots that tie on every sort column (same name, office, stage, readiness), so the
    id alone orders them: the tiebreak must hold in positions and pages as in the list."""
    for _ in range(4):
        sample_portfolio.add_pilot(PilotFields(name="Benefits Twin", office="Office of Benefits", owner="Ann"))
    return sample_portfolio


@pytest.fixture(params=["common", "rare"])
def text_plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every word counted as common (the sort index is walked) or as rare (the matches are sorted)."""
    threshold = 1 if request.param == "common" else 10**9
    monkeypatch.setattr(pilot_list_module, "common_threshold", lambda _pilots: threshold)
    yield str(request.param)


@pytest.mark.parametrize("query", FILTERS)
def test_every_position_is_the_index_in_the_list(crowded: Portfolio, text_plan: str, query: str) -> None:
    f = parse_filter(query)
    outside = [p.id for p in crowded.pilots() if p.id not in set(ids(crowded.pilots(f)))]
    for sort, descending in SORTS:
        listed = ids(crowded.pilots(f, sort=sort, descending=descending))
        assert listed, query
        assert [crowded.position(pid, f, sort=sort, descending=descending) for pid in listed] == list(
            range(len(listed))
        ), (query, sort, descending)
        for pid in outside[:3]:
            assert crowded.position(pid, f, sort=sort, descending=descending) is None
    assert crowded.position("NOPE", f) is None


@pytest.mark.parametrize("query", FILTERS)
def test_keyset_pages_read_the_whole_list_forwards_and_backwards(
    crowded: Portfolio, text_plan: str, query: str
) -> None:
    f = parse_filter(query)
    for sort, descending in SORTS:
        listed = ids(crowded.pilots(f, sort=sort, descending=descending))
        forwards: list[str] = []
        page = crowded.page_after(f, sort=sort, descending=descending, limit=4)
        while page:
            forwards += ids(page)
            page = crowded.page_after(f, sort=sort, descending=descending, after=page[-1], limit=4)
        assert forwards == listed, (query, sort, descending)
        backwards: list[str] = []
        page = crowded.page_before(f, sort=sort, descending=descending, limit=4)
        assert ids(page) == listed[-4:]  # the end of the list, in list order
        while page:
            backwards = ids(page) + backwards
            page = crowded.page_before(f, sort=sort, descending=descending, before=page[0], limit=4)
        assert backwards == listed, (query, sort, descending)


def test_a_keyset_page_continues_from_where_its_anchor_was(crowded: Portfolio) -> None:
    """The anchor is the pilot as the table last drew it: renamed since, the next page still follows it."""
    listed = crowded.pilots(sort=SortKey.NAME)
    anchor = listed[5]
    crowded.edit_pilot(anchor.id, name="Zz renamed since")
    following = ids(crowded.page_after(sort=SortKey.NAME, after=anchor, limit=3))
    assert following == ids(listed[6:9])
    preceding = ids(crowded.page_before(sort=SortKey.NAME, before=anchor, limit=3))
    assert preceding == ids(listed[2:5])


@pytest.mark.parametrize("query", ["benefits", "office of", "twin", "o'brien", '"human capital"', "ai-", "zzz"])
def test_a_text_count_is_the_number_of_pilots_listed(crowded: Portfolio, query: str) -> None:
    f = parse_filter(query)
    assert crowded.count(f) == len(crowded.pilots(f))
    assert sum(crowded.stage_counts(f).values()) == crowded.count(f)


def test_a_text_count_follows_edits(crowded: Portfolio) -> None:
    twins = parse_filter("twin")
    assert crowded.count(twins) == 4
    pid = crowded.pilots(twins)[0].id
    crowded.edit_pilot(pid, name="Benefits Single")
    assert crowded.count(twins) == 3
    crowded.undo()
    assert crowded.count(twins) == 4


def test_high_impact_counts_by_stage(crowded: Portfolio) -> None:
    f = parse_filter("high-impact")
    flagged = [p for p in crowded.pilots() if p.high_impact]
    assert flagged
    assert crowded.count(f) == len(flagged)
    assert crowded.stage_counts(f) == {s: len([p for p in flagged if p.stage is s]) for s in Stage}
    pid = crowded.add_pilot(PilotFields(name="New high-impact", office="o", owner="p", high_impact=True))
    assert crowded.count(f) == len(flagged) + 1
    assert crowded.stage_counts(f)[Stage.INTAKE] == len([p for p in flagged if p.stage is Stage.INTAKE]) + 1
    assert pid in ids(crowded.pilots(f, sort=SortKey.READINESS))


def hold_the_write_connection(portfolio: Portfolio, release: threading.Event) -> threading.Thread:
    """A worker inside a write (renaming DCS-004, not yet committed) until `release` is set."""
    holding = threading.Event()

    def worker() -> None:
        with portfolio.session.transaction():
            portfolio.conn.execute("UPDATE pilot SET name = 'Renamed inside' WHERE id = 'DCS-004'")
            portfolio.append_event("pilot.edit", "DCS-004", {"name": "?"}, {"name": "Renamed inside"})
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=worker)
    thread.start()
    assert holding.wait(10)
    return thread


def read_in_a_thread(portfolio: Portfolio, seen: list[str]) -> threading.Thread:
    thread = threading.Thread(target=lambda: seen.append(portfolio.get("DCS-004").name))
    thread.start()
    return thread


@pytest.mark.parametrize("folder", ["plain", "odd ?#% name"])
def test_a_read_does_not_wait_for_another_threads_write(tmp_path: Path, folder: str) -> None:
    """A read on another thread is not held up by a write in progress, and sees the file as it was until
    the write commits."""
    path = tmp_path / folder / "portfolio.db"
    with Portfolio.open(path, actor="tester", create=True, clock=lambda: NOW) as portfolio:
        load_sample(portfolio, "civilian-agency")
        release = threading.Event()
        writer = hold_the_write_connection(portfolio, release)
        seen: list[str] = []
        reader = read_in_a_thread(portfolio, seen)
        reader.join(10)
        finished_while_held = not reader.is_alive()
        release.set()
        writer.join(10)
        reader.join(10)
        assert finished_while_held, "the read waited for the write"
        assert seen == ["Benefits Policy Assistant"]  # not the uncommitted name
        assert portfolio.get("DCS-004").name == "Renamed inside"  # committed: every read sees it
        assert portfolio.count(parse_filter("renamed")) == 1


def test_reads_wait_for_the_write_when_no_second_connection_can_be_opened(
    sample_portfolio: Portfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: Path) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(database, "reader", refuse)
    release = threading.Event()
    writer = hold_the_write_connection(sample_portfolio, release)
    seen: list[str] = []
    reader = read_in_a_thread(sample_portfolio, seen)
    release.set()
    writer.join(10)
    reader.join(10)
    assert seen == ["Renamed inside"]  # it waited for the write's commit instead of failing
    assert sample_portfolio.position("DCS-004", sort=SortKey.NAME) is not None


def test_a_write_sees_its_own_changes_before_it_commits(sample_portfolio: Portfolio) -> None:
    with sample_portfolio.session.transaction():
        sample_portfolio.conn.execute("UPDATE pilot SET name = 'Mid-write' WHERE id = 'DCS-004'")
        assert sample_portfolio.get("DCS-004").name == "Mid-write"
        assert sample_portfolio.count(parse_filter("mid-write")) == 1
        sample_portfolio.append_event("pilot.edit", "DCS-004", {"name": "?"}, {"name": "Mid-write"})


def test_another_programs_commit_shows_in_data_version_and_reads(db_path: Path, sample_portfolio: Portfolio) -> None:
    before = sample_portfolio.data_version()
    sample_portfolio.add_pilot(PilotFields(name="Own write", office="o", owner="p"))
    assert sample_portfolio.data_version() == before  # its own writes are announced by the app itself
    with Portfolio.open(db_path, actor="cli", clock=lambda: NOW) as other:
        pid = other.add_pilot(PilotFields(name="From the CLI", office="o", owner="p"))
    assert sample_portfolio.data_version() != before
    assert sample_portfolio.get(pid).name == "From the CLI"
    assert sample_portfolio.count(parse_filter("cli")) == 1


def test_listing_pilots_leaves_sqlite_utils_and_pydantic_unimported(tmp_path: Path) -> None:
    """sqlite-utils costs about 50 ms of start-up and pydantic with the models about 110 ms: only writes use
    the first, and only a whole pilot (or a write) the second, so the TUI's first screen loads neither."""
    path = tmp_path / "x.db"
    with Portfolio.open(path, actor="t", create=True) as seeded:
        seeded.add_pilot(PilotFields(name="Claims triage", office="Benefits"))
    code = (
        "import sys; from pathlib import Path; import caio_tui.store as s\n"
        "def loaded(): return [m for m in ('sqlite_utils', 'pydantic') if m in sys.modules]\n"
        "at_import = loaded()\n"
        f"p = s.Portfolio.open(Path({str(path)!r}), actor='t')\n"
        "rows = p.table_page(); p.count(); p.stage_counts(); p.position(rows[0].id); listed = loaded()\n"
        "pilot = p.page()[0]; whole = loaded()\n"
        "p.edit_pilot(pilot.id, owner='w'); p.close()\n"
        "print(repr(rows[0].name)); print(at_import); print(listed); print(whole); print(loaded())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == [
        "'Claims triage'",
        "[]",  # imported: neither
        "[]",  # a page of rows, the counts and a position: neither
        "['pydantic']",  # a whole pilot
        "['sqlite_utils', 'pydantic']",  # a write
    ]
