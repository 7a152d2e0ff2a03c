"""File safety: a portfolio file is opened only through SQLite while this process has it open; commands
creating the same portfolio never delete each other's file; --db names are paths, never SQLite URIs; the
folders a command makes are private, an export never replaces a device, a killed export or upgrade leaves
nothing the next run does not remove, and reading a side of a diff never changes it."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from caio_tui.config import Settings
from caio_tui.io.diff import load_side
from caio_tui.io.inventory import TransferError, export_file, import_into
from caio_tui.store import Portfolio
from caio_tui.tui.dialogs.export import ExportDialog
from caio_tui.tui.screens.portfolio import PortfolioScreen
from helpers import DATA
from helpers.tui import RecordingApp, press, settle

CAIO_TUI = Path(sys.executable).parent / "caio-tui"
INVENTORY = DATA / "omb" / "inventory_2025.csv"


def caio(db: Path | str, *args: str | Path, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """The real command, in a process of its own."""
    done = subprocess.run(
        [str(CAIO_TUI), "--db", str(db), *map(str, args)], capture_output=True, text=True, timeout=120, **kwargs
    )
    if check:
        assert done.returncode == 0, (args, done.returncode, done.stdout, done.stderr)
    return done


def start(db: Path, *args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(CAIO_TUI), "--db", str(db), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def events(db: Path, pilot: str | None = None) -> list[str]:
    return [e["action"] for e in json.loads(caio(db, "history", *([pilot] if pilot else []), "--json").stdout)]


def pilots(db: Path) -> int:
    return len(json.loads(caio(db, "list", "--json").stdout))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- 1. the app's own export or import never drops the locks SQLite holds ------------------------------


async def test_an_export_in_the_app_leaves_the_portfolio_whole_for_every_other_program(tmp_path: Path) -> None:
    """The issue's repro: export from the app, another program lists and promotes, the app tags a blocker;
    afterwards the file verifies and holds the other program's move. (Closing any plain file handle on the
    portfolio in the app's process would drop every POSIX lock SQLite holds on it: the other program would
    then take the app's WAL for abandoned and delete it under the app.)"""
    db = tmp_path / "portfolio.db"
    caio(db, "init", "--sample", "civilian-agency")
    app = RecordingApp(db, Settings(actor="tester"), watch_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "x")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        dialog.query_one("#export-path", Input).value = str(tmp_path / "snap.json")
        await press(pilot, "enter")
        assert isinstance(app.screen, PortfolioScreen)
        assert json.loads((tmp_path / "snap.json").read_bytes())["pilots"]

        caio(db, "list")
        assert db.with_name("portfolio.db-wal").exists()  # the app still holds it: nobody may remove it
        caio(db, "promote", "DCS-016")
        assert "stage.move" in events(db, "DCS-016")

        await press(pilot, "b")
        await pilot.press(*"logging")
        await press(pilot, "tab")
        await pilot.press(*"seen after the export")
        await press(pilot, "enter")
        assert isinstance(app.screen, PortfolioScreen)
    tagged = [e for e in json.loads(caio(db, "history", "--json").stdout) if e["action"] == "blocker.open"]
    assert any("seen after the export" in json.dumps(e) for e in tagged)
    assert caio(db, "verify", check=False).returncode == 0
    assert "stage.move" in events(db, "DCS-016")


def _export(db: Path, folder: Path) -> None:
    export_file(db, "snapshot", folder / "snap.json", actor="tester")


def _import(db: Path, _folder: Path) -> None:
    import_into(db, INVENTORY, actor="tester")


def _diff_side(db: Path, _folder: Path) -> None:
    load_side(db, actor="tester")


def _second_open(db: Path, _folder: Path) -> None:
    Portfolio.open(db, actor="tester").close()


@pytest.mark.parametrize("use", [_export, _import, _diff_side, _second_open], ids=lambda u: u.__name__.strip("_"))
def test_each_other_use_of_the_open_portfolio_in_the_process_leaves_it_whole(
    tmp_path: Path, use: Callable[[Path, Path], None]
) -> None:
    """What the app's workers do on a connection of their own (export, import, a side of a diff, another
    open) while the app's connection stays open: another program's commands then work beside it."""
    db = tmp_path / "portfolio.db"
    caio(db, "init", "--sample", "civilian-agency")
    with Portfolio.open(db, actor="app") as app:
        assert app.count() == 30
        use(db, tmp_path)
        caio(db, "list")
        assert db.with_name("portfolio.db-wal").exists()
        caio(db, "promote", "DCS-016")
        app.open_blocker("DCS-004", "debug-only-logging", note="after the other program")
        assert "DCS-016" in [e.pilot_id for e in app.history()]  # the app sees the other program's move
    assert caio(db, "verify", check=False).returncode == 0
    assert "stage.move" in events(db, "DCS-016")


# ---- 2. commands creating the same portfolio at once -----------------------------------------------------

TRIALS = 3
RIVALS = {"init": ("init", "--sample", "civilian-agency"), "generate": ("generate", "--pilots", "40")}


@pytest.mark.slow
@pytest.mark.parametrize("rival", sorted(RIVALS))
def test_commands_creating_the_same_portfolio_at_once_never_delete_it(tmp_path: Path, rival: str) -> None:
    """`init` races another `init` or a `generate` (the issue: 11 of 12 trials lost the file): whoever
    publishes first keeps a whole portfolio; the other says so in one line and removes nothing."""
    for trial in range(TRIALS):
        db = tmp_path / f"p{trial}.db"
        processes = [start(db, *RIVALS["init"]), start(db, *RIVALS[rival])]
        (init_code, _, init_err), (rival_code, _, rival_err) = [(p.wait(120), *p.communicate()) for p in processes]
        assert db.is_file(), (trial, init_err, rival_err)
        assert caio(db, "verify", check=False).returncode == 0
        assert events(db).count("portfolio.create") == 1
        assert sorted([init_code, rival_code]) == [0, 1], (init_err, rival_err)
        loser_err = rival_err if init_code == 0 else init_err
        assert len(loser_err.splitlines()) == 1 and str(db) in loser_err
        assert pilots(db) == (30 if init_code == 0 or rival == "init" else 40)
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(f".{db.name}.")] == []


FAILING_IMPORT = r"""
import sys, time
from pathlib import Path
from caio_tui.io import inventory
def failing(*args, **kwargs):
    Path(sys.argv[2], "importing").touch()  # its portfolio is being made: the others may go
    while not Path(sys.argv[2], "fail now").exists():
        time.sleep(0.01)
    raise inventory.TransferError("the file broke half-way")
inventory.import_file = failing
from caio_tui.cli import cli
cli(["--db", sys.argv[1], "import", sys.argv[3]])
"""


def test_an_import_that_fails_while_others_create_and_write_the_portfolio_removes_nothing_of_theirs(
    tmp_path: Path,
) -> None:
    """An import into a new portfolio that fails only after another program created the portfolio at that
    name and a third one added a pilot to it: both of those stay."""
    work, db = tmp_path / "work", tmp_path / "p.db"
    work.mkdir()
    source = tmp_path / "inventory.csv"
    source.write_bytes(INVENTORY.read_bytes())
    importer = subprocess.Popen(
        [sys.executable, "-c", FAILING_IMPORT, str(db), str(work), str(source)], stderr=subprocess.PIPE, text=True
    )
    try:
        while not (work / "importing").exists():
            assert importer.poll() is None, importer.stderr.read() if importer.stderr else ""
            time.sleep(0.01)
        created = caio(db, "init", "--sample", "small-agency", check=False)
        added = caio(db, "add", "--name", "added meanwhile").stdout.strip()
    finally:
        (work / "fail now").touch()
        try:
            importer.wait(timeout=60)
        except subprocess.TimeoutExpired:
            importer.kill()
            importer.wait()
    assert importer.returncode == 1
    assert added in [p["id"] for p in json.loads(caio(db, "list", "--json").stdout)]
    assert caio(db, "verify", check=False).returncode == 0
    assert created.returncode == 0, created.stderr  # nothing was at that name while the import was building


# ---- 5. --db names are file names, never SQLite URIs ------------------------------------------------------


@pytest.mark.parametrize("name", ["file:m.db?mode=memory", "file:n.db", "file:n.db#x"])
def test_a_db_name_that_looks_like_a_sqlite_uri_is_a_file_of_that_name(tmp_path: Path, name: str) -> None:
    caio(name, "init", cwd=tmp_path)
    added = caio(name, "add", "--name", "kept", cwd=tmp_path).stdout.strip()
    assert added in [p["id"] for p in json.loads(caio(name, "list", "--json", cwd=tmp_path).stdout)]
    assert [p.name for p in tmp_path.iterdir()] == [name]  # not m.db, n.db or memory
    assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


# ---- 6. smaller ones ----------------------------------------------------------------------------------------


def test_init_on_a_dangling_symbolic_link_keeps_the_link(tmp_path: Path) -> None:
    link = tmp_path / "p.db"
    link.symlink_to(tmp_path / "elsewhere" / "p.db")
    for command in (("init",), ("init", "--sample", "small-agency"), ("list",)):
        done = caio(link, *command, check=False)
        assert done.returncode == 1 and len(done.stderr.splitlines()) == 1, done.stderr
        assert "symbolic link" in done.stderr
    assert link.is_symlink() and not (tmp_path / "elsewhere").exists()


def test_every_folder_made_for_a_portfolio_is_private_whatever_the_umask(tmp_path: Path) -> None:
    db = tmp_path / "a" / "b" / "x.db"
    subprocess.run(["sh", "-c", 'umask 0 && exec "$0" --db "$1" init', str(CAIO_TUI), str(db)], check=True)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "a", tmp_path / "a" / "b", db)}
    assert modes == {"a": 0o700, "b": 0o700, "x.db": 0o600}


def test_export_to_dash_writes_to_standard_output(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    caio(db, "init", "--sample", "small-agency")
    written = caio(db, "export", "-o", "-", cwd=tmp_path).stdout
    assert json.loads(written)["pilots"]
    assert not (tmp_path / "-").exists()


def test_export_into_a_named_pipe_writes_through_it_and_keeps_it(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    caio(db, "init", "--sample", "small-agency")
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe, 0o600)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    done = caio(db, "export", "-o", pipe, "--force", check=False)
    reader.join(timeout=30)  # (a pipe replaced by a file would leave the reader waiting: a daemon thread)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    assert received and json.loads(received[0])["pilots"]


@pytest.mark.skipif(not os.path.islink("/dev/stdout"), reason="/dev/stdout is not a link to the process's output")
@pytest.mark.parametrize("into", ["a pipe", "a file"])
def test_export_to_dev_stdout_writes_the_output_and_keeps_the_device_link(tmp_path: Path, into: str) -> None:
    db = tmp_path / "p.db"
    caio(db, "init", "--sample", "small-agency")
    target = os.readlink("/dev/stdout")
    if into == "a pipe":
        written = caio(db, "export", "-o", "/dev/stdout", "--force").stdout
    else:
        out = tmp_path / "out.json"
        with out.open("wb") as handle:
            subprocess.run([str(CAIO_TUI), "--db", str(db), "export", "-o", "/dev/stdout", "--force"], stdout=handle)
        written = out.read_text(encoding="utf-8")
    assert json.loads(written)["pilots"]
    assert os.path.islink("/dev/stdout") and os.readlink("/dev/stdout") == target
    null = caio(db, "export", "-o", "/dev/null", "--force")
    assert null.returncode == 0 and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_export_never_replaces_the_portfolio_it_reads(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    caio(db, "init", "--sample", "small-agency")
    for target in (db, db.with_name("p.db-wal")):
        done = caio(db, "export", "-o", target, "--force", check=False)
        assert done.returncode == 1 and "in use" in done.stderr and len(done.stderr.splitlines()) == 1
    assert caio(db, "verify", check=False).returncode == 0 and pilots(db) > 0


DYING_EXPORT = r"""
import os, signal, sys
from caio_tui.io import inventory
def dying(portfolio, fmt, out, *rest):
    out.write(b'{"half": ')
    out.flush()
    os.kill(os.getpid(), signal.SIGKILL)
inventory.write_export = dying
from caio_tui.cli import cli
cli(["--db", sys.argv[1], "export", "-o", sys.argv[2]])
"""


def test_an_export_killed_mid_write_leaves_a_file_the_next_export_removes(tmp_path: Path) -> None:
    db, out = tmp_path / "p.db", tmp_path / "out.json"
    caio(db, "init", "--sample", "small-agency")
    killed = subprocess.run([sys.executable, "-c", DYING_EXPORT, str(db), str(out)], capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    assert not out.exists() and [p for p in tmp_path.iterdir() if p.name.startswith(".out.json.")]
    caio(db, "export", "-o", out)
    assert json.loads(out.read_bytes())["pilots"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "p.db"]


DYING_UPGRADE = r"""
import os, signal, sqlite3, sys
from pathlib import Path
from caio_tui.resources import migration_files
from caio_tui.store import Portfolio, database
shipped = migration_files()
database.migration_files = lambda: [*shipped, (shipped[-1][0] + 1, "next", "CREATE TABLE later (x INTEGER);")]
path = Path(sys.argv[1])
if sys.argv[2] == "die":  # SIGKILL as soon as the backup's file exists beside the portfolio, mid-copy
    ours = {path.name, path.name + "-wal", path.name + "-shm"}
    connect = sqlite3.connect
    def dying_connect(*args, **kwargs):
        conn = connect(*args, **kwargs)
        def check():
            if set(os.listdir(path.parent)) - ours:
                os.kill(os.getpid(), signal.SIGKILL)
            return 0
        conn.set_progress_handler(check, 50)
        return conn
    sqlite3.connect = dying_connect
Portfolio.open(path, actor="upgrader").close()
"""


def test_an_upgrade_killed_while_writing_its_backup_leaves_no_backup_that_looks_whole(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    caio(db, "init", "--sample", "small-agency")
    before = digest(db)
    killed = subprocess.run([sys.executable, "-c", DYING_UPGRADE, str(db), "die"], capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert list(tmp_path.glob("*.bak")) == []  # a backup's name only on a whole backup
    assert digest(db) == before
    subprocess.run([sys.executable, "-c", DYING_UPGRADE, str(db), "live"], check=True)
    (backup,) = tmp_path.glob("p.db.v*.bak")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["p.db", backup.name])  # the leftover is gone
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT count(*) FROM pilot").fetchone()[0] == 8


def test_diff_reads_a_portfolio_in_a_rollback_journal_without_changing_it(tmp_path: Path) -> None:
    old, new = tmp_path / "old.db", tmp_path / "new.db"
    caio(old, "init", "--sample", "small-agency")
    caio(new, "init", "--sample", "civilian-agency")
    conn = sqlite3.connect(old)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    before = digest(old)
    done = caio(new, "diff", old, new)
    assert "pilots added" in done.stdout
    assert digest(old) == before
    assert old.read_bytes()[18] == 1  # still a rollback journal's file format, not WAL's
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db", "old.db"]


def test_importing_the_open_portfolio_into_itself_is_refused_and_leaves_it_whole(tmp_path: Path) -> None:
    """The palette's import, pointed at the portfolio file itself: refused in one line, without reading the
    file outside SQLite (which would drop the app's locks)."""
    db = tmp_path / "portfolio.db"
    caio(db, "init", "--sample", "civilian-agency")
    with Portfolio.open(db, actor="app") as app:
        with pytest.raises(TransferError, match="is a portfolio file in use"):
            import_into(db, db, actor="tester")
        caio(db, "list")
        assert db.with_name("portfolio.db-wal").exists()
        caio(db, "promote", "DCS-016")
        app.open_blocker("DCS-004", "debug-only-logging", note="after the other program")
    assert caio(db, "verify", check=False).returncode == 0
    assert "stage.move" in events(db, "DCS-016")


DYING_INIT = r"""
import os, signal, sys
from caio_tui.io import samples
def dying(portfolio, name):
    os.kill(os.getpid(), signal.SIGKILL)  # the portfolio made, its sample not loaded yet
samples.load_sample = dying
from caio_tui.cli import cli
cli(["--db", sys.argv[1], "init", "--sample", "small-agency"])
"""


def test_an_init_killed_half_way_leaves_nothing_at_the_name_and_the_next_init_cleans_up(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    killed = subprocess.run([sys.executable, "-c", DYING_INIT, str(db)], capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    assert not db.exists()  # not a portfolio without its sample, which would block the next init
    caio(db, "init", "--sample", "small-agency")
    assert pilots(db) == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.db"]


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="no /dev/shm")
def test_a_regular_file_under_dev_is_replaced_as_any_other(tmp_path: Path) -> None:
    """Only names of open descriptors (/dev/stdout, /dev/fd/N, /proc/self/fd/N) are written in place."""
    db = tmp_path / "p.db"
    caio(db, "init", "--sample", "small-agency")
    target = Path("/dev/shm") / f"caio-tui-test-{os.getpid()}-{tmp_path.name}.json"
    target.write_text("old content, longer than nothing", encoding="utf-8")
    try:
        caio(db, "export", "-o", target, "--force")
        assert json.loads(target.read_bytes())["pilots"]
    finally:
        target.unlink(missing_ok=True)
