"""The frameworks, blocker tags and gate rules every new portfolio starts with (package data)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files

from caio_tui.domain.coverage import Catalog, Framework
from caio_tui.domain.gates import GateRules, parse_rules

_DATA = files("caio_tui.domain") / "data"
FRAMEWORK_FILES = ("production.toml", "m-25-21.toml")


def _toml(name: str) -> dict[str, object]:
    return tomllib.loads((_DATA / name).read_text(encoding="utf-8"))


@cache
def default_catalog() -> Catalog:
    return Catalog(frameworks=tuple(Framework.model_validate(_toml(name)) for name in FRAMEWORK_FILES))


@cache
def default_rules() -> GateRules:
    return parse_rules(_toml("gates.toml"), source="gates.toml")
