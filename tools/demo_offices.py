"""`make demo-offices`: two program offices and the CAIO, end to end, through the real command line.

From the civilian-agency sample in .demo-offices/ (made again on each run, git-ignored): the CAIO sends two
offices their pilots; each office opens its send as its own portfolio and changes it (the Grants
Management Office assesses an item the CAIO assesses differently meanwhile: exactly one conflict; the
Office of Human Capital promotes a pilot: a stage request; each also makes a change the CAIO did not);
both bundle their changes, the CAIO merges both, and the CAIO's app opens (on a terminal) on what waits.

A script rather than a `caio-tui` command: it is a walk-through of the commands a CAIO and an office type,
printed with their output as they run, and it belongs to the repository, not to the installed tool.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / ".demo-offices"
GMO = "Grants Management Office"
OHC = "Office of Human Capital"


def caio_tui(actor: str, *args: str) -> None:
    """Run one command as `actor` in the demo folder, printed as typed, then its output."""
    print(f"$ {shlex.join(['caio-tui', *args])}", flush=True)
    env = {**os.environ, "CAIO_TUI_ACTOR": actor}
    done = subprocess.run([sys.executable, "-m", "caio_tui", *args], cwd=FOLDER, env=env, check=False)
    if done.returncode != 0:
        sys.exit(f"demo-offices: the command above failed (exit {done.returncode})")


def main() -> None:
    shutil.rmtree(FOLDER, ignore_errors=True)
    FOLDER.mkdir()
    print("# The CAIO's portfolio, and a send to each of two offices")
    caio_tui("caio", "--db", "caio.db", "init", "--sample", "civilian-agency")
    caio_tui("caio", "--db", "caio.db", "send", "--office", GMO, "-o", "gmo-send.json")
    caio_tui("caio", "--db", "caio.db", "send", "--office", OHC, "-o", "ohc-send.json")
    print("\n# Each office opens its send as its own portfolio and works on it")
    caio_tui("gmo-lead", "--db", "gmo.db", "init", "--from", "gmo-send.json")
    caio_tui(
        "gmo-lead",
        "--db",
        "gmo.db",
        "set-coverage",
        "DCS-005",
        "access.roles",
        "met",
        "--evidence",
        "GMO role matrix v2",
    )
    caio_tui(
        "gmo-lead",
        "--db",
        "gmo.db",
        "set-coverage",
        "DCS-007",
        "audit.activity",
        "met",
        "--evidence",
        "GMO log review, May",
    )
    caio_tui("ohc-lead", "--db", "ohc.db", "init", "--from", "ohc-send.json")
    caio_tui("ohc-lead", "--db", "ohc.db", "promote", "DCS-003")
    caio_tui("ohc-lead", "--db", "ohc.db", "tag", "DCS-021", "skills-gap", "--note", "no one left who can retrain it")
    print("\n# Meanwhile the CAIO assesses one of the items the Grants Management Office assessed")
    caio_tui(
        "caio",
        "--db",
        "caio.db",
        "set-coverage",
        "DCS-007",
        "audit.activity",
        "partial",
        "--evidence",
        "CAIO spot check",
    )
    print("\n# Each office bundles its changes; the CAIO merges both")
    caio_tui("gmo-lead", "--db", "gmo.db", "bundle", "-o", "gmo-bundle.json")
    caio_tui("ohc-lead", "--db", "ohc.db", "bundle", "-o", "ohc-bundle.json")
    caio_tui("caio", "--db", "caio.db", "merge", "gmo-bundle.json")
    caio_tui("caio", "--db", "caio.db", "merge", "ohc-bundle.json")
    caio_tui("caio", "--db", "caio.db", "merge", "ohc-bundle.json")
    caio_tui("caio", "--db", "caio.db", "history", "DCS-005")
    caio_tui("caio", "--db", "caio.db", "conflicts")
    if "--no-app" in sys.argv or not sys.stdout.isatty():
        caio_db = FOLDER / "caio.db"
        print(f"\nThe CAIO's portfolio is {caio_db}: open it with caio-tui --db {caio_db} --view conflicts")
        return
    print("\n# The CAIO's app, on the conflicts view")
    caio_tui("caio", "--db", "caio.db", "--view", "conflicts")


if __name__ == "__main__":
    main()
