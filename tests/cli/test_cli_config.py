"""Settings the CLI follows: who the actor is and when a pilot counts as stalled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from caio_tui.cli import cli
from caio_tui.config import config_path, load_settings, save_setting


def run(*args: str | Path) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "p.db"
    run("--db", path, "init", "--sample", "civilian-agency")
    return path


def write_config(text: str) -> None:
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text(text, encoding="utf-8")


def test_the_actor_comes_from_the_environment_then_the_config_then_the_os(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config('actor = "Dana Whitfield (CAIO)"\n')
    run("--db", db, "tag", "DCS-003", "skills-gap")
    monkeypatch.delenv("CAIO_TUI_ACTOR")
    run("--db", db, "untag", "DCS-003", "skills-gap")
    events = json.loads(run("--db", db, "history", "DCS-003", "--json"))
    assert [e["actor"] for e in events] == ["tester", "Dana Whitfield (CAIO)"]
    config_path().unlink()
    assert load_settings().actor not in ("", "tester", "Dana Whitfield (CAIO)")


def test_the_stalled_threshold_comes_from_the_config(db: Path) -> None:
    default = json.loads(run("--db", db, "list", "--stalled", "--json"))
    write_config("stalled_days = 100\n")
    shorter = json.loads(run("--db", db, "list", "--stalled", "--json"))
    assert {p["id"] for p in default} < {p["id"] for p in shorter}
    assert all(p["days_in_stage"] > 100 for p in shorter)


@pytest.mark.parametrize("text", ["stalled_days = true\n", "stalled_days = -5\n", "stalled_days = 'x'\n", "[[[\n"])
def test_a_bad_config_falls_back_to_the_defaults(text: str) -> None:
    write_config(text)
    assert load_settings().stalled_days == 180


def test_save_setting_keeps_the_others() -> None:
    save_setting("actor", 'Ann "the CAIO" Lee')
    save_setting("stalled_days", 90)
    settings = load_settings()
    assert settings.stalled_days == 90
    import tomllib

    assert tomllib.loads(config_path().read_text(encoding="utf-8")) == {
        "actor": 'Ann "the CAIO" Lee',
        "stalled_days": 90,
    }
