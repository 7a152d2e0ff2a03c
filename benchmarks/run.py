"""caio-tui's performance benchmark: `make bench`, or `python benchmarks/run.py --help`.

For each size (1k, 10k, 100k, 1M pilots by default) it generates a portfolio once (kept in
benchmarks/.cache), measures the bare floor app, the store's queries and the app itself, and writes the
tables of docs/performance.md (between its result markers) and a JSON copy of every figure.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable as a package root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import app_level, idp_level, links_level, offices_level, report, store_level
from benchmarks.harness import DEFAULT_CACHE, ROOT, Results, parse_size, portfolio_file, size_label

DEFAULT_SIZES = "1k,10k,100k,1m"
DEFAULT_OUT = ROOT / "docs" / "performance.md"
LARGE = 1_000_000  # from this size on, fewer repetitions: a run of every measure takes minutes


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"comma-separated sizes (default {DEFAULT_SIZES})")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per measure (default 7)")
    parser.add_argument("--repeat-large", type=int, default=3, help="timed runs per measure at 1M and up (default 3)")
    parser.add_argument(
        "--only",
        choices=("all", "store", "app", "idp", "offices"),
        default="all",
        help="which measures (idp: at 100k and 1M only; offices: 20 office bundles merged, at 100k only)",
    )
    parser.add_argument("--no-exports", action="store_true", help="skip the export and import commands")
    parser.add_argument(
        "--exports-up-to",
        default="100k",
        help="the largest size whose export and import commands run (default 100k: importing a 1M snapshot "
        "took 23 GB of memory and 3 minutes; pass 1m to measure it)",
    )
    parser.add_argument("--no-session", action="store_true", help="skip the scripted sessions that measure memory")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where generated portfolios are kept")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="the report to write (default docs/performance.md)"
    )
    parser.add_argument("--json", type=Path, help="every figure as JSON (default: results.json in the cache folder)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, log: Callable[[str], None] = print) -> Results:
    args = arguments(argv)
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    results = Results(sizes=[size_label(s) for s in sizes])
    results.measures.update(
        {
            m.key: m
            for m in [
                *app_level.measures(),
                *store_level.measures(),
                *idp_level.measures(),
                *links_level.measures(),
                *offices_level.measures(),
            ]
        }
    )
    # Start-up is timed as an installed app runs: from compiled bytecode (see harness.bench_env).
    compileall.compile_dir(ROOT / "src", quiet=1)
    load_before = os.getloadavg()
    started = time.perf_counter()
    for size in sizes:
        label = size_label(size)
        times = args.repeat_large if size >= LARGE else args.repeat
        log(f"== {label} pilots ({times} runs a measure)")
        if args.only in ("all", "store", "idp") and size >= LARGE:
            # A System Log of as many events as the largest portfolio has pilots (issue 16's scale).
            idp_level.run(results, label, times=times, log=log)
        if args.only in ("all", "store", "idp") and size_label(size) == links_level.SIZE:
            links_level.run(results, times=times, log=log)
        if args.only in ("all", "offices") and label == offices_level.SIZE:
            offices_level.run(results, times=min(times, 3), log=log, cache=args.cache)
        if args.only in ("idp", "offices"):
            continue
        generated = portfolio_file(size, args.cache, log=log)
        if args.only in ("all", "app"):
            app_level.floor(results, label, times=times, session=not args.no_session, log=log)
        if args.only in ("all", "store"):
            exports = not args.no_exports and size <= parse_size(args.exports_up_to)
            store_level.run(generated, results, times=times, exports=exports, log=log)
            if not exports and not args.no_exports:
                results.note(label, f"exports and import not run (larger than --exports-up-to {args.exports_up_to})")
        if args.only in ("all", "app"):
            app_level.in_app(generated, results, times=times, session=not args.no_session, log=log)
    load_after = os.getloadavg()
    load = f"{load_before[0]:.1f} before, {load_after[0]:.1f} after (1-minute)"
    repeat = f"{args.repeat} timed runs a measure ({args.repeat_large} at 1M) after one warm-up"
    section = report.results_section(results, repeat=repeat, load=load)
    target = args.json or args.cache / "results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results.as_json(), indent=2), encoding="utf-8")
    if args.only != "all" and args.out == DEFAULT_OUT:
        # A partial run leaves the report's tables alone (they would lose every other measure): its
        # figures are printed and kept in the JSON.
        log(section)
        log(f"wrote {target} in {time.perf_counter() - started:.0f} s ({args.out} left as it was: --only)")
        return results
    report.write(args.out, section, TEMPLATE)
    log(f"wrote {args.out} and {target} in {time.perf_counter() - started:.0f} s")
    return results


TEMPLATE = """# Performance at scale

How caio-tui behaves with a portfolio of 1,000 to 1,000,000 pilots: `make bench` runs `benchmarks/run.py`,
which regenerates the tables below.

{results}
"""


if __name__ == "__main__":
    main()
