"""Settings the CLI follows: who the actor is and when a pilot counts as stalled; a bad config file stops
it with one line naming the file and the key."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from caio_tui.cli import cli
from caio_tui.config import ConfigError, Settings, config_path, load_settings, save_setting


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


BAD_VALUES = [
    ("stalled_days = true\n", "stalled_days: must be a whole number of days above 0; found true"),
    ("stalled_days = -5\n", "stalled_days: must be a whole number of days above 0; found -5"),
    ("stalled_days = 0\n", "stalled_days: must be a whole number of days above 0; found 0"),
    ("stalled_days = 'x'\n", 'stalled_days: must be a whole number of days above 0; found "x"'),
    ("stalled_days = 1.5\n", "stalled_days: must be a whole number of days above 0; found 1.5"),
    ("actor = 5\n", 'actor: must be your name as text, e.g. actor = "Dana Whitfield"; found 5'),
    ("actor = '  '\n", 'actor: must be your name as text, e.g. actor = "Dana Whitfield"; found "  "'),
    ("theme = ['a']\n", 'theme: must be a theme name as text, e.g. theme = "textual-light"; found ["a"]'),
    (
        "[table]\ncolumns = ['id', 'offce']\n",
        "table: columns: 'offce' is not a column (the columns are id, name, office, stage, readiness, territory, "
        'blockers, days); found {"columns": ["id", "offce"]}',
    ),
    (
        "[table]\ncolumns = []\n",
        "table: columns must be a list of column names (id, name, office, stage, readiness, territory, blockers, "
        'days); found {"columns": []}',
    ),
    (
        "[table]\ncols = ['id']\n",
        'table: must be a table with one key, columns (e.g. [table] columns = ["id", "name", "stage", "blockers"]); '
        'found {"cols": ["id"]}',
    ),
    (
        "stalled_day = 90\n",
        "stalled_day: not a setting (the settings are actor, stalled_days, theme, table, export_dir, keymap)",
    ),
    (
        "export_dir = 'exports'\n",
        "export_dir: must be an absolute folder (or start with ~): the app may be started from anywhere; "
        'found "exports"',
    ),
    (
        "keymap = 'u'\n",
        'keymap: must be a table of binding id = "keys", e.g. [keymap] then app.undo = "ctrl+z,u"; found "u"',
    ),
]


@pytest.mark.parametrize(("text", "said"), BAD_VALUES)
def test_a_bad_value_stops_the_cli_with_one_line_naming_the_file_and_the_key(db: Path, text: str, said: str) -> None:
    """Not a silent fallback to the default: the user learns which key of which file to fix."""
    write_config('actor = "Dana"\n' + text if not text.startswith("actor") else text)
    result = CliRunner().invoke(cli, ["--db", str(db), "list"])
    assert result.exit_code == 1
    assert result.stderr == f"caio-tui: error: {config_path()}: {said}\n"
    assert result.stdout == ""
    with pytest.raises(ConfigError, match="^" + re.escape(f"{config_path()}: {said}") + "$"):
        load_settings()


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"[[[\n", "not valid TOML (Invalid initial character for a key part (at line 1, column 3))"),
        (b'actor = "\xff"\n', "not UTF-8 text"),
    ],
)
def test_a_file_that_does_not_read_stops_the_cli_with_one_line(db: Path, content: bytes, said: str) -> None:
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_bytes(content)
    result = CliRunner().invoke(cli, ["--db", str(db), "history", "DCS-003"])
    assert (result.exit_code, result.stderr) == (1, f"caio-tui: error: {config_path()}: {said}\n")


def test_a_bad_config_stops_the_app_before_it_takes_the_screen(db: Path) -> None:
    write_config("stalled_days = -1\n")
    result = CliRunner().invoke(cli, ["--db", str(db)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"caio-tui: error: {config_path()}: stalled_days: ")


def test_a_good_config_and_no_config_read_as_before() -> None:
    assert load_settings() == Settings(actor="tester")
    write_config('actor = "Dana"\nstalled_days = 90\ntheme = "no-such-theme"\n')
    # An unknown theme name is the app's to report (tests/test_startup.py): it knows the themes.
    assert load_settings() == Settings(actor="tester", stalled_days=90, theme="no-such-theme")


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


def test_save_setting_writes_toml_that_reads_back_whatever_the_text() -> None:
    odd = 'back\\slash "quoted" \ttab\nnew line ünï \U0001f600 \x7f'
    save_setting("actor", odd)
    assert load_settings().actor == "tester"  # the environment comes first
    import tomllib

    assert tomllib.loads(config_path().read_text(encoding="utf-8")) == {"actor": odd}


def test_save_setting_leaves_a_bad_file_as_it_is() -> None:
    write_config("stalled_days = -5\n")
    with pytest.raises(OSError, match="stalled_days: must be a whole number"):
        save_setting("theme", "textual-light")
    assert config_path().read_text(encoding="utf-8") == "stalled_days = -5\n"


def test_save_setting_refuses_a_bad_value() -> None:
    with pytest.raises(OSError, match="stalled_days: must be a whole number"):
        save_setting("stalled_days", 0)
    assert not config_path().exists()


def test_start_up_imports_no_toml_writer() -> None:
    code = "import sys, caio_tui.tui.app, caio_tui.cli; print('tomli_w' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False"]


def test_the_export_folder_is_in_the_documents_unless_the_config_names_one() -> None:
    from platformdirs import user_documents_dir

    assert load_settings().export_dir == Path(user_documents_dir()) / "caio-tui"
    write_config('export_dir = "~/briefings"\n')
    assert load_settings().export_dir == Path.home() / "briefings"
