"""A module imported at its first use instead of at start-up.

The first screen lists pilots with sqlite3 and plain dataclasses; pydantic and the domain's models cost
about 110 ms to import, and only a pilot opened, a write or an export needs them. The store names them as
`models.X`; the first such use imports them (under Python's import lock: two threads asking at once get
the same module)."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)
