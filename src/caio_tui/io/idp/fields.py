"""Reading fields out of one record: nested lookups, dates, flags; a bad value raises `RecordError`.

Every reader takes its facts through these, so "blank is unknown" holds in one place: an absent, null or
empty field is None, never False or zero.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

Record = dict[str, Any]


class RecordError(ValueError):
    """A record that cannot be read: skipped and reported with where it is (`RecordProblem`)."""


def get(record: Any, *path: str) -> Any:
    """The value at `path` inside nested objects; None when any step is missing or not an object."""
    value = record
    for step in path:
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def text(record: Any, *path: str) -> str | None:
    """A string field, stripped; None when absent or blank. Numbers are written as text."""
    value = get(record, *path)
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise RecordError(f"{'.'.join(path)} is not a single value")
    value = str(value).strip()
    return value or None


def required(record: Any, *path: str) -> str:
    value = text(record, *path)
    if value is None:
        raise RecordError(f"no {'.'.join(path)}")
    return value


_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}


def flag(record: Any, *path: str) -> bool | None:
    """A yes/no field (JSON booleans, or CSV's True/False/Yes/No); blank is unknown."""
    value = get(record, *path)
    if value is None or isinstance(value, bool):
        return value
    word = str(value).strip().casefold()
    if not word:
        return None
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise RecordError(f"{'.'.join(path)} is {value!r}, not true or false")


# The US-style dates PowerShell's Export-Csv and the portal's older downloads write.
_US_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")


def parse_day(value: str) -> date:
    """The day of an ISO 8601 timestamp (what both IdPs' APIs write) or of a US-style console date."""
    head = value[:10]
    try:
        return date.fromisoformat(head)
    except ValueError:
        pass
    for pattern in _US_FORMATS:
        try:
            return datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
    raise RecordError(f"{value!r} is not a date")


def day(record: Any, *path: str) -> date | None:
    value = text(record, *path)
    return None if value is None else parse_day(value)


class Days:
    """Turns timestamps into days through a cache: a million events fall on a few dozen days."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[str, date] = {}

    def __call__(self, value: str) -> date:
        head = value[:10]
        found = self._seen.get(head)
        if found is None:
            found = parse_day(value)
            if len(self._seen) < 100_000:
                self._seen[head] = found
        return found
