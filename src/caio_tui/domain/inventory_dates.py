"""The dates agencies write in their inventories, read as a day: 2023-10-01, 10/1/2023, 03/2024, 2024-03,
March 2024, Mar-24, 24-Nov (a spreadsheet's yy-Mon), FY2023, Q2 2024, Q2FY24, 2024. A month or a quarter
reads as its first day, a fiscal year as its first day (1 October of the year before). A date followed by
a remark ("2023-10-01 (contract kick-off)") reads as that date. Anything else is unreadable: the caller
reports it.
"""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_END = r"(?=$|[\s(;,])"

# Answers that say "no date" in words: not a date, and not worth an issue either.
NO_DATE = frozenset({"n/a", "na", "none", "not applicable", "-"})


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _day(year: int, month: int, day: int = 1) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _fiscal_quarter(quarter: int, fiscal_year: int) -> date | None:
    # FY N runs from 1 October N-1: its first quarter starts in October, its second in January...
    month = (10 + 3 * (quarter - 1) - 1) % 12 + 1
    return _day(fiscal_year - 1 if quarter == 1 else fiscal_year, month)


_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + _END, re.IGNORECASE | re.ASCII), kind)  # ASCII: 'ſep' is no month
    for pattern, kind in (
        (r"^(\d{4})-(\d{1,2})-(\d{1,2})", "ymd"),
        (r"^(\d{4})/(\d{1,2})/(\d{1,2})", "ymd"),
        (r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})", "mdy"),
        (r"^(\d{1,2})-(\d{1,2})-(\d{4})", "mdy"),
        (r"^(\d{1,2})/(\d{4})", "my"),
        (r"^(\d{4})-(\d{1,2})", "ym"),
        (r"^" + _MONTH + r"[\s,-]*(\d{1,2}),?\s+(\d{4})", "mdy_name"),
        (r"^" + _MONTH + r"[\s,-]*(\d{4}|\d{2})", "my_name"),
        (r"^(\d{1,2})[\s-]+" + _MONTH + r"[\s,-]+(\d{4})", "dmy_name"),
        (r"^(\d{2})-" + _MONTH, "y_name"),
        (r"^q([1-4])\s*-?\s*fy\s*-?(\d{4}|\d{2})", "q_fy"),
        (r"^fy\s*-?(\d{4}|\d{2})\s*-?\s*q([1-4])", "fy_q"),
        (r"^q([1-4])\s*-?\s*(?:cy\s*)?(\d{4})", "q_cy"),
        (r"^fy\s*-?(\d{4}|\d{2})", "fy"),
        (r"^(\d{4})", "y"),
    )
)


def parse_inventory_date(raw: str) -> date | None:
    """The day an inventory's date answer names (see the module docstring), or None."""
    text = " ".join(raw.split())
    for pattern, kind in _PATTERNS:
        match = pattern.match(text)
        if match:
            found = _read(kind, match.groups())
            if found is not None:
                return _plausible(found)
    return None


_SPREADSHEET_EPOCH = date(1899, 12, 30)  # day 0 of a spreadsheet's date serial numbers


def _plausible(day: date) -> date | None:
    """A day no AI use case began on is a spreadsheet's misreading or nothing. A year typed into a cell
    formatted as a date is kept as that many days from 1899-12-30: "2023" shows as 7/15/1905 (OMB's 2024
    file has such answers), so it reads as the year it was; any other day before 1950 is unreadable."""
    if day.year >= 1950:
        return day
    serial = (day - _SPREADSHEET_EPOCH).days
    return _day(serial, 1) if 1950 <= serial <= 2100 else None


def _read(kind: str, g: tuple[str, ...]) -> date | None:
    if kind == "ymd":
        return _day(int(g[0]), int(g[1]), int(g[2]))
    if kind == "mdy":
        return _day(_year(g[2]), int(g[0]), int(g[1]))
    if kind == "my":
        return _day(int(g[1]), int(g[0]))
    if kind == "ym":
        return _day(int(g[0]), int(g[1]))
    if kind == "mdy_name":
        return _day(int(g[2]), _MONTHS[g[0].lower()], int(g[1]))
    if kind == "my_name":
        return _day(_year(g[1]), _MONTHS[g[0].lower()])
    if kind == "dmy_name":
        return _day(int(g[2]), _MONTHS[g[1].lower()], int(g[0]))
    if kind == "y_name":
        return _day(_year(g[0]), _MONTHS[g[1].lower()])
    if kind == "q_fy":
        return _fiscal_quarter(int(g[0]), _year(g[1]))
    if kind == "fy_q":
        return _fiscal_quarter(int(g[1]), _year(g[0]))
    if kind == "q_cy":
        return _day(int(g[1]), 3 * (int(g[0]) - 1) + 1)
    if kind == "fy":
        return _day(_year(g[0]) - 1, 10)
    if kind == "y":
        year = int(g[0])
        return _day(year, 1) if 1950 <= year <= 2100 else None
    return None
