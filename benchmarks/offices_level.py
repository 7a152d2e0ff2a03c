"""Offices at scale (issue 18): a 100,000-pilot portfolio of 20 offices of 5,000 pilots each; each office
is sent its pilots, opens the send, changes every one of them (some owners the CAIO changes too: conflicts;
some coverage; a few stage moves: requests), and bundles its changes; then the CAIO merges all 20 bundles,
in a process of its own (its time, and its peak memory, which must stay bounded: a bundle is streamed and
merged a few hundred pilots at a time; the verifier, a second process, reads and verifies them ahead).

Issue 18's target: the 20 merges in under 30 s. Run alone with `python benchmarks/run.py --only offices`
(the setup, not timed, takes minutes: 20 sends, 20 office portfolios, 100,000 office writes; it is kept in
benchmarks/.cache, so a later run times the merges only).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import DEFAULT_CACHE, ROOT, Measure, Results, Stats, _source_digest

OFFICES = 20
PER_OFFICE = 5_000
CHANGED = PER_OFFICE  # pilots each office changes (all of them): owners, coverage, a few stage moves
CONFLICTS = 5  # of those, owners the CAIO changes too
MOVES = 10  # of those, stage moves (each a request)
SIZE = "100k"
MERGE_TARGET = 30.0
MEMORY_TARGET = 300e6


def measures() -> list[Measure]:
    return [
        Measure("offices.merge", "offices: merge 20 bundles, each carrying 5,000 pilots", "time", {SIZE: MERGE_TARGET}),
        Measure("offices.memory", "offices: peak memory of those 20 merges", "memory", {SIZE: MEMORY_TARGET}),
        Measure("offices.send", "offices: send one office its 5,000 pilots", "time", {SIZE: None}),
        Measure("offices.bundle", "offices: bundle one office's changes", "time", {SIZE: None}),
    ]  # fmt: skip


def office_name(number: int) -> str:
    return f"Office {number:02d}"


def build_caio(path: Path) -> None:
    """100,000 generated pilots, 5,000 in each of 20 offices."""
    from caio_tui.io.generate import Generator
    from caio_tui.store import Portfolio
    from caio_tui.store.bulk import bulk_add

    with Portfolio.open(path, actor="caio", create=True, name="offices benchmark") as portfolio:
        generator = Generator(7, portfolio.clock(), portfolio.catalog())
        pilots = (
            p._replace(office=office_name(index % OFFICES + 1))
            for index, p in enumerate(generator.pilots(OFFICES * PER_OFFICE))
        )
        bulk_add(
            portfolio, pilots, action="generate", details={"summary": "offices benchmark"}, source="bench", by="bench"
        )


def work_of_an_office(office: Path, caio: Path, number: int) -> None:
    """The office changes every one of its pilots (owners, coverage, a few stage moves), in one transaction
    with an audit event per write, as the app's writes record them (so each pilot is named by the office's
    chain); the CAIO changes CONFLICTS of the same owners."""
    from caio_tui.domain.coverage import CoverageStatus
    from caio_tui.store import Portfolio, writes

    with Portfolio.open(office, actor=f"lead-{number}") as own, own.session.transaction():
        ids = [p.id for p in own.pilots()][:CHANGED]
        for index, pilot_id in enumerate(ids):
            if index < MOVES and _moved(own, pilot_id):
                continue
            if index % 3 == 0:
                before, row = writes.put_coverage(
                    own,
                    pilot_id,
                    "audit.activity",
                    CoverageStatus.PARTIAL,
                    evidence=f"log review {index}",
                    justification=None,
                )
                own.append_event("coverage.set", pilot_id, before, row)
            else:
                edited = writes.change_fields(own, pilot_id, {"owner": f"Owner {number}-{index}"})
                own.append_event("pilot.edit", pilot_id, *edited)
    with Portfolio.open(caio, actor="caio") as theirs:
        for pilot_id in [i for n, i in enumerate(ids) if n >= MOVES and n % 3][:CONFLICTS]:
            theirs.edit_pilot(pilot_id, owner="Changed by the CAIO")


def _moved(own: Any, pilot_id: str) -> bool:
    """A stage move of the office's (a request at the merge), inside the office's transaction."""
    from caio_tui.domain.stages import Stage
    from caio_tui.store import writes
    from caio_tui.store.errors import GateRefused

    following = own.get(pilot_id).stage.next()
    if following is None or following is Stage.RETIRED:
        return False
    try:
        _, before, after = writes.pass_gate(own, pilot_id, following, override="the office moved it in the benchmark")
    except GateRefused:
        return False
    own.append_event("stage.move", pilot_id, before, after)
    return True


# The child merges every bundle in one call, as `caio-tui merge FILE...` does (the bundles verified by a
# second process ahead of the merge), and prints the counts and its CPU seconds and the verifier's.
CHILD = (
    "import resource, sys; from pathlib import Path; from caio_tui.store import Portfolio; "
    "from caio_tui.io.offices import merge_files; "
    "totals = [0, 0, 0, 0]\n"
    "with Portfolio.open(Path(sys.argv[1]), actor='caio') as p:\n"
    "    paths = [Path(f) for f in sys.argv[2:]]\n"
    "    for o in merge_files(p, paths, sources=sys.argv[2:]):\n"
    "        totals = [a + b for a, b in zip(totals, (o.changes, o.conflicts, o.requests, o.added))]\n"
    "u, c = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))\n"
    "print(f'{totals[0]} changes, {totals[1]} conflicts, {totals[2]} requests, {totals[3]} added, "
    "{u.ru_utime + u.ru_stime:.1f} s of CPU, {c.ru_utime + c.ru_stime:.1f} s verifying')"
)


def merge_in_child(caio: Path, bundles: list[Path]) -> tuple[float, int, str]:
    """(seconds, peak RSS in bytes, the child's output): VmHWM read every 20 ms while it runs, the child's
    and its verifier's (their peaks added: at most what they held at once)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(caio), *map(str, bundles)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peaks: dict[int, int] = {}  # each process's VmHWM, the child's and its verifier's
    while process.poll() is None:
        for pid in [process.pid, *_children(process.pid)]:
            peaks[pid] = max(peaks.get(pid, 0), _peak_rss(pid))
        time.sleep(0.02)
    peak = sum(peaks.values())
    seconds = time.perf_counter() - started
    out, err = process.communicate()
    return seconds, peak, (out.strip() if process.returncode == 0 else err.strip()[-300:])


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def _peak_rss(pid: int) -> int:
    with contextlib.suppress(OSError):
        found = re.search(r"^VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
        if found:
            return int(found.group(1)) * 1024
    return 0


def _setup_digest() -> str:
    """Changes when what builds the setup changes (the generator, the schema, the office files' code; not
    the merge's own modules, which the timed part runs)."""
    import hashlib

    digest = hashlib.sha256(_source_digest().encode())
    code = ROOT / "src" / "caio_tui"
    merging = {"office_apply.py", "office_seal.py", "office_decisions.py", "office_queue.py"}
    merging |= {"merge.py", "verify.py", "verifier.py"}  # io/offices: a bundle verified and merged
    offices = [*(code / "io" / "offices").glob("*.py"), *(code / "store").glob("office*.py")]
    for path in sorted(p for p in offices if p.name not in merging):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def setup(folder: Path, log: Callable[[str], None]) -> tuple[list[float], list[float]]:
    """The CAIO's portfolio before the merges and the 20 bundles, in `folder`; (send, bundle) seconds."""
    from caio_tui.io.offices import open_send_file, write_bundle, write_send
    from caio_tui.store import Portfolio

    caio = folder / "caio.db"
    started = time.perf_counter()
    build_caio(caio)
    log(f"  built {OFFICES * PER_OFFICE:,} pilots in {OFFICES} offices in {time.perf_counter() - started:.0f} s")
    sends: list[float] = []
    bundles: list[float] = []
    started = time.perf_counter()
    for number in range(1, OFFICES + 1):
        sent, office = folder / f"send-{number}.json", folder / f"office-{number}.db"
        with Portfolio.open(caio, actor="caio") as portfolio, sent.open("wb") as out:
            began = time.perf_counter()
            write_send(portfolio, office_name(number), out)
            sends.append(time.perf_counter() - began)
        with Portfolio.open(office, actor=f"lead-{number}", create=True) as own:
            open_send_file(own, sent, source=sent.name)
        work_of_an_office(office, caio, number)
        with (
            Portfolio.open(office, actor=f"lead-{number}") as own,
            (folder / f"bundle-{number}.json").open("wb") as out,
        ):
            began = time.perf_counter()
            write_bundle(own, out)
            bundles.append(time.perf_counter() - began)
        sent.unlink()
        office.unlink()
    log(f"  sent, opened, changed and bundled {OFFICES} offices in {time.perf_counter() - started:.0f} s")
    with Portfolio.open(caio, actor="caio") as portfolio:
        portfolio.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    caio.rename(folder / "caio-before-merges.db")
    (folder / "timings.json").write_text(json.dumps({"send": sends, "bundle": bundles}))
    return sends, bundles


def run(results: Results, *, times: int, log: Callable[[str], None], cache: Path = DEFAULT_CACHE) -> None:
    """Set up once (kept in the cache: minutes of office work), then time the 20 merges `times` times."""
    by_key = {m.key: m for m in measures()}
    folder = cache / f"offices-{OFFICES}x{PER_OFFICE}-{_setup_digest()}"
    if (folder / "timings.json").exists():
        timings = json.loads((folder / "timings.json").read_text())
        sends, bundles_timed = timings["send"], timings["bundle"]
        log(f"  the offices' setup from {folder.name}")
    else:
        for stale in cache.glob(f"offices-{OFFICES}x{PER_OFFICE}-*"):
            shutil.rmtree(stale)
        folder.mkdir(parents=True)
        sends, bundles_timed = setup(folder, log)
    bundles = [folder / f"bundle-{number}.json" for number in range(1, OFFICES + 1)]
    samples, peak, said = [], 0, ""
    with tempfile.TemporaryDirectory(prefix="caio-bench-offices-") as name:
        caio = Path(name) / "caio.db"
        for _ in range(times):
            shutil.copy(folder / "caio-before-merges.db", caio)
            seconds, rss, said = merge_in_child(caio, bundles)
            samples.append(seconds)
            peak = max(peak, rss)
            log(f"  merged {OFFICES} bundles in {seconds:.1f} s, peak {rss / 1e6:.0f} MB ({said})")
            for extra in (caio.with_name("caio.db-wal"), caio.with_name("caio.db-shm")):
                extra.unlink(missing_ok=True)
    results.add(SIZE, by_key["offices.merge"], Stats(samples))
    results.add(SIZE, by_key["offices.memory"], Stats([float(peak)]))
    results.add(SIZE, by_key["offices.send"], Stats(sends))
    results.add(SIZE, by_key["offices.bundle"], Stats(bundles_timed))
    size_mb = sum(b.stat().st_size for b in bundles) / 1e6
    results.note(SIZE, f"offices: {OFFICES} bundles, {size_mb:.0f} MB in all; {said}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    found = Results(sizes=[SIZE])
    run(found, times=1, log=print)
    for key, stats in found.figures[SIZE].items():
        print(key, stats.as_json())
