"""Broken and hostile input: files that are not (or no longer) usable portfolios, read-only files and
folders, a full disk, and user text built to break terminals, markup, HTML and spreadsheets.

Files: every command gives one clear line on stderr and exit 1 (or, on a partly damaged file, a command
that never reads the damage works), and the file's bytes are unchanged. Text: stored exactly, printed
without a raw control character, escaped in HTML and neutralised in CSV."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.store import Portfolio, PortfolioError, StoreError
from helpers import DATA, NOW
from helpers.cli import run

HOSTILE = DATA / "hostile"
CAIO_TUI = Path(sys.executable).parent / "caio-tui"
SIDECARS = ("-wal", "-shm", "-journal")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_clear_line(stderr: str, path: Path) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"caio-tui: error: {path}"), lines[0]
    assert "Traceback" not in stderr
    return lines[0]


# ---- files that are not usable portfolios ------------------------------------------------------------------


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sample portfolio, closed cleanly (no -wal beside it), to damage copies of."""
    path = tmp_path_factory.mktemp("good") / "agency.db"
    with Portfolio.open(path, actor="setup", create=True, clock=lambda: NOW) as portfolio:
        from caio_tui.io.samples import load_sample

        load_sample(portfolio, "civilian-agency")
    return path


def _root_page(good: Path, table: str) -> int:
    conn = sqlite3.connect(f"file:{good}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT rootpage FROM sqlite_schema WHERE name = ?", (table,)).fetchone()[0])
    finally:
        conn.close()


def _scribble(data: bytes, page: int, size: int = 4096) -> bytes:
    """Overwrite one page with bytes that look like nothing SQLite wrote (a bad sector, a stray write)."""
    start = (page - 1) * size
    return data[:start] + bytes((i * 37 + 11) % 256 for i in range(size)) + data[start + size :]


def _newer(good: Path, path: Path) -> bytes:
    path.write_bytes(good.read_bytes())
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    return path.read_bytes()


MAKERS: dict[str, Callable[[Path, Path], bytes]] = {
    "empty": lambda good, path: b"",
    "a CSV": lambda good, path: b"name,office\nClaims,OBA\n",
    "a picture": lambda good, path: (HOSTILE / "picture.png").read_bytes(),
    "zeros": lambda good, path: bytes(65536),
    "header then garbage": lambda good, path: b"SQLite format 3\x00" + b"\xff" * 4000,
    "truncated to 100 bytes": lambda good, path: good.read_bytes()[:100],
    "truncated to one page": lambda good, path: good.read_bytes()[:4096],
    "truncated to half": lambda good, path: good.read_bytes()[: len(good.read_bytes()) // 2],
    "another program's": lambda good, path: (HOSTILE / "history.sqlite").read_bytes(),
    "a newer schema": _newer,
}
MESSAGES = {
    "empty": "the file is empty, not a caio-tui portfolio",
    "a CSV": "not a caio-tui portfolio (not a SQLite database)",
    "a picture": "not a caio-tui portfolio (not a SQLite database)",
    "zeros": "not a caio-tui portfolio (not a SQLite database)",
    "header then garbage": "not a caio-tui portfolio",
    "truncated to 100 bytes": "the file is damaged",
    "truncated to one page": "the file is damaged",
    "truncated to half": "the file is damaged",
    "another program's": "a SQLite database of another program, not a caio-tui portfolio",
    "a newer schema": "written by a newer caio-tui (schema 99",
}
COMMANDS = [
    ["list"],
    ["show", "DCS-004"],
    ["history"],
    ["verify"],
    ["add", "--name", "x"],
    ["tag", "DCS-004", "skills-gap"],
    ["undo"],
]


def hostile(good: Path, folder: Path, kind: str) -> Path:
    path = folder / "portfolio.db"
    path.write_bytes(MAKERS[kind](good, path))
    return path


@pytest.mark.parametrize("kind", list(MAKERS))
def test_a_file_that_is_not_a_usable_portfolio_is_one_line_and_never_changed(
    good: Path, tmp_path: Path, kind: str
) -> None:
    path = hostile(good, tmp_path, kind)
    before = digest(path)
    for command in [*COMMANDS, ["init"]]:
        result = run("--db", path, *command)
        assert result.exit_code == 1, (command, result.output)
        line = one_clear_line(result.stderr, path)
        assert MESSAGES[kind] in line or (command == ["init"] and "exists already" in line), (command, line)
        assert digest(path) == before, command
    assert sorted(p.name for p in tmp_path.iterdir()) == ["portfolio.db"]


@pytest.mark.parametrize("table", ["pilot", "audit_event", "coverage"])
def test_a_portfolio_with_a_corrupted_page_says_so_and_is_never_changed_by_a_failed_command(
    good: Path, tmp_path: Path, table: str
) -> None:
    """SQLite reads only the pages a statement needs, so a command that never meets the damaged page works
    (a check of every page before every command would cost seconds on a large portfolio); every command
    that meets it is one line and leaves the file as it was, and `verify` always finds the damage."""
    path = tmp_path / "portfolio.db"
    path.write_bytes(_scribble(good.read_bytes(), _root_page(good, table)))
    failed = []
    for command in [*COMMANDS, ["verify"]]:
        before = digest(path)
        result = run("--db", path, *command)
        if result.exit_code != 0:
            assert result.exit_code == 1, (command, result.output)
            line = one_clear_line(result.stderr, path)
            assert "the file is damaged" in line, line
            assert digest(path) == before, command
            failed.append(command[0])
        else:
            assert not result.stderr, (command, result.stderr)
    assert failed and failed[-1] == "verify"  # verify always finds it
    leftovers = {p.name for p in tmp_path.iterdir()} - {"portfolio.db"}
    assert all(name.endswith(SIDECARS) for name in leftovers), leftovers


def test_exporting_a_portfolio_with_a_corrupted_page_is_one_line(good: Path, tmp_path: Path) -> None:
    path = tmp_path / "portfolio.db"
    path.write_bytes(_scribble(good.read_bytes(), _root_page(good, "pilot")))
    result = run("--db", path, "export", "--format", "csv", "-o", tmp_path / "out.csv")
    assert result.exit_code == 1
    one_clear_line(result.stderr, path)


# ---- read-only files and folders, missing folders -----------------------------------------------------------


def without_override() -> list[str]:
    """A command prefix under which file permissions hold. Root ignores them (CAP_DAC_OVERRIDE), so as root
    the command runs with that capability (and its relatives) removed from its bounding set: the same
    real process and file, just without the power to write through permission bits."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make file permissions hold for the test")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner,-linux_immutable", "--"]


@pytest.fixture
def as_user(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    prefix = without_override()
    probe = tmp_path / "probe"
    probe.write_text("x")
    probe.chmod(0o444)
    denied = subprocess.run([*prefix, "sh", "-c", f"echo y >> '{probe}'"], capture_output=True, check=False)
    probe.unlink()
    if denied.returncode == 0:
        pytest.skip("file permissions do not hold here even without CAP_DAC_OVERRIDE")

    def call(*args: str | Path) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "COLUMNS": "120"}
        return subprocess.run(
            [*prefix, str(CAIO_TUI), *map(str, args)], capture_output=True, text=True, env=env, timeout=60, check=False
        )

    return call


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    made = tmp_path / "folder"
    made.mkdir()
    yield made
    for path in [made, *made.rglob("*")]:  # let pytest clean up what the test made read-only
        path.chmod(0o700)


def test_a_read_only_file_is_read_and_refuses_writes_in_one_line(
    good: Path, folder: Path, as_user: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    path = folder / "portfolio.db"
    shutil.copyfile(good, path)
    path.chmod(0o444)
    before = digest(path)
    listed = as_user("--db", path, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 30
    assert as_user("--db", path, "verify").returncode == 0
    for command in (["add", "--name", "x"], ["tag", "DCS-004", "skills-gap"]):
        refused = as_user("--db", path, *command)
        assert refused.returncode == 1
        assert one_clear_line(refused.stderr, path).endswith("the portfolio is read-only; nothing was changed")
    assert digest(path) == before


def test_a_read_only_folder_is_one_line_and_the_file_is_not_changed(
    good: Path, folder: Path, as_user: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    path = folder / "portfolio.db"
    shutil.copyfile(good, path)
    folder.chmod(0o555)
    before = digest(path)
    for command in (["list"], ["add", "--name", "x"], ["verify"]):
        result = as_user("--db", path, *command)
        assert result.returncode == 1
        line = one_clear_line(result.stderr, path)
        assert line.endswith(
            "its folder is read-only, and SQLite needs to create portfolio.db-wal and portfolio.db-shm beside it"
        ), line
    assert digest(path) == before
    assert [p.name for p in folder.iterdir()] == ["portfolio.db"]


def test_missing_and_read_only_folders_for_a_new_portfolio(
    folder: Path, as_user: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    missing = folder / "not" / "there" / "p.db"
    listed = as_user("--db", missing, "list")
    assert listed.returncode == 1 and "no portfolio there (create one with 'caio-tui init')" in listed.stderr
    folder.chmod(0o555)
    for target, message in [
        (folder / "sub" / "p.db", "cannot create the folder (Permission denied)"),
        (folder / "p.db", "cannot create the portfolio (Permission denied)"),
    ]:
        made = as_user("--db", target, "init")
        assert made.returncode == 1
        lines = made.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], made.stderr
    assert list(folder.iterdir()) == []


# ---- a full disk ---------------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB file system of its own (a tmpfs; needs root and mount rights, else the test is skipped)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.decode().strip()}); max_page_count test runs")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """Take all the space but `leave` bytes."""
    stats = os.statvfs(disk)
    filler = disk / "filler"
    filler.write_bytes(b"")
    with filler.open("ab") as out:
        try:
            out.write(bytes(max(0, stats.f_bavail * stats.f_frsize - leave)))
            out.flush()
        except OSError:
            pass
    return filler


def test_a_write_on_a_full_disk_is_one_line_and_changes_nothing(small_disk: Path) -> None:
    path = small_disk / "p.db"
    assert run("--db", path, "init", "--sample", "small-agency").exit_code == 0
    filler = fill(small_disk, leave=48 * 1024)
    before = digest(path)
    for attempt in range(3):
        result = run("--db", path, "add", "--name", f"big {attempt}", "--description", "y" * 90_000)
        assert result.exit_code == 1, result.output
        assert one_clear_line(result.stderr, path).endswith("the disk is full; nothing was changed")
    assert digest(path) == before
    filler.unlink()
    with Portfolio.open(path, actor="after") as portfolio:
        assert portfolio.count() == 8
        assert portfolio.verify_chain() == (2, None)
    assert run("--db", path, "add", "--name", "now it fits", "--description", "y" * 90_000).exit_code == 0


def test_creating_or_opening_on_a_full_disk_is_one_line(small_disk: Path) -> None:
    existing = small_disk / "p.db"
    assert run("--db", existing, "init", "--sample", "small-agency").exit_code == 0
    before = digest(existing)
    fill(small_disk, leave=0)
    new = small_disk / "new.db"
    made = run("--db", new, "init", "--sample", "small-agency")
    assert made.exit_code == 1
    assert "the disk is full" in one_clear_line(made.stderr, new)
    assert not new.exists() and not list(small_disk.glob(".new.db.*"))  # not even the file being built
    opened = run("--db", existing, "list")
    assert opened.exit_code == 1
    assert one_clear_line(opened.stderr, existing).endswith("cannot open: the disk is full")
    assert digest(existing) == before


def test_a_size_limit_refuses_a_write_and_an_import_in_one_line(portfolio: Portfolio) -> None:
    """The same full disk without mount rights: SQLite's max_page_count stops the file growing."""
    from caio_tui.io.samples import load_sample

    portfolio.add_pilot(PilotFields(name="fits"))
    pages = portfolio.conn.execute("PRAGMA page_count").fetchone()[0]
    portfolio.conn.execute(f"PRAGMA max_page_count = {pages}")
    events = portfolio.verify_chain()[0]
    with pytest.raises(PortfolioError, match=r"the disk is full; nothing was changed$"):
        portfolio.add_pilot(PilotFields(name="too big", description="z" * 90_000))
    with pytest.raises(PortfolioError, match=r"the disk is full; nothing was changed$"):
        load_sample(portfolio, "civilian-agency")
    assert [p.name for p in portfolio.pilots()] == ["fits"]
    assert portfolio.verify_chain() == (events, None)


# ---- hostile text ----------------------------------------------------------------------------------------------

HOSTILE_TEXT = {
    "10,000 characters": "L" * 9_990 + "-the-end.",
    "terminal escapes": "a\x1b[2J\x1b[31mred\x1b]0;pwned\x07\x1b[?1049h\x9b31mC1\x08\x7fz",
    "right to left": "مرحبا \u202eevil\u202c שלום",
    "combining": "Z\u0351\u0364\u0311a\u0310\u0357l\u036e\u0306g\u0303o",
    "Rich and Textual markup": "[bold red]x[/] [link=https://evil.example]click[/link] [@click=app.quit]q[/]",
    "HTML": "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "spreadsheet formula": '=HYPERLINK("https://evil.example","click")',
    "formula by plus": "+cmd|' /C calc'!A0",
    "formula by at": "@SUM(A1:A9)",
    "formula by minus": "-2+3",
}
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def raw_controls(text: str) -> set[str]:
    """Characters that would act on a terminal rather than show on it."""
    return {c for c in text if (unicodedata.category(c) == "Cc" and c != "\n") or c in _BIDI}


@pytest.fixture
def hostile_db(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A portfolio whose pilots carry the hostile text in every field a user types (ids by label)."""
    path = tmp_path / "hostile.db"
    ids: dict[str, str] = {}
    with Portfolio.open(path, actor="tester", create=True, clock=lambda: NOW) as portfolio:
        for label, text in HOSTILE_TEXT.items():
            pid = portfolio.add_pilot(
                PilotFields(name=text, office=text[:200], owner=text[:200], description=text), stage=Stage.POC
            )
            portfolio.open_blocker(pid, "skills-gap", note=text)
            portfolio.set_coverage(pid, "access.roles", CoverageStatus.PARTIAL, evidence=text)
            portfolio.move(pid, Stage.INTAKE)  # a recent move: the briefing lists the pilot by name
            ids[label] = pid
    return path, ids


def test_hostile_text_is_stored_exactly(hostile_db: tuple[Path, dict[str, str]]) -> None:
    path, ids = hostile_db
    with Portfolio.open(path, actor="reader") as portfolio:  # a new connection: what is on disk
        for label, pid in ids.items():
            text = HOSTILE_TEXT[label]
            record = portfolio.record(pid)
            assert (record.pilot.name, record.pilot.description) == (text, text), label
            assert (record.pilot.office, record.pilot.owner) == (text[:200], text[:200])
            assert [b.note for b in record.blockers] == [text]
            assert record.coverage["access.roles"].evidence == text
            created = next(e for e in portfolio.history(pid) if e.action == "pilot.create")
            assert created.after["name"] == text  # the trail keeps it exactly too
        assert portfolio.verify_chain() == (1 + 4 * len(ids), None)  # and hashes it without trouble


def test_hostile_text_never_reaches_the_terminal_raw(hostile_db: tuple[Path, dict[str, str]]) -> None:
    path, ids = hostile_db
    outputs = {
        "list": run("--db", path, "list"),
        "history": run("--db", path, "history"),
        "history --verify": run("--db", path, "history", "--verify"),
    }
    for label, pid in ids.items():
        outputs[f"show {label}"] = run("--db", path, "show", pid)
    for name, result in outputs.items():
        assert result.exit_code == 0, (name, result.output)
        assert raw_controls(result.stdout) == set(), name
    shown = outputs["show terminal escapes"].stdout
    assert "a\\x1b[2J\\x1b[31mred\\x1b]0;pwned\\x07" in shown  # shown, escaped, not obeyed
    assert "[bold red]x[/] [link=https://evil.example]click[/link]" in outputs["show Rich and Textual markup"].stdout
    long_name = outputs["show 10,000 characters"].stdout
    assert "L" * 9_990 + "-the-end." in long_name.replace("\n", "")  # whole, folded to the terminal's width
    assert max(map(len, long_name.splitlines())) <= 120
    assert "Z\u0351\u0364\u0311a" in outputs["show combining"].stdout  # combining marks are text: kept
    listed = json.loads(run("--db", path, "list", "--json").stdout)
    assert {p["id"]: p["name"] for p in listed} == {pid: HOSTILE_TEXT[label] for label, pid in ids.items()}


def test_json_output_carries_no_raw_control_character(hostile_db: tuple[Path, dict[str, str]]) -> None:
    path, ids = hostile_db
    for args in (["list", "--json"], ["show", ids["terminal escapes"], "--json"], ["history", "--json"]):
        result = run("--db", path, *args)
        assert result.exit_code == 0
        assert raw_controls(result.stdout) == set(), args


# One of each kind that acts on a terminal: C0 (ESC, BEL), DEL, C1 (CSI 0x9b, NEL 0x85), a direction override
# and an isolate.
CONTROLS = "c0 \x1b[2J\x07 del \x7f c1 \x9b31m\x85 bidi \u202eevil\u202c \u2066iso\u2069 end"


def test_every_json_output_escapes_terminal_controls_and_reads_back_the_same(tmp_path: Path) -> None:
    """One JSON printer for every `--json` and `diff --format json`: C0, DEL, C1 and the direction overrides
    and isolates are written as \\uXXXX, so nothing in the output acts on a terminal, the output is valid
    JSON, and it reads back as the very text stored."""
    path, empty = tmp_path / "controls.db", tmp_path / "empty.db"
    Portfolio.open(empty, actor="tester", create=True, clock=lambda: NOW).close()
    with Portfolio.open(path, actor="tester", create=True, name=CONTROLS, clock=lambda: NOW) as portfolio:
        fields = PilotFields(name=CONTROLS, office=CONTROLS, owner=CONTROLS, description=CONTROLS)
        first, second = (portfolio.add_pilot(fields, stage=Stage.POC) for _ in range(2))
        portfolio.open_blocker(first, "skills-gap", note=CONTROLS)
    toml = run("--db", path, "gates", "show", "--toml").stdout  # a description in TOML escapes, DEL included
    described = json.dumps(CONTROLS).replace("\x7f", "\\u007f")
    rules = tmp_path / "rules.toml"
    rules.write_text(toml.replace('"An owner is recorded"', described, 1), encoding="utf-8")
    assert run("--db", path, "gates", "load", rules).exit_code == 0

    def read(*args: str | Path, exit_code: int = 0) -> Any:
        result = run("--db", path, *args)
        assert result.exit_code == exit_code, (args, result.output)
        assert raw_controls(result.stdout) == set(), args
        return json.loads(result.stdout)

    assert [p["name"] for p in read("list", "--json")] == [CONTROLS, CONTROLS]
    shown = read("show", first, "--json")
    assert (shown["name"], shown["office"], shown["blockers"][0]["note"]) == (CONTROLS, CONTROLS, CONTROLS)
    for args in (["history", "--json"], ["history", "--verify", "--json"]):
        events = read(*args)
        assert [e["after"]["name"] for e in events if e["action"] == "pilot.create"] == [CONTROLS, CONTROLS]
    assert read("verify", "--json")["ok"] is True
    assert [p["name"] for p in read("compare", first, second, "--json")["pilots"]] == [CONTROLS, CONTROLS]
    assert read("blockers", "--json")["open_blockers"] == 1
    assert read("summary", "--json")["name"] == CONTROLS
    assert read("gates", "show", "--json")["gate"][0]["rules"][0]["description"] == CONTROLS
    assert read("gates", "check", first, "--to", "production", "--json", exit_code=3)["pilot"] == first
    assert [v["version"] for v in read("gates", "history", "--json")] == [1, 2]
    assert read("gates", "stale", first, "--json")[0]["name"] == CONTROLS
    diff = run("--db", path, "diff", empty, path, "--format", "json")
    assert diff.exit_code == 0 and raw_controls(diff.stdout) == set()
    found = json.loads(diff.stdout)
    assert (found["new_name"], [p["name"] for p in found["added"]]) == (CONTROLS, [CONTROLS, CONTROLS])


def test_hostile_text_is_neutralised_in_csv_and_escaped_in_html_and_markdown(
    hostile_db: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    path, ids = hostile_db
    for fmt in ("csv", "html", "markdown"):
        result = run("--db", path, "export", "--format", fmt, "-o", tmp_path / f"out.{fmt}")
        assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8-sig"))))
    names = {r["id"]: r["name"] for r in rows}
    for label, pid in ids.items():
        text = HOSTILE_TEXT[label]
        if text.startswith(("=", "+", "-", "@")):
            assert names[pid] == "'" + text, label  # a spreadsheet shows it as text, never runs it
        else:
            assert names[pid] == text, label
    page = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert raw_controls(page) == set()
    markdown = (tmp_path / "out.markdown").read_text(encoding="utf-8")
    assert "<script>" not in markdown and raw_controls(markdown) == set()


def test_text_the_domain_refuses_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    assert run("--db", path, "init").exit_code == 0
    too_long = run("--db", path, "add", "--name", "n" * 10_001)
    assert too_long.exit_code == 2 and "Traceback" not in too_long.output
    assert len(too_long.stderr.strip().splitlines()) == 1
    with Portfolio.open(path, actor="tester") as portfolio:
        with pytest.raises((StoreError, ValueError)):
            portfolio.add_pilot(PilotFields(name="\ud800 lone surrogate"))  # not encodable: refused, not stored
        assert portfolio.count() == 0
