"""`caio-tui mapping show | load`: the inventory mapping, versioned in the portfolio; a bad file is refused
in one line naming its key (exit 2) and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.cli import run


def test_show_load_and_refuse(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    assert run("--db", db, "init").exit_code == 0
    shown = run("--db", db, "mapping", "show")
    assert shown.exit_code == 0 and "inventory mapping version 0 (the default shipped with caio-tui)" in shown.stdout
    assert "ato.granted from have_ato: yes → met, no → gap" in shown.stdout
    exported = run("--db", db, "mapping", "show", "--toml").stdout
    mine = tmp_path / "mine.toml"
    mine.write_text(exported.replace('answers = { yes = "met", no = "gap" }', 'answers = { yes = "met" }', 1))
    loaded = run("--db", db, "mapping", "load", mine)
    assert loaded.exit_code == 0 and "inventory mapping version 1" in loaded.stdout
    assert json.loads(run("--db", db, "mapping", "show", "--json").stdout)["version"] == 1
    assert "mapping.load" in run("--db", db, "history").stdout
    assert run("--db", db, "mapping", "load", mine).stdout.startswith("inventory mapping version 1")  # same text

    bad = tmp_path / "bad.toml"
    bad.write_text(exported.replace('item = "ato.granted"', 'item = "ato.grantd"', 1))
    refused = run("--db", db, "mapping", "load", bad)
    assert refused.exit_code == 2
    assert refused.stderr.strip().splitlines() == [
        f"caio-tui: error: {bad}: coverage[1].item: unknown requirement item 'ato.grantd'; the mapping was not changed"
    ]
    typo = tmp_path / "typo.toml"
    typo.write_text('[[blocker]]\ntag = "no-ato-pathway"\nstages = ["pilot"]\ncolumn = ["have_ato"]\n')
    refused = run("--db", db, "mapping", "load", typo)
    assert refused.exit_code == 2 and "blocker[1].column: Extra inputs are not permitted" in refused.stderr
    assert json.loads(run("--db", db, "mapping", "show", "--json").stdout)["version"] == 1
    assert run("--db", db, "verify").exit_code == 0
