"""Fuzzing the readers of files users bring: the OMB inventory CSV reader and the snapshot reader take any
bytes and any CSV or JSON shape and give a clean error or a valid result, never another exception; an
import that fails leaves the portfolio exactly as it was (its pilots, its audit trail and the trail's head).

Example counts are bounded so the suite stays fast; CAIO_TUI_FUZZ_EXAMPLES raises them for a long run."""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caio_tui.io.inventory import ImportResult, TransferError, import_file
from caio_tui.io.omb import COLUMNS_2025, OmbFormatError, OmbReadResult, read_inventory
from caio_tui.io.snapshot import Snapshot, SnapshotError, digest_of, parse, snapshot_of, to_bytes
from caio_tui.store import Portfolio, StoreError
from helpers import DATA, NOW

EXAMPLES = int(os.environ.get("CAIO_TUI_FUZZ_EXAMPLES", "200"))
DB_EXAMPLES = max(1, EXAMPLES // 4)  # each of these opens and writes a portfolio
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ_DB = settings(
    max_examples=DB_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
OMB = DATA / "omb"


def headers() -> list[list[str]]:
    """The header rows of every OMB format the reader knows, from the real sample files and the 2025 list."""
    found = [list(COLUMNS_2025)]
    for sample in sorted(OMB.glob("*.csv")):
        raw = sample.read_bytes()
        text = raw.decode("utf-8-sig") if not sample.name.endswith("cp1252.csv") else raw.decode("cp1252")
        found.append(next(csv.reader(io.StringIO(text))))
    return found


HEADERS = headers()
cells = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(list(',"\r\n;|\t=+-@')),
    max_size=40,
)


@st.composite
def inventory_csv(draw: st.DrawFn) -> bytes:
    """A CSV shaped like an inventory: a real header (columns dropped, repeated, shuffled, renamed or
    blank), then rows of any text, too short or too long, in UTF-8 (with or without a BOM) or Windows-1252."""
    header = list(draw(st.sampled_from(HEADERS)))
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["drop", "repeat", "rename", "blank"]))
        if not header:
            break
        at = draw(st.integers(0, len(header) - 1))
        if action == "drop":
            del header[at]
        elif action == "repeat":
            header.insert(at, header[at])
        elif action == "rename":
            header[at] = draw(cells)
        else:
            header[at] = ""
    rows = draw(st.lists(st.lists(cells, max_size=len(header) + 3), max_size=8))
    if rows and draw(st.booleans()):  # plausible values where the reader looks hardest
        stages = ["Operation and Maintenance", "Planned", "Retired", "pilot", "Deployed", "", "N/A"]
        rows[0] = [draw(st.sampled_from(stages)) if "stage" in h.lower() else draw(cells) for h in header]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return buffer.getvalue().encode(encoding, errors="replace")


def read_cleanly(data: bytes) -> OmbReadResult | None:
    """The reader's promise: a result or OmbFormatError (None), nothing else."""
    try:
        result = read_inventory(data, source_name="fuzz.csv")
    except OmbFormatError as exc:
        assert str(exc).startswith("fuzz.csv: ")  # (the CLI shows it through printable(): one line)
        return None
    for record in result.records:
        assert record.id and isinstance(record.name, str)
    return result


@FUZZ
@given(st.binary(max_size=2000))
def test_the_inventory_reader_takes_any_bytes(data: bytes) -> None:
    read_cleanly(data)


@FUZZ
@given(inventory_csv())
def test_the_inventory_reader_takes_any_csv_shape(data: bytes) -> None:
    read_cleanly(data)


# ---- the snapshot reader ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def valid_snapshot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from caio_tui.io.samples import load_sample

    path = tmp_path_factory.mktemp("snap") / "source.db"
    with Portfolio.open(path, actor="exporter", create=True, clock=lambda: NOW) as portfolio:
        load_sample(portfolio, "small-agency")
        return snapshot_of(portfolio)


def parse_cleanly(data: bytes) -> Snapshot | None:
    try:
        return parse(data, "fuzz.json")
    except SnapshotError as exc:
        assert str(exc).startswith("fuzz.json") and "\n" not in str(exc)
        return None


json_leaf = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=30)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def paths(value: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield here
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from paths(inner, (*here, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from paths(inner, (*here, index))


@st.composite
def mutated_snapshot(draw: st.DrawFn, original: dict[str, Any]) -> bytes:
    """A valid snapshot with one to three parts deleted, replaced by any JSON or other text, or duplicated,
    and then signed again (so the reader's checks past the digest are reached too, as with a forged file)."""
    data = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from([p for p in paths(data) if p]))
        parent = data
        for step in where[:-1]:
            parent = parent[step]
        key = where[-1]
        action = draw(st.sampled_from(["delete", "replace", "duplicate", "retext"]))
        if action == "retext":  # new text where text was: often still a valid snapshot
            if isinstance(parent[key], str):
                parent[key] = draw(st.text(max_size=30))
        elif action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(json_value)
        elif isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        else:
            parent[key] = [parent[key], parent[key]]
    if draw(st.booleans()):
        # A shape digest_of cannot walk keeps the old digest: the reader must refuse it all the same.
        with contextlib.suppress(TypeError, ValueError, AttributeError):
            data["digest"] = digest_of(data)
    return json.dumps(data, ensure_ascii=False).encode("utf-8", errors="surrogatepass")


@FUZZ
@given(st.binary(max_size=2000))
def test_the_snapshot_reader_takes_any_bytes(data: bytes) -> None:
    parse_cleanly(data)


@FUZZ
@given(data=st.data())
def test_the_snapshot_reader_takes_any_json_shape(valid_snapshot: dict[str, Any], data: st.DataObject) -> None:
    parse_cleanly(data.draw(mutated_snapshot(valid_snapshot)))


def test_the_unmutated_snapshot_reads(valid_snapshot: dict[str, Any]) -> None:
    """The fuzzing above starts from a file the reader accepts (else it would only ever test refusals)."""
    snapshot = parse_cleanly(to_bytes(valid_snapshot))
    assert snapshot is not None and len(snapshot.pilots) == 8


# ---- imports that fail change nothing ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two portfolios to import into: the civilian-agency sample (for inventories) and an empty one
    (a snapshot imports only into an empty portfolio)."""
    from caio_tui.io.samples import load_sample

    folder = tmp_path_factory.mktemp("templates")
    made = {}
    for name, sample in (("sample", "civilian-agency"), ("empty", None)):
        path = folder / f"{name}.db"
        with Portfolio.open(path, actor="setup", create=True, clock=lambda: NOW) as portfolio:
            if sample:
                load_sample(portfolio, sample)
        made[name] = path
    return made


OUTCOMES: dict[str, dict[str, int]] = {".csv": {"imported": 0, "refused": 0}, ".json": {"imported": 0, "refused": 0}}


def state(portfolio: Portfolio) -> tuple[Any, ...]:
    events = portfolio.history()
    pilots = [p.model_dump() for p in portfolio.pilots()]
    return (pilots, len(events), events[-1].hash if events else "")


def import_and_check(template: Path, folder: Path, data: bytes, suffix: str) -> None:
    path = folder / "target.db"
    for leftover in folder.glob("target.db*"):
        leftover.unlink()
    shutil.copyfile(template, path)
    source = folder / f"incoming{suffix}"
    source.write_bytes(data)
    with Portfolio.open(path, actor="importer", clock=lambda: NOW) as portfolio:
        before = state(portfolio)
        try:
            result = import_file(portfolio, source)
        except (TransferError, StoreError) as exc:
            assert "\n" not in str(exc)
            assert state(portfolio) == before  # refused: not one pilot, not one event, same head
            OUTCOMES[suffix]["refused"] += 1
        else:
            assert isinstance(result, ImportResult)
            OUTCOMES[suffix]["imported"] += 1
        assert portfolio.verify_chain()[1] is None
        assert portfolio.integrity_problems() == []


@FUZZ_DB
@given(data=inventory_csv())
def test_an_inventory_import_is_whole_or_changes_nothing(
    templates: dict[str, Path], tmp_path: Path, data: bytes
) -> None:
    import_and_check(templates["sample"], tmp_path, data, ".csv")


@FUZZ_DB
@given(data=st.data())
def test_a_snapshot_import_is_whole_or_changes_nothing(
    templates: dict[str, Path], valid_snapshot: dict[str, Any], tmp_path: Path, data: st.DataObject
) -> None:
    import_and_check(templates["empty"], tmp_path, data.draw(mutated_snapshot(valid_snapshot)), ".json")


def test_the_unmutated_snapshot_imports_whole(
    templates: dict[str, Path], valid_snapshot: dict[str, Any], tmp_path: Path
) -> None:
    import_and_check(templates["empty"], tmp_path, to_bytes(valid_snapshot), ".json")
    with Portfolio.open(tmp_path / "target.db", actor="reader") as portfolio:
        assert portfolio.count() == 8


def test_fuzz_figures() -> None:
    """Prints how many imports ran and how they ended (for docs/reliability.md); runs after the above."""
    print(f"\nfuzz: {EXAMPLES} examples per reader test; imports (0 half-written): {OUTCOMES}")
