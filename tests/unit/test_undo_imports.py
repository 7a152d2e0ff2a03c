"""Undo after an import, a bulk load or a rules load: the whole step or a one-line refusal naming it, never
an older change, and never over a later change. Import events keep the values they replaced."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from caio_tui.cli import cli
from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.defaults import default_rules
from caio_tui.domain.gate_file import read_rules
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory
from caio_tui.io import generate as gen
from caio_tui.io.inventory import import_file
from caio_tui.io.samples import load_sample
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.gates import replace_rules
from helpers import NOW
from helpers.cli import ok
from helpers.omb import write_2025

S = CoverageStatus
LONG = "Caseworkers triage, by hand, 40,000 urgent claims a year and miss some. " * 4 + "The end of it, finally."
BASE = {"agency": "DCS", "agency_name": "Department of Civic Services"}
ROWS = [
    {
        **BASE,
        "id": "DCS-1",
        "use_case_name": "Claims Triage",
        "agency_bureau": "Office of Benefits",
        "contact_email": "triage@dcs.example",
        "development_stage": "Pre-deployment",
        "is_high_impact": "Not High-impact",
        "problem_solved": LONG,
        "have_ato": "No",
    },
    {**BASE, "id": "DCS-2", "use_case_name": "Cargo Image Search", "agency_bureau": "OCIO"},
    {**BASE, "id": "DCS-3", "use_case_name": "Legacy Chat", "agency_bureau": "OCIO", "development_stage": "Retired"},
]


def revised(tmp_path: Path) -> Path:
    """The inventory again: DCS-1 with a short description, deployed and with its ATO, one column new and
    one blank (the inventory columns' keys change); DCS-4 new."""
    rows = [dict(r) for r in ROWS]
    rows[0].update(problem_solved="Triage aid.", development_stage="Deployed", have_ato="Yes")
    rows[0].update(topic_area="Benefits", agency_name="")
    rows.append({**BASE, "id": "DCS-4", "use_case_name": "Grants Screener", "agency_bureau": "OGM"})
    return write_2025(tmp_path / "inventory-v2.csv", rows)


def table(p: Portfolio, name: str) -> list[dict[str, Any]]:
    return [dict(r) for r in p.conn.execute(f"SELECT * FROM {name} ORDER BY rowid")]


def state(p: Portfolio) -> dict[str, list[dict[str, Any]]]:
    """Every table an import or a rules load can touch (not the trail)."""
    names = ("pilot", "coverage", "blocker", "stage_move", "blocker_tag", "gate_recheck")
    return {t: table(p, t) for t in names}


def other_actor(p: Portfolio, actor: str = "someone-else") -> Portfolio:
    return Portfolio.open(p.path, actor=actor, clock=lambda: NOW)


def events(p: Portfolio) -> int:
    return len(p.history())


# ---- inventory re-import (update in place) -------------------------------------------------------------


def test_undo_after_a_reimport_reverts_the_whole_import_not_an_older_change(
    portfolio: Portfolio, tmp_path: Path
) -> None:
    import_file(portfolio, write_2025(tmp_path / "inventory.csv", ROWS))
    portfolio.set_coverage("DCS-2", "access.roles", S.MET, evidence="seen")  # an older change of mine
    before = state(portfolio)
    result = import_file(portfolio, revised(tmp_path))
    assert result.report is not None and len(result.report.updated) == 1 and len(result.report.added) == 1

    undone = portfolio.undo()
    assert undone is not None and undone.action == "import"  # the import, not the coverage change
    assert state(portfolio) == before  # exactly as it was: fields, inventory columns, coverage, stage
    assert portfolio.get("DCS-2").readiness > 0  # the older change stands
    last = portfolio.history()[-1]
    assert (last.action, last.undoes, last.pilot_id) == ("undo", undone.id, None)
    assert portfolio.undo().action == "coverage.set"  # type: ignore[union-attr]
    assert portfolio.verify_chain()[1] is None


def test_an_import_event_keeps_the_old_value_of_every_field_it_changed(portfolio: Portfolio, tmp_path: Path) -> None:
    import_file(portfolio, write_2025(tmp_path / "inventory.csv", ROWS))
    import_file(portfolio, revised(tmp_path))
    event = portfolio.history()[-1]
    assert event.action == "import"
    assert list(event.after["updated"]) == ["DCS-1"]  # the change lines, per pilot, as before
    assert "description: changed (311 → 11 characters)" in event.after["updated"]["DCS-1"]
    old = event.before["updated"]["DCS-1"]
    assert old["description"] == LONG  # the trail alone says what the import replaced
    assert old["stage"] == "poc"
    # The inventory columns it changed (not the ones it left alone, nor the blank that erases nothing), the
    # row as the inventory gave it, and their order then.
    assert {k: v for k, v in old["extra"].items() if k != "omb_row"} == {"problem_solved": LONG}
    assert old["extra"]["omb_row"]["cells"][3] == "Claims Triage"
    assert old["extra_keys"] == ["agency", "agency_name", "agency_bureau", "problem_solved", "omb_row"]
    new_extra = event.after["values"]["DCS-1"]["extra"]
    assert {k: v for k, v in new_extra.items() if k != "omb_row"} == {
        "problem_solved": "Triage aid.",
        "topic_area": "Benefits",
    }
    assert old["coverage"]["ato.granted"]["status"] == "gap"
    new = event.after["values"]["DCS-1"]
    assert (new["description"], new["stage"], new["coverage"]["ato.granted"]["status"]) == (
        "Triage aid.",
        "production",
        "met",
    )
    # Only what changed: not the unchanged pilots, not the fields that stayed.
    assert set(event.before["updated"]) == {"DCS-1"}
    assert "name" not in old and "office" not in old
    assert event.after["added"] == ["DCS-4"]


def test_undo_of_a_create_refuses_when_a_later_import_changed_the_pilot(portfolio: Portfolio, tmp_path: Path) -> None:
    portfolio.add_pilot(PilotFields(name="Claims Triage", office="DCS / Office of Benefits"), pilot_id="DCS-1")
    with other_actor(portfolio) as other:
        import_file(other, write_2025(tmp_path / "inventory.csv", ROWS))  # updates DCS-1, adds two
    before, count = state(portfolio), events(portfolio)
    with pytest.raises(StoreError, match=r"DCS-1 has changed since it was created \(event \d+, import\)"):
        portfolio.undo()
    assert state(portfolio) == before and events(portfolio) == count  # the pilot is still there


def test_an_import_is_not_undone_over_a_later_change_to_one_of_its_pilots(portfolio: Portfolio, tmp_path: Path) -> None:
    import_file(portfolio, write_2025(tmp_path / "inventory.csv", ROWS))
    import_file(portfolio, revised(tmp_path))
    with other_actor(portfolio) as other:
        other.open_blocker("DCS-4", "skills-gap")  # a pilot the import added
    before, count = state(portfolio), events(portfolio)
    with pytest.raises(StoreError, match=r"^cannot undo event \d+, the import from inventory-v2.csv: DCS-4 changed"):
        portfolio.undo()
    assert state(portfolio) == before and events(portfolio) == count


def test_a_move_is_not_undone_over_a_later_import_that_moved_the_pilot_back(
    portfolio: Portfolio, tmp_path: Path
) -> None:
    import_file(portfolio, write_2025(tmp_path / "inventory.csv", ROWS))
    portfolio.move("DCS-2", Stage.POC)
    rows = [dict(r) for r in ROWS]
    rows[1]["development_stage"] = "Retired"
    with other_actor(portfolio) as other:
        import_file(other, write_2025(tmp_path / "retired.csv", rows))  # retired...
        other.move("DCS-2", Stage.POC, override="back in work, by hand")  # ...and back in poc
    before = state(portfolio)
    with pytest.raises(StoreError, match="DCS-2 moved again since"):
        portfolio.undo()
    assert state(portfolio) == before


# ---- sample loads (whole pilots) -----------------------------------------------------------------------


def test_undo_after_a_sample_load_removes_the_loaded_pilots_and_keeps_the_older_change(portfolio: Portfolio) -> None:
    mine = portfolio.add_pilot(PilotFields(name="Mine"))
    before = state(portfolio)
    load_sample(portfolio, "civilian-agency")
    assert portfolio.count() == 31
    undone = portfolio.undo()
    assert undone is not None and undone.action == "import"
    assert state(portfolio) == before  # its pilots and the tags it brought are gone
    assert [p.id for p in portfolio.pilots()] == [mine]


def test_a_sample_load_is_not_undone_over_a_later_change(portfolio: Portfolio) -> None:
    load_sample(portfolio, "civilian-agency")
    with other_actor(portfolio) as other:
        other.edit_pilot("DCS-004", owner="Bo Chen")
    with pytest.raises(StoreError, match=r"DCS-004 changed since \(event \d+, pilot.edit\); nothing was undone"):
        portfolio.undo()
    assert portfolio.count() == 30


# ---- bulk loads into an empty portfolio: refused by name ---------------------------------------------------


def test_undo_after_generate_refuses_naming_it_and_reverts_nothing_older(portfolio: Portfolio) -> None:
    portfolio.create_tag("union-review", BlockerCategory.ORGANIZATIONAL)
    gen.generate(portfolio, 50, seed=3)
    before, count = state(portfolio), events(portfolio)
    with pytest.raises(
        StoreError, match=r"^cannot undo event \d+, generated 50 synthetic pilots from seed 3: a load into an empty"
    ):
        portfolio.undo()
    assert state(portfolio) == before and events(portfolio) == count  # the tag is still there


# ---- rule loads ----------------------------------------------------------------------------------------


STRICT = """
[[gate]]
to = "pilot"
rules = [{ kind = "field", field = "owner" }]
"""


def test_undo_after_a_rules_load_puts_the_old_rules_back_as_a_new_version(portfolio: Portfolio) -> None:
    pid = portfolio.add_pilot(PilotFields(name="Mine"))
    portfolio.edit_pilot(pid, owner="Ann")
    strict = read_rules(STRICT, "strict.toml")
    assert replace_rules(portfolio, strict, "strict.toml") == 2
    event = portfolio.history()[-1]
    assert event.before["version"] == 1 and read_rules_json(event.before["rules"]) == default_rules()
    assert read_rules_json(event.after["rules"]) == strict

    undone = portfolio.undo()
    assert undone is not None and undone.action == "rules.replace"
    assert portfolio.rules() == default_rules() and portfolio.rules_version() == 3
    assert portfolio.get(pid).owner == "Ann"  # the older edit stands
    last = portfolio.history()[-1]
    assert (last.action, last.undoes, last.after["version"], last.after["restores"]) == ("undo", event.id, 3, 1)
    assert portfolio.undo().action == "pilot.edit"  # type: ignore[union-attr]


def test_a_rules_load_is_not_undone_over_a_later_load(portfolio: Portfolio) -> None:
    replace_rules(portfolio, read_rules(STRICT, "strict.toml"), "strict.toml")
    with other_actor(portfolio) as other:
        replace_rules(other, default_rules(), "defaults.toml")
    with pytest.raises(StoreError, match=r"the gate rules were replaced again since \(version 3 is current\)"):
        portfolio.undo()
    assert portfolio.rules_version() == 3


def test_an_empty_rules_file_is_refused_unless_allowed(portfolio: Portfolio) -> None:
    empty = read_rules("", "empty.toml")
    with pytest.raises(StoreError, match=r"^empty\.toml: holds no gate rules"):
        replace_rules(portfolio, empty, "empty.toml")
    assert portfolio.rules_version() == 1
    assert replace_rules(portfolio, empty, "empty.toml", allow_empty=True) == 2
    assert portfolio.rules().rule_count() == 0


def read_rules_json(data: Any) -> Any:
    from caio_tui.domain.gates import parse_rules

    return parse_rules(data)


# ---- the commands --------------------------------------------------------------------------------------


def run(db: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), *(str(a) for a in args)], env={"COLUMNS": "120"})


def one_line_error(result: Result, message: str) -> str:
    assert result.exit_code == 1, (result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], lines
    return lines[0]


def history(db: Path) -> list[dict[str, Any]]:
    return list(json.loads(ok(run(db, "history", "--json"))))


def test_cli_undo_after_an_import_undoes_the_import_and_never_deletes_the_pilot_it_changed(tmp_path: Path) -> None:
    db, inventory = tmp_path / "p.db", tmp_path / "inventory.csv"
    ok(run(db, "init"))
    pid = ok(run(db, "add", "--name", "Claims Triage", "--owner", "Ann")).strip()
    ok(run(db, "export", "--format", "omb-2025", "-o", inventory))
    inventory.write_text(
        inventory.read_text(encoding="utf-8-sig").replace("Claims Triage", "Claims Triage v2"), "utf-8"
    )
    assert "0 added, 1 updated" in ok(run(db, "import", inventory))
    imported = history(db)[-1]
    assert imported["action"] == "import" and imported["before"]["updated"][pid]["name"] == "Claims Triage"

    assert ok(run(db, "undo")).startswith("undid import")
    (pilot,) = json.loads(ok(run(db, "list", "--json")))
    assert (pilot["id"], pilot["name"]) == (pid, "Claims Triage")
    last = history(db)[-1]
    assert (last["action"], last["undoes"]) == ("undo", imported["id"])
    assert ok(run(db, "undo")).startswith(f"undid pilot.create {pid}")  # then the change before it
    assert json.loads(ok(run(db, "list", "--json"))) == []
    assert ok(run(db, "verify")).startswith("ok")


def test_cli_undo_after_gates_load_undoes_the_load(tmp_path: Path) -> None:
    db, rules = tmp_path / "p.db", tmp_path / "strict.toml"
    ok(run(db, "init", "--sample", "civilian-agency"))
    ok(run(db, "tag", "DCS-004", "skills-gap", "--note", "no ML ops"))
    rules.write_text(STRICT, encoding="utf-8")
    ok(run(db, "gates", "load", rules))
    assert ok(run(db, "undo")).startswith("undid rules.replace")
    assert json.loads(ok(run(db, "gates", "show", "--json")))["version"] == 3
    assert read_rules(ok(run(db, "gates", "show", "--toml")), "now.toml") == default_rules()
    shown = json.loads(ok(run(db, "show", "DCS-004", "--json")))
    assert any(b["tag"] == "skills-gap" and b["resolved_at"] is None for b in shown["blockers"])


def test_cli_gates_load_of_a_file_without_rules_needs_allow_empty(tmp_path: Path) -> None:
    db, empty = tmp_path / "p.db", tmp_path / "empty.toml"
    ok(run(db, "init", "--sample", "civilian-agency"))
    empty.write_text("# nothing here yet\n", encoding="utf-8")
    line = one_line_error(run(db, "gates", "load", empty), "holds no gate rules")
    assert "--allow-empty" in line and "the rules were not changed" in line
    assert json.loads(ok(run(db, "gates", "show", "--json")))["version"] == 1
    assert "0 rules" in ok(run(db, "gates", "load", empty, "--allow-empty"))
    assert json.loads(ok(run(db, "gates", "show", "--json")))["gate"] == []


def test_cli_undo_after_a_snapshot_import_refuses_in_one_line_naming_it(tmp_path: Path) -> None:
    source, db, snapshot = tmp_path / "source.db", tmp_path / "p.db", tmp_path / "snap.json"
    ok(run(source, "init", "--sample", "civilian-agency"))
    ok(run(source, "export", "--format", "snapshot", "-o", snapshot))
    ok(run(db, "init"))
    ok(run(db, "add", "--name", "Mine"))
    ok(run(db, "undo"))  # the portfolio is empty again, as a snapshot import needs
    rules = tmp_path / "strict.toml"
    rules.write_text(STRICT, encoding="utf-8")
    ok(run(db, "gates", "load", rules))  # an older change the undo must not reach past the import
    ok(run(db, "import", snapshot))
    count = len(history(db))
    line = one_line_error(run(db, "undo"), "the import of 30 pilots from snap.json")
    assert "nothing was undone" in line
    assert len(history(db)) == count and len(json.loads(ok(run(db, "list", "--json")))) == 30


def test_an_import_recorded_without_its_old_values_is_refused_by_name(portfolio: Portfolio, tmp_path: Path) -> None:
    """An inventory import written by an earlier caio-tui kept only its change lines: undo stops there."""
    import_file(portfolio, write_2025(tmp_path / "inventory.csv", ROWS))
    portfolio.edit_pilot("DCS-2", owner="Ann")  # older than the import below: must stay
    with portfolio.session.transaction():
        after = {"summary": "imported from old.csv: 0 added, 1 updated", "added": [], "updated": {"DCS-1": ["x"]}}
        portfolio.append_event("import", None, None, after, source="old.csv")
    with pytest.raises(StoreError, match=r"^cannot undo event \d+, the import from old.csv: it was recorded without"):
        portfolio.undo()
    assert portfolio.get("DCS-2").owner == "Ann"


def test_an_undo_confirmed_for_one_event_refuses_when_another_is_now_last(sample_portfolio: Portfolio) -> None:
    confirmed = sample_portfolio.next_undo()
    assert confirmed is not None and confirmed.action == "import"
    sample_portfolio.edit_pilot("DCS-001", owner="Someone")  # meanwhile, a newer change of the same actor
    with pytest.raises(StoreError, match="not the one you confirmed; nothing was undone"):
        sample_portfolio.undo(expected=confirmed.id)
    assert sample_portfolio.count() == 30 and sample_portfolio.get("DCS-001").owner == "Someone"
