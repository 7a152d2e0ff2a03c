"""Several programs on one portfolio at once: every write lands, the chain verifies, nobody sees
"database is locked"; a lock held too long gives one clear line instead.

Real processes: writers that keep the portfolio open, writers that open it for every write, readers that
walk the chain while the others write, and `caio-tui add` run as commands, all for a few seconds."""

from __future__ import annotations

import csv
import itertools
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from caio_tui.cli import cli
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.territory import BlockerCategory
from caio_tui.store import Portfolio, PortfolioBusy, open_files
from helpers import NOW

CAIO_TUI = Path(sys.executable).parent / "caio-tui"
SECONDS = 2.5  # of writing, once every process is ready

# A writer: adds a pilot, sets one coverage item, opens a blocker, again and again; says each write that
# returned. `reopen` opens the portfolio afresh for every pilot (as one CLI command after another does).
WRITER = r"""
import json, sys, time
from pathlib import Path
from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.territory import BlockerCategory
from caio_tui.store import Portfolio

path, actor, go, seconds, reopen = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
def say(**kw): print(json.dumps(kw), flush=True)
say(ready=actor)
while not go.exists(): time.sleep(0.002)
end, n, portfolio = time.monotonic() + seconds, 0, None
try:
    while time.monotonic() < end:
        n += 1
        pid = f"{actor}-{n:04d}"
        if portfolio is None or reopen == "reopen":
            if portfolio is not None: portfolio.close()
            portfolio = Portfolio.open(path, actor=actor)
        portfolio.add_pilot(PilotFields(name=pid, office=actor), pilot_id=pid); say(w="pilot.create", id=pid)
        portfolio.set_coverage(pid, "access.roles", CoverageStatus.MET, evidence="seen"); say(w="coverage.set", id=pid)
        portfolio.open_blocker(pid, "skills-gap", note=actor); say(w="blocker.open", id=pid)
except BaseException as exc:
    say(error=f"{type(exc).__name__}: {exc}")
    raise SystemExit(1)
"""

# A reader: walks the whole chain and counts pilots while the writers write; every walk must hold.
READER = r"""
import json, sys, time
from pathlib import Path
from caio_tui.store import Portfolio

path, go, seconds = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
def say(**kw): print(json.dumps(kw), flush=True)
say(ready="reader")
while not go.exists(): time.sleep(0.002)
end = time.monotonic() + seconds
try:
    with Portfolio.open(path, actor="reader") as portfolio:
        while time.monotonic() < end:
            checked, broken = portfolio.verify_chain()
            say(read=checked, broken=None if broken is None else broken.reason, pilots=portfolio.count())
except BaseException as exc:
    say(error=f"{type(exc).__name__}: {exc}")
    raise SystemExit(1)
"""


def start(script: str, *args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def said(lines: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines.splitlines() if line.startswith("{")]


class CliWriter(threading.Thread):
    """`caio-tui add` as separate commands, one after another, until told to stop."""

    def __init__(self, db: Path, actor: str, stop: threading.Event) -> None:
        super().__init__()
        self.db, self.actor, self.stop = db, actor, stop
        self.added: list[str] = []
        self.failures: list[str] = []

    def run(self) -> None:
        env = {**os.environ, "CAIO_TUI_ACTOR": self.actor}
        while not self.stop.is_set():
            done = subprocess.run(
                [str(CAIO_TUI), "--db", str(self.db), "add", "--name", f"{self.actor} pilot", "--office", self.actor],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
                check=False,
            )
            if done.returncode != 0 or done.stderr:
                self.failures.append(done.stderr.strip() or f"exit {done.returncode}")
            else:
                self.added.append(done.stdout.strip())


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "shared.db"
    with Portfolio.open(path, actor="setup", create=True):
        pass
    yield path


def test_writers_in_parallel_processes_lose_nothing_and_the_chain_verifies(shared: Path, tmp_path: Path) -> None:
    go = tmp_path / "go"
    writers = {f"keep{i}": start(WRITER, shared, f"keep{i}", go, SECONDS, "keep") for i in range(3)}
    writers |= {f"reopen{i}": start(WRITER, shared, f"reopen{i}", go, SECONDS, "reopen") for i in range(2)}
    readers = [start(READER, shared, go, SECONDS) for _ in range(2)]
    for process in [*writers.values(), *readers]:
        assert process.stdout is not None
        assert "ready" in process.stdout.readline()
    stop = threading.Event()
    commands = [CliWriter(shared, f"cli{i}", stop) for i in range(2)]
    go.touch()
    for thread in commands:
        thread.start()
    outputs = {actor: process.communicate(timeout=60) for actor, process in writers.items()}
    reads = [process.communicate(timeout=60) for process in readers]
    stop.set()
    for thread in commands:
        thread.join(timeout=60)

    for actor, (out, err) in outputs.items():
        assert writers[actor].returncode == 0, (actor, out[-500:], err[-2000:])
        assert not [r for r in said(out) if "error" in r]
    for thread in commands:
        assert thread.failures == [], thread.failures  # never "database is locked", never any error
    walks = [r for out, _ in reads for r in said(out) if "read" in r]
    assert walks and all(r["broken"] is None for r in walks)  # every reader saw an intact chain, always

    writes = {actor: [(r["w"], r["id"]) for r in said(out) if "w" in r] for actor, (out, _) in outputs.items()}
    writes |= {t.actor: [("pilot.create", pid) for pid in t.added] for t in commands}
    with Portfolio.open(shared, actor="checker", clock=lambda: NOW) as portfolio:
        for actor, done in writes.items():
            recorded = [(e.action, e.pilot_id) for e in portfolio.history() if e.actor == actor]
            assert recorded == done, actor  # every returned write is in the trail, in order, and nothing else
            for action, pid in done:
                assert pid is not None
                record = portfolio.record(pid)
                if action == "coverage.set":
                    assert record.coverage["access.roles"].status.value == "met"
                if action == "blocker.open":
                    assert [b.tag for b in record.blockers if b.resolved_at is None] == ["skills-gap"]
        total = sum(len(done) for done in writes.values())
        assert portfolio.count() == sum(1 for done in writes.values() for w in done if w[0] == "pilot.create")
        assert portfolio.verify_chain() == (total + 1, None)
        assert portfolio.integrity_problems() == []
        actors = [e.actor for e in portfolio.history()[1:]]
    switches = sum(1 for a, b in itertools.pairwise(actors) if a != b)
    per_actor = Counter(actors)
    assert len(per_actor) == len(writes) and min(per_actor.values()) >= 1
    assert switches >= len(writes)  # the writers really did write at the same time, interleaved
    print(
        f"\nconcurrency: {len(writes)} writers ({len(writers)} processes + {len(commands)} CLI loops), "
        f"{len(readers)} readers, {total} writes in {SECONDS:.1f} s, {switches} interleavings, "
        f"{len(walks)} chain walks while writing, 0 lost, 0 errors"
    )


# ---- a lock held longer than the busy timeout -------------------------------------------------------------

# Holds the write lock until its stdin closes. "exclusive" first leaves WAL for a rollback journal, as a bulk
# load (`caio-tui generate`) does, so even readers must wait.
HOLDER = r"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive":
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("BEGIN EXCLUSIVE")
else:
    conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO meta VALUES ('holder', 'x')")
print("held", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
if sys.argv[2] == "exclusive":
    conn.execute("PRAGMA journal_mode = WAL")
"""


def hold(db: Path, kind: str) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), kind], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    holder.stdin.close()
    assert holder.wait(timeout=30) == 0


def one_line_error(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("caio-tui: error: ") and message in lines[0], result.stderr


@pytest.mark.parametrize("kind", ["immediate", "exclusive"])
def test_a_lock_held_past_the_busy_timeout_is_one_clear_line(
    shared: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setattr(open_files, "BUSY_TIMEOUT_MS", 300)
    holder = hold(shared, kind)
    try:
        one_line_error(["--db", str(shared), "add", "--name", "x"], "another program is writing to the portfolio")
        if kind == "exclusive":  # with the whole file locked, even opening it waits, then says the same
            one_line_error(["--db", str(shared), "list"], "another program is writing to the portfolio; try again")
    finally:
        release(holder)
    assert CliRunner().invoke(cli, ["--db", str(shared), "add", "--name", "x"]).exit_code == 0


def test_a_write_waits_for_a_short_lock_instead_of_failing(shared: Path) -> None:
    holder = hold(shared, "immediate")
    threading.Timer(0.5, release, args=(holder,)).start()
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["--db", str(shared), "add", "--name", "patient"])
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started >= 0.4  # it did wait for the holder, rather than slip past it
    with Portfolio.open(shared, actor="checker") as portfolio:
        assert [p.name for p in portfolio.pilots()] == ["patient"]


# ---- SQLITE_BUSY that SQLite's own busy handler does not wait for ------------------------------------------


class Flaky:
    """A connection whose statements starting with `prefix` fail as busy the first `times` times, the way
    BEGIN fails at once while another process recovers or resets the WAL."""

    def __init__(self, conn: sqlite3.Connection, prefix: str, times: int) -> None:
        self._conn, self._prefix, self.left = conn, prefix, times

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql.startswith(self._prefix) and self.left:
            self.left -= 1
            raise sqlite3.OperationalError("database is locked")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@pytest.mark.parametrize("statement", ["BEGIN IMMEDIATE", "COMMIT"])
def test_a_busy_begin_or_commit_is_tried_again_within_the_timeout(portfolio: Portfolio, statement: str) -> None:
    flaky = Flaky(portfolio.conn, statement, times=3)
    portfolio.conn = flaky  # type: ignore[assignment]
    portfolio.add_pilot(PilotFields(name="lands"))
    assert flaky.left == 0
    assert [p.name for p in portfolio.pilots()] == ["lands"]
    assert portfolio.verify_chain()[1] is None


def test_busy_past_the_timeout_is_portfolio_busy_and_nothing_is_written(
    portfolio: Portfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(open_files, "BUSY_TIMEOUT_MS", 100)
    events = portfolio.verify_chain()[0]
    portfolio.conn = Flaky(portfolio.conn, "COMMIT", times=10_000)  # type: ignore[assignment]
    with pytest.raises(PortfolioBusy, match=r"another program is writing to the portfolio; try again$"):
        portfolio.add_pilot(PilotFields(name="never"))
    assert portfolio.count() == 0
    assert portfolio.verify_chain() == (events, None)


# ---- how long a write holds the lock ------------------------------------------------------------------------

# A command's first write, as `caio-tui tag` makes it in a fresh process: says which modules were imported
# while it held the write lock (between BEGIN IMMEDIATE and COMMIT).
FIRST_WRITE = r"""
import json, sys
from pathlib import Path
from caio_tui.store import Portfolio

class Watched:
    def __init__(self, conn): self._conn, self.began, self.imported = conn, None, None
    def execute(self, sql, *args):
        if sql.startswith("BEGIN IMMEDIATE"): self.began = set(sys.modules)
        done = self._conn.execute(sql, *args)
        if sql.startswith("COMMIT"): self.imported = sorted(set(sys.modules) - self.began)
        return done
    def __getattr__(self, name): return getattr(self._conn, name)

portfolio = Portfolio.open(Path(sys.argv[1]), actor="cli")
portfolio.conn = watched = Watched(portfolio.conn)
portfolio.open_blocker("DCS-001", "skills-gap")
print(json.dumps(watched.imported))
"""


def test_a_commands_first_write_imports_nothing_while_it_holds_the_write_lock(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    assert command(db, "setup", "init", "--sample", "civilian-agency").returncode == 0
    done = subprocess.run([sys.executable, "-c", FIRST_WRITE, str(db)], capture_output=True, text=True, check=True)
    # The models and sqlite-utils took ~0.4 s to import inside the lock: every other program's write
    # queued behind about 1 ms of SQL, then waited in SQLite's 100 ms steps, up to the busy timeout.
    assert json.loads(done.stdout) == []


# ---- several programs creating or upgrading the same file at once ------------------------------------------

CREATOR = r"""
import sys, time
from pathlib import Path
from caio_tui.store import Portfolio, StoreError
go = Path(sys.argv[2])
print("ready", flush=True)
while not go.exists(): time.sleep(0.001)
try:
    with Portfolio.open(Path(sys.argv[1]), actor=sys.argv[3], create=True) as p:
        print("ok", p.count())
except StoreError as exc:
    print("error", exc)
"""


def test_programs_creating_one_portfolio_at_once_never_see_a_half_made_file(tmp_path: Path) -> None:
    path, go = tmp_path / "new.db", tmp_path / "go"
    creators = [start(CREATOR, path, go, f"c{i}") for i in range(4)]
    for process in creators:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    go.touch()
    answers = [process.communicate(timeout=60)[0].strip() for process in creators]
    assert all(process.returncode == 0 for process in creators)  # no traceback, whatever happened
    # Never "the file is empty" or "not a caio-tui portfolio": the file appears whole, schema and all,
    # and seeding happens once (Portfolio._seed re-checks inside its transaction).
    assert answers == ["ok 0"] * 4
    with Portfolio.open(path, actor="checker") as portfolio:
        assert [e.action for e in portfolio.history()] == ["portfolio.create"]
        assert portfolio.verify_chain() == (1, None)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("new.db-")) == ["go", "new.db"]


# ---- the target: 8 writers, the app refreshing, a 20,000-pilot import, all on one file ---------------------

WRITES = 50  # per writer process
IMPORTED = 20_000

# A writer: opens and resolves its own blocker on its own pilot, WRITES times in all; says each write that
# returned and how long it took. `reopen` opens the portfolio afresh for every write (as commands do: each
# close may be the last connection, which checkpoints and removes the WAL).
PAIR_WRITER = r"""
import json, sys, time
from pathlib import Path
from caio_tui.store import Portfolio

path, actor, pilot, tag, go, writes, reopen = sys.argv[1:8]
path, go, writes = Path(path), Path(go), int(writes)
def say(**kw): print(json.dumps(kw), flush=True)
say(ready=actor)
while not go.exists(): time.sleep(0.002)
portfolio = None
try:
    for n in range(writes):
        if portfolio is None or reopen == "reopen":
            if portfolio is not None: portfolio.close()
            portfolio = Portfolio.open(path, actor=actor)
        started = time.monotonic()
        if n % 2 == 0:
            portfolio.open_blocker(pilot, tag); say(w="blocker.open", id=pilot, s=time.monotonic() - started)
        else:
            portfolio.resolve_blocker(pilot, tag); say(w="blocker.resolve", id=pilot, s=time.monotonic() - started)
    portfolio.close()
except BaseException as exc:
    say(error=f"{type(exc).__name__}: {exc}")
    raise SystemExit(1)
"""

# The app, open and refreshing as its change watch does: look at data_version often; when another program
# committed, read the first page of the table, the count, the stage totals, and walk the chain (the banner).
APP_READER = r"""
import json, sys, time
from pathlib import Path
from caio_tui.store import Portfolio

path, stop = Path(sys.argv[1]), Path(sys.argv[2])
def say(**kw): print(json.dumps(kw), flush=True)
try:
    with Portfolio.open(path, actor="app") as portfolio:
        say(ready="app")
        seen = None
        while True:
            last = stop.exists()
            version = portfolio.data_version()
            if version != seen or last:
                seen = version
                rows = portfolio.table_page(limit=40)
                checked, broken = portfolio.verify_chain()
                say(pilots=portfolio.count(), rows=len(rows), stages=sum(portfolio.stage_counts().values()),
                    events=checked, broken=None if broken is None else broken.reason)
            if last:
                break
            time.sleep(0.05)
except BaseException as exc:
    say(error=f"{type(exc).__name__}: {exc}")
    raise SystemExit(1)
"""


def inventory_csv(path: Path, count: int) -> None:
    """An OMB 2025 inventory of `count` new use cases (no id the sample portfolio has)."""
    from caio_tui.io.omb import COLUMNS_2025

    stages = ("Pre-deployment", "Pilot", "Deployed")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS_2025, lineterminator="\r\n", restval="")
        writer.writeheader()
        for n in range(count):
            writer.writerow(
                {
                    "agency": "DCS",
                    "agency_name": "Department of Civilian Services",
                    "id": f"INV-{n:05d}",
                    "use_case_name": f"Inventory use case {n}",
                    "agency_bureau": f"Bureau {n % 40}",
                    "development_stage": stages[n % 3],
                    "is_high_impact": "Not High-impact",
                    "contact_email": f"owner{n % 50}@dcs.example.gov",
                }
            )


def command(db: Path, actor: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CAIO_TUI_ACTOR": actor}
    return subprocess.run(
        [str(CAIO_TUI), "--db", str(db), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


class CliTagger(threading.Thread):
    """`caio-tui tag` and `caio-tui untag` on its own pilot and tag, as separate commands, until told to stop
    (and at least `least` of them)."""

    def __init__(self, db: Path, actor: str, pilot: str, tag: str, stop: threading.Event, least: int) -> None:
        super().__init__()
        self.db, self.actor, self.pilot, self.tag, self.stop, self.least = db, actor, pilot, tag, stop, least
        self.done: list[tuple[str, str]] = []
        self.failures: list[str] = []

    def run(self) -> None:
        while len(self.done) < self.least or not self.stop.is_set():
            opening = len(self.done) % 2 == 0
            result = command(self.db, self.actor, "tag" if opening else "untag", self.pilot, self.tag)
            if result.returncode != 0 or result.stderr:
                self.failures.append(result.stderr.strip() or f"exit {result.returncode}")
                return
            self.done.append(("blocker.open" if opening else "blocker.resolve", self.pilot))


def wait_for_the_write_lock_taken(db: Path, holder: subprocess.Popen[str]) -> None:
    """Until another program holds the portfolio's write lock (a probe that does not wait finds it busy
    twice in a row), so the writers start while the import's transaction is open."""
    probe = sqlite3.connect(db, timeout=0, isolation_level=None)
    busy = 0
    try:
        while holder.poll() is None and busy < 2:
            try:
                probe.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                busy += 1
            else:
                probe.execute("ROLLBACK")
                busy = 0
            time.sleep(0.01)
    finally:
        probe.close()
    assert busy == 2, "the import ended before it was seen holding the write lock"


@pytest.mark.slow
def test_eight_writers_the_app_and_a_20k_import_share_one_portfolio(tmp_path: Path) -> None:
    db, go, stop, inventory = tmp_path / "shared.db", tmp_path / "go", tmp_path / "stop", tmp_path / "inventory.csv"
    assert command(db, "setup", "init", "--sample", "civilian-agency").returncode == 0
    pilots = [f"DCS-{n:03d}" for n in range(1, 11)]
    with Portfolio.open(db, actor="setup") as portfolio:
        for n in range(10):
            portfolio.create_tag(f"mytag{n}", BlockerCategory.GOVERNANCE)
        events_before = portfolio.verify_chain()[0]
    inventory_csv(inventory, IMPORTED)

    app = start(APP_READER, db, stop)
    writers = {
        f"w{n}": start(PAIR_WRITER, db, f"w{n}", pilots[n], f"mytag{n}", go, WRITES, "reopen" if n % 2 else "keep")
        for n in range(8)
    }
    for process in [app, *writers.values()]:
        assert process.stdout is not None and "ready" in process.stdout.readline()
    importer = subprocess.Popen(
        [str(CAIO_TUI), "--db", str(db), "import", str(inventory)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CAIO_TUI_ACTOR": "importer"},
    )
    wait_for_the_write_lock_taken(db, importer)
    done = threading.Event()
    taggers = [CliTagger(db, f"cli{n}", pilots[8 + n], f"mytag{8 + n}", done, least=4) for n in range(2)]
    go.touch()
    for tagger in taggers:
        tagger.start()
    outputs = {actor: process.communicate(timeout=120) for actor, process in writers.items()}
    imported = importer.communicate(timeout=120)
    done.set()
    for tagger in taggers:
        tagger.join(timeout=120)
    stop.touch()
    seen, _ = app.communicate(timeout=120)

    for actor, (out, err) in outputs.items():  # 0 failed writes
        assert writers[actor].returncode == 0, (actor, [r for r in said(out) if "error" in r], err[-2000:])
    for tagger in taggers:
        assert tagger.failures == [], tagger.failures
    assert importer.returncode == 0 and imported[1] == "", imported
    assert f"{IMPORTED} added" in imported[0]
    looks = said(seen)
    assert app.returncode == 0 and not [r for r in looks if "error" in r], looks[-3:]
    # Every refresh saw an intact chain and a whole state: a full page, and totals that agree.
    assert [r for r in looks if r["broken"] or r["rows"] != min(40, r["pilots"]) or r["stages"] != r["pilots"]] == []
    assert looks[-1]["pilots"] == looks[-1]["stages"] == 30 + IMPORTED

    writes = {actor: [(r["w"], r["id"]) for r in said(out) if "w" in r] for actor, (out, _) in outputs.items()}
    writes |= {tagger.actor: tagger.done for tagger in taggers}
    assert all(len(writes[actor]) == WRITES for actor in writers)
    assert command(db, "checker", "verify").returncode == 0
    with Portfolio.open(db, actor="checker") as portfolio:
        history = portfolio.history()
        for actor, done_writes in writes.items():  # every write in the chain, in order, and nothing else
            assert [(e.action, e.pilot_id) for e in history if e.actor == actor] == done_writes, actor
        assert [e.action for e in history if e.actor == "importer"] == ["import"]
        total = events_before + sum(len(w) for w in writes.values()) + 1
        assert portfolio.verify_chain() == (total, None)
    waits = [r["s"] for out, _ in outputs.values() for r in said(out) if "s" in r]
    print(
        f"\ntarget: {len(writers)} writers x {WRITES} + {sum(len(t.done) for t in taggers)} CLI writes beside a "
        f"{IMPORTED:,}-pilot import and {len(looks)} app refreshes; longest write {max(waits):.2f} s, 0 failed"
    )
