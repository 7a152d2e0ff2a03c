"""User settings: where the portfolio lives, who the actor is, the stalled threshold, the theme.

Read from `config.toml` in the platformdirs config folder; environment variables override it.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

from caio_tui.domain.stages import DEFAULT_STALLED_DAYS

APP = "caio-tui"


def config_path() -> Path:
    return Path(os.environ.get("CAIO_TUI_CONFIG") or Path(user_config_dir(APP)) / "config.toml")


def default_db_path() -> Path:
    return Path(user_data_dir(APP)) / "portfolio.db"


@dataclass(frozen=True)
class Settings:
    actor: str
    stalled_days: int = DEFAULT_STALLED_DAYS
    theme: str = "textual-dark"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _read_file(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}  # a missing or broken config file must never keep the tool from starting


def load_settings() -> Settings:
    data = _read_file(config_path())
    actor = os.environ.get("CAIO_TUI_ACTOR") or str(data.get("actor") or "") or _os_user()
    stalled = data.get("stalled_days", DEFAULT_STALLED_DAYS)
    theme = data.get("theme", "textual-dark")
    return Settings(
        actor=actor,
        stalled_days=_days(stalled),
        theme=theme if isinstance(theme, str) else "textual-dark",
    )


def _days(value: object) -> int:
    # TOML's true is an int to Python: only a real positive number of days counts.
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return DEFAULT_STALLED_DAYS


def save_setting(key: str, value: str | int) -> None:
    """Write one setting, keeping the others; the file is replaced atomically."""
    path = config_path()
    data = _read_file(path)
    data[key] = value
    lines = [f"{k} = {_toml_value(v)}" for k, v in sorted(data.items()) if isinstance(v, str | int)]
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    temporary.replace(path)


def _toml_value(value: str | int) -> str:
    if isinstance(value, int):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
