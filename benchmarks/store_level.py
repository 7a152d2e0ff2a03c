"""Store-level measures: what the app asks the Portfolio for on each key, timed without the UI.

Each filter is timed as the table runs it: the count and the first page of 100 rows. Targets are the
in-app targets of the action the query serves (issue 8): the query is part of that budget, so it must
fit in it with room for the frame.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import Generated, Measure, Results, Stats, bench_env, repeat, size_label

PAGE = 100


def _ms(value: float) -> float:
    return value / 1000


FILTER_TARGET = {"100k": _ms(50), "1M": _ms(250)}
SORT_TARGET = {"100k": _ms(50), "1M": _ms(100)}
PAGE_TARGET = {"100k": _ms(30), "1M": _ms(30)}
DETAIL_TARGET = {"100k": _ms(50), "1M": _ms(250)}

FILTERS: list[tuple[str, str, str]] = [
    # key, label, filter text ({mid} is the id of a pilot halfway down)
    ("filter.none", "count + first page, no filter", ""),
    ("filter.text_common", "filter: a common word (FTS)", "benefits"),
    ("filter.text_two", "filter: two words (FTS)", "fraud triage"),
    ("filter.text_rare", "filter: one pilot's id (FTS)", "{mid}"),
    ("filter.stage", "filter: stage:pilot", "stage:pilot"),
    ("filter.blocker", "filter: blocker:shared-service-account", "blocker:shared-service-account"),
    ("filter.territory", "filter: territory:infrastructure", "territory:infrastructure"),
    ("filter.office", 'filter: office:"Human Capital" (LIKE)', 'office:"Human Capital"'),
    ("filter.stalled", "filter: stalled", "stalled"),
    ("filter.high_impact", "filter: high-impact", "high-impact"),
    ("filter.combined", "filter: three tokens", "stage:readiness stalled blocker:no-ato-pathway"),
]


def measures() -> list[Measure]:
    """Every store-level measure, in report order."""
    from caio_tui.store.queries import SortKey

    found = [
        Measure("generate", "generate the portfolio (`caio-tui generate`)", "time", {"100k": 10.0, "1M": 120.0}),
        *(Measure(key, label, "time", FILTER_TARGET, floor="frame") for key, label, _ in FILTERS),
        *(
            Measure(f"sort.{k.value}", f"sort by {k.value}: first page", "time", SORT_TARGET, floor="frame")
            for k in SortKey
            if k is not SortKey.ID
        ),
        Measure("sort.filtered", "sort by days within stage:pilot: first page", "time", SORT_TARGET, floor="frame"),
        Measure("page.next", "the page after one shown, 1/3 down (keyset)", "time", PAGE_TARGET, floor="frame"),
        Measure("page.last", "the last page, read from the end (id order)", "time", PAGE_TARGET, floor="frame"),
        Measure("page.last_sorted", "the last page, from the end (by readiness)", "time", PAGE_TARGET, floor="frame"),
        Measure("page.jump", "a page halfway down by OFFSET (a long jump)", "time", PAGE_TARGET, floor="frame"),
        Measure("position", "position() of a pilot near the end (readiness order)", "time", SORT_TARGET, floor="frame"),
        Measure("position.filtered", "position() within stage:pilot (days order)", "time", SORT_TARGET, floor="frame"),
        Measure("record", "open a pilot record (record())", "time", DETAIL_TARGET, floor="frame"),
        Measure("check_gate", "check_gate() of a pilot", "time", DETAIL_TARGET, floor="frame"),
        Measure("stage_counts", "stage counts for the board", "time", DETAIL_TARGET, floor="frame"),
        Measure("export.snapshot", "export a snapshot (whole command)", "time", {"100k": 10.0, "1M": None}),
        Measure("export.html", "export the HTML briefing (whole command)", "time", {"100k": 5.0, "1M": None}),
        Measure("import.snapshot", "import that snapshot into a new file", "time", {"100k": 15.0, "1M": None}),
        Measure("verify", "verify: integrity, chain and every row (whole command)", "time", {"100k": 10.0, "1M": None}),
    ]  # fmt: skip
    return found


def run(generated: Generated, results: Results, *, times: int, exports: bool, log: Callable[[str], None]) -> None:
    """Every store-level measure on one generated portfolio."""
    from caio_tui.domain.filters import parse_filter
    from caio_tui.store import Portfolio
    from caio_tui.store.queries import SortKey

    size = size_label(generated.size)
    by_key = {m.key: m for m in measures()}
    results.add(size, by_key["generate"], Stats([generated.seconds]))
    with Portfolio.open(generated.path, actor="bench") as portfolio:
        total = portfolio.count()
        mid = portfolio.page(offset=total // 2, limit=1)[0].id
        late = portfolio.page(offset=total - total // 20, limit=1)[0].id

        def table(filter_text: str, sort: SortKey = SortKey.ID) -> Callable[[], Any]:
            pilot_filter = parse_filter(filter_text)

            def action() -> None:
                portfolio.count(pilot_filter)
                portfolio.table_page(pilot_filter, sort=sort, limit=PAGE)

            return action

        def timed(key: str, action: Callable[[], Any]) -> None:
            stats = repeat(action, times)
            results.add(size, by_key[key], stats)
            log(f"  {by_key[key].label:<60} {stats.median * 1000:9.2f} ms")

        for key, _label, text in FILTERS:
            timed(key, table(text.format(mid=mid)))
        for sort in SortKey:
            if sort is not SortKey.ID:
                timed(f"sort.{sort.value}", lambda sort=sort: portfolio.table_page(sort=sort, limit=PAGE))  # type: ignore[misc]
        in_pilot = parse_filter("stage:pilot")
        timed("sort.filtered", lambda: portfolio.table_page(in_pilot, sort=SortKey.DAYS, limit=PAGE))
        # The table's pages (tui/pilot_source.py): next to one read, by keyset; the last from the end of the
        # list; only a long jump (the scrollbar dragged, a kept pilot deep in a new order) by OFFSET.
        shown = portfolio.table_page(offset=total // 3, limit=PAGE)
        timed("page.next", lambda: portfolio.page_after(after=shown[-1], limit=PAGE))
        timed("page.last", lambda: portfolio.page_before(limit=PAGE))
        timed("page.last_sorted", lambda: portfolio.page_before(sort=SortKey.READINESS, limit=PAGE))
        timed("page.jump", lambda: portfolio.table_page(offset=total // 2, limit=PAGE))
        timed("position", lambda: portfolio.position(late, sort=SortKey.READINESS))
        in_pilot_id = portfolio.page(in_pilot, offset=portfolio.count(in_pilot) // 2, limit=1)[0].id
        timed("position.filtered", lambda: portfolio.position(in_pilot_id, in_pilot, sort=SortKey.DAYS))
        timed("record", lambda: portfolio.record(mid))
        timed("check_gate", lambda: portfolio.check_gate(in_pilot_id))
        timed("stage_counts", portfolio.stage_counts)
    if exports:
        _exports(generated, results, by_key, times=1 if generated.size >= 100_000 else times, log=log)


def _exports(
    generated: Generated, results: Results, by_key: dict[str, Measure], *, times: int, log: Callable[[str], None]
) -> None:
    """Exports and the import through the CLI, as a user runs them: whole commands, each in a new process.
    Peak memory of each command goes into the notes."""
    size = size_label(generated.size)
    with tempfile.TemporaryDirectory(prefix="caio-bench-") as folder:
        work = Path(folder)
        env = bench_env(work)
        snapshot = work / "snapshot.json"
        html = work / "briefing.html"
        db = ["--db", str(generated.path)]
        commands = {
            "export.snapshot": ["export", "--format", "snapshot", "--force", "-o", str(snapshot), *db],
            "export.html": ["export", "--format", "html", "--force", "-o", str(html), *db],
            "verify": ["verify", *db],
        }
        for key, args in commands.items():
            samples, peak = [], 0
            for _ in range(times):
                seconds, rss, error = _command(args, env)
                if error:
                    results.note(size, f"{by_key[key].label}: failed ({error})")
                    break
                samples.append(seconds)
                peak = max(peak, rss)
            if samples:
                results.add(size, by_key[key], Stats(samples))
                results.note(size, f"{by_key[key].label}: peak memory {peak / 1e6:.0f} MB")
                log(f"  {by_key[key].label:<60} {min(samples):9.2f} s")
        if snapshot.exists():
            samples, peak = [], 0
            for attempt in range(times):
                target = work / f"imported-{attempt}.db"
                _command(["init", "--db", str(target)], env)
                seconds, rss, error = _command(["import", str(snapshot), "--db", str(target)], env)
                if error:
                    results.note(size, f"import: failed ({error})")
                    break
                samples.append(seconds)
                peak = max(peak, rss)
                for leftover in work.glob(f"imported-{attempt}.db*"):
                    leftover.unlink()
            if samples:
                results.add(size, by_key["import.snapshot"], Stats(samples))
                results.note(size, f"import: peak memory {peak / 1e6:.0f} MB")
                log(f"  {by_key['import.snapshot'].label:<60} {min(samples):9.2f} s")


def _command(args: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run `caio-tui ARGS`; (seconds, peak RSS in bytes, error line or ''). The peak is the last VmHWM
    read while it runs (every 20 ms): the child's rusage would count the benchmark's own memory, which a
    forked child carries until exec."""
    executable = Path(sys.executable).with_name("caio-tui")
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(executable), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    status = Path(f"/proc/{process.pid}/status")
    peak = 0
    while process.poll() is None:
        with contextlib.suppress(OSError):
            found = re.search(r"^VmHWM:\s+(\d+) kB", status.read_text(), re.MULTILINE)
            if found:
                peak = max(peak, int(found.group(1)) * 1024)
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    error = "" if process.returncode == 0 else (process.stderr.read() if process.stderr else "").strip()[:200]
    if process.stderr:
        process.stderr.close()
    return seconds, peak, error
