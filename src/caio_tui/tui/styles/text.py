"""Words shortened for narrow places (a table column, a board card). Light on purpose: the first screen
imports it, so nothing here may pull in the pydantic models (tests/test_startup.py)."""

from __future__ import annotations

import re

_OFFICE_PREFIX = re.compile(r"^(the\s+)?office\s+of\s+(the\s+)?", re.IGNORECASE)


def short_office(office: str) -> str:
    """ "Office of the Chief Financial Officer" as "Chief Financial Officer": in a narrow table the
    common prefix would take the whole column."""
    return _OFFICE_PREFIX.sub("", office) or office
