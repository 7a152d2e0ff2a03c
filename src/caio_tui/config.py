"""User settings: where the portfolio lives, who the actor is, the stalled threshold, the theme, the
portfolio table's columns, the export folder and the user's keys (`[keymap]`: binding id = "keys";
tui/keymap.py checks the ids and clashes).

Read from `config.toml` in the platformdirs config folder; environment variables override it. Every key
is checked when the file is read: a bad value, an unknown key or a file that is not TOML stops the tool
with one line naming the file and the key (exit 1), never a silent fallback to a default (a mistyped
actor would otherwise sign the audit trail with the wrong name). Whether a theme *name* exists is the
app's to judge, since it knows the themes: it says so on screen and uses its default. Written with tomli-w.

The checks are by hand, not a pydantic model: the settings are read at start-up, which leaves pydantic
unimported (about 110 ms; tests/test_startup.py guards it), and four keys need four checks.
"""

from __future__ import annotations

import getpass
import json
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict, cast

import click
from platformdirs import user_config_dir, user_data_dir, user_documents_dir

from caio_tui.domain.stages import DEFAULT_STALLED_DAYS

APP = "caio-tui"

# The portfolio table's columns, in their usual order (`[table] columns` chooses among them).
TABLE_COLUMNS = ("id", "name", "office", "stage", "readiness", "territory", "blockers", "days")


def config_path() -> Path:
    return Path(os.environ.get("CAIO_TUI_CONFIG") or Path(user_config_dir(APP)) / "config.toml")


def default_db_path() -> Path:
    return Path(user_data_dir(APP)) / "portfolio.db"


def default_export_dir() -> Path:
    """Where the app's exports go unless `export_dir` says otherwise: a caio-tui folder in the user's
    documents (created on the first export), never the folder the app was started from."""
    return Path(user_documents_dir()) / APP


@dataclass(frozen=True)
class Settings:
    actor: str
    stalled_days: int = DEFAULT_STALLED_DAYS
    theme: str = "textual-dark"
    table_columns: tuple[str, ...] = TABLE_COLUMNS
    export_dir: Path = field(default_factory=default_export_dir)
    keymap: dict[str, str] = field(default_factory=dict)  # binding id -> keys, as Textual's set_keymap takes


class ConfigError(click.ClickException):
    """A config file the tool will not guess around. A click exception so that every command that reads the
    settings (and the app, which reads them before it takes the screen) stops with the CLI's one line on
    stderr and exit 1, wherever the reading happens."""

    exit_code = 1

    def show(self, file: object = None) -> None:
        from caio_tui.domain.text import printable

        click.echo(f"caio-tui: error: {printable(self.format_message())}", err=True)


# ---- the checks: each returns None for a good value, else what is wrong with it --------------------


def _actor_problem(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return 'must be your name as text, e.g. actor = "Dana Whitfield"'
    return None


def _stalled_days_problem(value: object) -> str | None:
    # TOML's true is an int to Python: only a real positive number of days counts.
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return "must be a whole number of days above 0"
    return None


def _theme_problem(value: object) -> str | None:
    return None if isinstance(value, str) else 'must be a theme name as text, e.g. theme = "textual-light"'


def _table_problem(value: object) -> str | None:
    example = 'e.g. [table] columns = ["id", "name", "stage", "blockers"]'
    if not isinstance(value, dict) or set(value) - {"columns"}:
        return f"must be a table with one key, columns ({example})"
    columns = value.get("columns", list(TABLE_COLUMNS))
    if not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns):
        return f"columns must be a list of column names ({', '.join(TABLE_COLUMNS)})"
    unknown = [c for c in columns if c not in TABLE_COLUMNS]
    if unknown:
        return f"columns: {unknown[0]!r} is not a column (the columns are {', '.join(TABLE_COLUMNS)})"
    if len(set(columns)) != len(columns):
        return "columns: each column once"
    return None


def _export_dir_problem(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return 'must be a folder as text, e.g. export_dir = "~/Documents/caio-tui"'
    if not Path(value).expanduser().is_absolute():
        return "must be an absolute folder (or start with ~): the app may be started from anywhere"
    return None


def _keymap_problem(value: object) -> str | None:
    example = 'must be a table of binding id = "keys", e.g. [keymap] then app.undo = "ctrl+z,u"'
    if not isinstance(value, dict):
        return example
    for binding_id, keys in flat_keymap(value).items():
        if not isinstance(keys, str) or any(not k.strip() or " " in k.strip() for k in keys.split(",")):
            return f"{binding_id}: {example}"
    return None


def flat_keymap(table: dict[str, object], prefix: str = "") -> dict[str, object]:
    """A [keymap] table by binding id: TOML reads `app.undo = "z"` as a table `app` holding `undo`, so
    dotted keys, quoted or not, name the same binding."""
    flat: dict[str, object] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(flat_keymap(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


_CHECKS: dict[str, Callable[[object], str | None]] = {
    "actor": _actor_problem,
    "stalled_days": _stalled_days_problem,
    "theme": _theme_problem,
    "table": _table_problem,
    "export_dir": _export_dir_problem,
    "keymap": _keymap_problem,
}


class _File(TypedDict, total=False):
    """What a checked config file holds."""

    actor: str
    stalled_days: int
    theme: str
    table: dict[str, list[str]]
    export_dir: str
    keymap: dict[str, object]


def _checked(data: dict[str, object], path: Path) -> _File:
    for key, value in data.items():
        check = _CHECKS.get(key)
        if check is None:
            raise ConfigError(f"{path}: {key}: not a setting (the settings are {', '.join(_CHECKS)})")
        problem = check(value)
        if problem:
            raise ConfigError(f"{path}: {key}: {problem}; found {_as_written(value)}")
    return cast(_File, data)


def _as_written(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)  # close to TOML: true, -5, "x"


# ---- reading and writing ---------------------------------------------------------------------------


def _read_file(path: Path) -> _File:
    """The file's settings, checked; none when there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return _checked(tomllib.loads(text), path)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def load_settings() -> Settings:
    """The settings: the environment's actor, else the file's, else the OS user; the file's threshold and
    theme, else the defaults. Raises ConfigError for a bad file."""
    data = _read_file(config_path())
    return Settings(
        actor=os.environ.get("CAIO_TUI_ACTOR") or data.get("actor") or _os_user(),
        stalled_days=data.get("stalled_days", DEFAULT_STALLED_DAYS),
        theme=data.get("theme", "textual-dark"),
        table_columns=tuple(data.get("table", {}).get("columns", TABLE_COLUMNS)),
        export_dir=Path(data["export_dir"]).expanduser() if "export_dir" in data else default_export_dir(),
        keymap={
            k: ",".join(p.strip() for p in str(v).split(",")) for k, v in flat_keymap(data.get("keymap", {})).items()
        },
    )


def save_setting(key: str, value: str | int | dict[str, list[str]]) -> None:
    """Write one setting, keeping the others; the file is replaced atomically. A file that does not read
    is left as it is: OSError, with the one line that says why."""
    import tomli_w  # only when a setting changes: start-up never writes

    path = config_path()
    try:
        data: dict[str, object] = {**_read_file(path), **_checked({key: value}, path)}
    except ConfigError as exc:
        raise OSError(exc.message) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(tomli_w.dumps(dict(sorted(data.items()))), encoding="utf-8")
    temporary.replace(path)
