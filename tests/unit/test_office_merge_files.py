"""Several bundles merged in one call (merge_files): the same portfolio as merge_file of each in turn, each
its own transaction and audit event; a refused bundle stops the merge with those before it merged and
nothing of it or after it; and all of it again with the bundles verified in the verifier's process (forced
on these small files), including a refusal there, a verifier that crashes or is killed (one line, never a
hang) and Ctrl-C (the verifier never outlives the call)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from caio_tui.io.offices import OfficeFileError, merge_file, merge_files
from caio_tui.io.offices import merge as merging
from caio_tui.io.offices.verifier import Verifier
from caio_tui.io.snapshot import snapshot_of
from caio_tui.store import Portfolio
from caio_tui.store.office_apply import MergeOutcome
from helpers.office_files import bundle, copy_of, office_portfolio, opened, signed

GMO = "Grants Management Office"
OHC = "Office of Human Capital"
WAYS = {"here": merging.WORKER_FROM, "verifier": 0}  # worker_from: these files are far below WORKER_FROM


@pytest.fixture
def bundles(sample_portfolio: Portfolio, tmp_path: Path) -> list[Path]:
    """Three bundles: two of one send (the second extends the first's chain) and one of another office."""
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        first, second = [p.id for p in office.pilots()][:2]
        office.edit_pilot(first, owner="Grants lead")
        older = bundle(office, tmp_path, "gmo-1.json")
        office.edit_pilot(second, owner="Grants deputy")
        newer = bundle(office, tmp_path, "gmo-2.json")
    with office_portfolio(caio, OHC, tmp_path) as office:
        pilot = office.pilots()[0].id
        office.edit_pilot(pilot, owner="Tampered")
        caio.edit_pilot(pilot, owner="Changed by the CAIO")  # a conflict
        other = bundle(office, tmp_path, "ohc.json")
    return [older, other, newer]


def _state(portfolio: Portfolio) -> dict[str, Any]:
    """What a merge leaves: the pilots, the bundles merged, what waits, one event per merge."""
    rows = {
        table: [tuple(r) for r in portfolio.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2")]
        for table in ("office_bundle", "office_conflict", "office_request")
    }
    merges = [e for e in portfolio.history() if e.action == "office_merge"]
    return {"pilots": snapshot_of(portfolio)["pilots"], **rows, "merges": len(merges)}


def _outcome(o: MergeOutcome) -> tuple[object, ...]:
    return (o.office, o.head, o.already, o.changes, o.conflicts, o.requests, o.added, o.gone)


@pytest.mark.parametrize("way", WAYS)
def test_several_bundles_merge_as_merge_file_of_each_in_turn(
    sample_portfolio: Portfolio, bundles: list[Path], tmp_path: Path, way: str
) -> None:
    one_by_one, together = copy_of(sample_portfolio, tmp_path / "a.db"), copy_of(sample_portfolio, tmp_path / "b.db")
    with opened(one_by_one) as caio:
        expected = [_outcome(merge_file(caio, f, source=f.name)) for f in bundles]
        before = _state(caio)
    told: list[MergeOutcome] = []
    with opened(together) as caio:
        outcomes = merge_files(
            caio, bundles, sources=[f.name for f in bundles], merged=told.append, worker_from=WAYS[way]
        )
        after = _state(caio)
        assert caio.verify_chain()[1] is None and caio.check_state().holds
    assert [_outcome(o) for o in outcomes] == expected and told == outcomes
    assert after == before and after["merges"] == 3
    assert expected[1][4] == 1 and expected[2][3] == 1  # a conflict; the newer bundle of a send merged after


@pytest.mark.parametrize("way", WAYS)
def test_a_refused_bundle_stops_the_merge_with_those_before_it_merged(
    sample_portfolio: Portfolio, bundles: list[Path], way: str
) -> None:
    caio = sample_portfolio
    other = bundles[1]
    other.write_text(signed(other.read_text().replace('"Tampered"', '"Someone else"')))
    told: list[MergeOutcome] = []
    with pytest.raises(OfficeFileError) as refused:
        merge_files(caio, bundles, sources=[f.name for f in bundles], merged=told.append, worker_from=WAYS[way])
    assert str(refused.value).startswith("ohc.json: refused: pilot ") and "not the ones sealed" in str(refused.value)
    assert "\n" not in str(refused.value)
    assert [o.office for o in told] == [GMO]
    assert [row[0] for row in _state(caio)["office_bundle"]] == [told[0].head]  # the first bundle only
    owners = {p.owner for p in caio.pilots()}
    assert "Grants lead" in owners and "Grants deputy" not in owners and "Someone else" not in owners


@pytest.mark.parametrize("way", WAYS)
def test_an_older_bundle_of_a_send_after_a_newer_in_the_same_call_changes_nothing(
    sample_portfolio: Portfolio, bundles: list[Path], way: str
) -> None:
    """Its chain is verified before the newer is merged: what it must extend is decided at its turn, and
    then it is older than the one merged (nothing of it applied, not an error)."""
    older, _, newer = bundles
    told: list[MergeOutcome] = []
    merge_files(
        sample_portfolio,
        [newer, older],
        sources=["gmo-2.json", "gmo-1.json"],
        merged=told.append,
        worker_from=WAYS[way],
    )
    assert [o.changes for o in told] == [2, 0]
    assert told[1].older_than == told[0].head and "is older than bundle" in told[1].summary()
    assert [row[0] for row in _state(sample_portfolio)["office_bundle"]] == [told[0].head]


class _Recorded(Verifier):
    """The verifier, remembered so a test can see its process (and kill it)."""

    started: list[Verifier] = []

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.started.append(self)


@pytest.fixture
def verifiers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Verifier]]:
    started: list[Verifier] = []
    monkeypatch.setattr(_Recorded, "started", started)
    monkeypatch.setattr(merging, "Verifier", _Recorded)
    yield started


def test_small_files_are_verified_here_and_the_verifier_ends_with_the_call(
    sample_portfolio: Portfolio, bundles: list[Path], verifiers: list[Verifier]
) -> None:
    merge_files(sample_portfolio, bundles[:1], sources=["gmo-1.json"])
    assert verifiers == []
    merge_files(sample_portfolio, bundles[1:], sources=["ohc.json", "gmo-2.json"], worker_from=0)
    assert len(verifiers) == 1 and verifiers[0].process.returncode is not None


def test_a_killed_verifier_is_one_line_and_nothing_of_the_bundle_is_merged(
    sample_portfolio: Portfolio, bundles: list[Path], verifiers: list[Verifier]
) -> None:
    def killed(outcome: MergeOutcome) -> None:  # after the first bundle: the verifier dies mid-merge
        os.kill(verifiers[0].process.pid, signal.SIGKILL)
        verifiers[0].process.wait()
        verifiers[0].out.close()  # and what it had sent is lost with it
        verifiers[0].out = open(os.devnull, "rb")  # noqa: SIM115 (closed by the verifier's close)

    head = sample_portfolio.audit_head()
    with pytest.raises(OfficeFileError) as stopped:
        merge_files(sample_portfolio, bundles, sources=["a", "b", "c"], merged=killed, worker_from=0)
    assert str(stopped.value) == (
        "b: the process verifying the bundles stopped (killed by signal 9); nothing of it was merged"
    )
    assert len(_state(sample_portfolio)["office_bundle"]) == 1 and sample_portfolio.audit_head() != head


def test_a_verifier_that_crashes_or_cannot_start_is_one_line(
    sample_portfolio: Portfolio, bundles: list[Path], verifiers: list[Verifier], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(merging, "sealed_columns", lambda conn: {})  # RowsCheck meets a KeyError there
    with pytest.raises(OfficeFileError, match=r"^a: the process verifying the bundles stopped \(KeyError: 'pilot'\)"):
        merge_files(sample_portfolio, bundles, sources=["a", "b", "c"], worker_from=0)
    monkeypatch.setattr("sys.executable", "/bin/false")
    with pytest.raises(OfficeFileError, match=r"^a: the process verifying the bundles stopped \(exit status 1\)"):
        merge_files(sample_portfolio, bundles, sources=["a", "b", "c"], worker_from=0)
    assert all(v.process.returncode is not None for v in verifiers)
    assert _state(sample_portfolio)["office_bundle"] == []


def test_without_a_process_to_start_the_bundles_are_verified_here(
    sample_portfolio: Portfolio, bundles: list[Path], verifiers: list[Verifier], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.executable", "/nonexistent/python")
    outcomes = merge_files(sample_portfolio, bundles, sources=["a", "b", "c"], worker_from=0)
    assert verifiers == [] and [o.changes for o in outcomes] == [1, 0, 1]


def test_ctrl_c_stops_the_verifier(sample_portfolio: Portfolio, bundles: list[Path], verifiers: list[Verifier]) -> None:
    def interrupted(outcome: MergeOutcome) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        merge_files(sample_portfolio, bundles, sources=["a", "b", "c"], merged=interrupted, worker_from=0)
    assert verifiers[0].process.returncode is not None
    assert len(_state(sample_portfolio)["office_bundle"]) == 1
