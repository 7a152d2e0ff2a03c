"""What one inventory row says about its pilot under the portfolio's inventory mapping: coverage statuses
with their provenance, the blockers to open, the day it entered its stage, and the row's flags and
unreadable dates (as import issues).

Every derived fact names its file, year, column and answer ("OMB 2025 inventory: have_ato = Yes, system
'X' (inventory_2025.csv row 4)"). A blank answer derives nothing (it is unknown), except on a practice the
use case is required to have: a deployed high-impact use case that leaves one blank has a gap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.inventory_dates import NO_DATE, parse_inventory_date
from caio_tui.domain.inventory_mapping import InventoryMapping
from caio_tui.domain.stages import Stage
from caio_tui.domain.text import clip
from caio_tui.io.omb import ImportIssue, OmbFormat
from caio_tui.io.omb.answers import NA, NO, YES, clean_answer, hi_status, split_multi

_YEAR = {
    OmbFormat.Y2023: "2023",
    OmbFormat.Y2024: "2024",
    OmbFormat.Y2024_LONG: "2024",
    OmbFormat.Y2025: "2025",
}
_HI_KIND = {"met": "yes", "partial": "in_progress", "waived": "waived", "not_applicable": "not_applicable"}
_IN_PROGRESS = re.compile(r"in[- ]?progr?ess|planned")


@lru_cache(maxsize=4096)  # an inventory repeats a few answers thousands of times
def answer_kind(column: str, raw: str) -> str | None:
    """How an answer reads: yes, no, in_progress, waived, not_applicable, other; None when blank."""
    text = clean_answer(raw)
    if not text or text in ("[]", "['']"):
        return None
    if column.startswith("hi_"):
        status = hi_status(column, raw)
        if status is not None:
            return _HI_KIND[status]
    if text in YES or text.startswith(("yes,", "yes -", "yes ")):
        return "yes"
    if text in NO or text.startswith(("no,", "no -", "no ")):
        return "no"
    if "waiv" in text:
        return "waived"
    if _IN_PROGRESS.search(text):
        return "in_progress"
    if text in NA:
        return "not_applicable"
    return "other"


def shown_answer(answer: str) -> str:
    """An answer as evidence reads it: a select-multiple cell's list (`['In-progress']`, as OMB's files
    write it) as its values, `In-progress`; never Python's list syntax."""
    text = " ".join(answer.split())
    if text.startswith("[") and text.endswith("]"):
        text = ", ".join(split_multi(text))
    return clip(text, 120)


@lru_cache(maxsize=4096)
def _clean(text: str) -> str:
    return clean_answer(text)


@dataclass(frozen=True)
class Derived:
    status: CoverageStatus
    evidence: str  # the provenance line


@dataclass
class RowFacts:
    coverage: dict[str, Derived] = field(default_factory=dict)
    blockers: list[tuple[str, str]] = field(default_factory=list)  # (tag, note)
    entered: date | None = None  # when it entered the stage it stands at
    entered_note: str = ""
    issues: list[ImportIssue] = field(default_factory=list)


# A person's status that says an item holds: a blocker derived against it would contradict them.
_HOLDS = frozenset({CoverageStatus.MET, CoverageStatus.WAIVED, CoverageStatus.NOT_APPLICABLE})


class RowReader:
    """The mapping applied to one file's rows."""

    def __init__(
        self, mapping: InventoryMapping, fmt: OmbFormat, file_name: str, today: date, items: frozenset[str]
    ) -> None:
        # Rules on items the portfolio does not have (a framework removed since the mapping was loaded) are
        # left out.
        self.coverage_rules = tuple(r for r in mapping.coverage if r.item in items)
        self.mapping = mapping
        self.year = _YEAR[fmt]
        self.file = file_name
        self.today = today
        self.flagged: dict[tuple[str, str], list[int]] = {}  # (column, note) -> rows

    def _given(self, cells: dict[str, str], columns: tuple[str, ...]) -> tuple[str, str] | None:
        """The first of the columns this row gives an answer in: (column, answer)."""
        for column in columns:
            value = cells.get(column, "")
            if value.strip():
                return column, value.strip()
        return None

    def _source(self, column: str, answer: str, row: int, more: str = "") -> str:
        return f"OMB {self.year} inventory: {column} = {shown_answer(answer)}{more} ({self.file} row {row})"

    def facts(
        self,
        cells: dict[str, str],
        row: int,
        stage: Stage | None,
        high_impact: bool,
        headers: dict[str, str],
        assessed: Mapping[str, CoverageStatus] | None = None,
    ) -> RowFacts:
        """What the row says. `assessed`: the statuses a person set on the pilot, which a derived blocker
        never contradicts (a person's "met" on ato.granted stands against an inventory's have_ato = No)."""
        found = RowFacts()
        required = high_impact and stage in self.mapping.mapping.required_stages
        self._coverage(found, cells, row, high_impact, required)
        self._blockers(found, cells, row, stage, high_impact, assessed or {})
        self._date(found, cells, row, stage, headers)
        self._flags(found, cells, row, stage, headers)
        return found

    def _coverage(self, found: RowFacts, cells: dict[str, str], row: int, high_impact: bool, required: bool) -> None:
        for rule in self.coverage_rules:
            if rule.item in found.coverage or (rule.high_impact and not high_impact):
                continue
            given = self._given(cells, rule.columns)
            if given is None:
                present = next((c for c in rule.columns if c in cells), None)
                if required and rule.blank is not None and present is not None:
                    note = f"OMB {self.year} inventory: {present} left blank on a deployed high-impact use case"
                    found.coverage[rule.item] = Derived(rule.blank, f"{note} ({self.file} row {row})")
                continue
            column, answer = given
            status = None
            if rule.starts:
                text = _clean(answer)
                status = next((v for k, v in rule.starts.items() if text.startswith(_clean(k))), None)
            kind = answer_kind(column, answer)
            if status is None and kind is not None:
                status = rule.answers.get(kind)  # type: ignore[call-overload]
            if status is None:
                continue
            more = ""
            if rule.given:
                other = cells.get(rule.given, "").strip()
                if not other or clean_answer(other) in NA:
                    continue
                more = f", {rule.given} {clip(other, 80)!r}"
            elif column == "have_ato" and cells.get("system_name_ato", "").strip():
                more = f", system {clip(cells['system_name_ato'].strip(), 80)!r}"
            found.coverage[rule.item] = Derived(status, self._source(column, answer, row, more))
        for review in self.mapping.review:
            given = self._given(cells, review.columns)
            if given is None or answer_kind(*given) not in review.answers:
                continue
            if review.missing and cells.get(review.missing, "").strip():
                continue
            self.flagged.setdefault((given[0], f"{review.item}: {review.note}"), []).append(row)

    def _blockers(
        self,
        found: RowFacts,
        cells: dict[str, str],
        row: int,
        stage: Stage | None,
        high_impact: bool,
        assessed: Mapping[str, CoverageStatus],
    ) -> None:
        if stage is None:
            return
        for rule in self.mapping.blocker:
            if stage not in rule.stages or (rule.high_impact and not high_impact):
                continue
            if rule.columns:
                given = self._given(cells, rule.columns)
                if given is None or answer_kind(*given) not in rule.answers:
                    continue
                # The items this answer speaks for, where a person said they hold: the person's word stands.
                spoken = {r.item for r in self.coverage_rules if given[0] in r.columns}
                if any(assessed.get(item) in _HOLDS for item in spoken):
                    continue
                note = self._source(given[0], given[1], row)
            else:
                hits = [
                    f"{item} {found.coverage[item].status.value}"
                    for item in rule.items
                    if item in found.coverage
                    and found.coverage[item].status in rule.statuses
                    and assessed.get(item, found.coverage[item].status) in rule.statuses
                ]
                if not hits:
                    continue
                note = f"OMB {self.year} inventory ({self.file} row {row}): {', '.join(hits)}"
            found.blockers.append((rule.tag, f"{rule.note}: {note}" if rule.note else note))

    def _date(
        self, found: RowFacts, cells: dict[str, str], row: int, stage: Stage | None, headers: dict[str, str]
    ) -> None:
        rule = next((r for r in self.mapping.date if stage in r.stages), None)
        given = self._given(cells, rule.columns) if rule else None
        if given is None:
            return
        column, answer = given
        header = headers.get(column, column)
        text = clean_answer(answer)
        if text in NO_DATE or text.startswith(("n/a ", "n/a-", "n/a;", "na -")):
            return
        day = parse_inventory_date(answer)
        if day is None:
            found.issues.append(ImportIssue(row, header, answer, "not a date this import can read; not used"))
        elif day > self.today:
            found.issues.append(ImportIssue(row, header, answer, "a date in the future; not used"))
        else:
            found.entered = day
            found.entered_note = self._source(column, answer, row)

    def _flags(
        self, found: RowFacts, cells: dict[str, str], row: int, stage: Stage | None, headers: dict[str, str]
    ) -> None:
        for rule in self.mapping.flag:
            present = [c for c in rule.columns if c in cells]
            if stage not in rule.stages or not present or self._given(cells, rule.columns):
                continue
            self.flagged.setdefault((headers.get(present[0], present[0]), rule.note), []).append(row)

    def flag_issues(self) -> list[ImportIssue]:
        """One issue per flag (a public inventory may leave a column blank on thousands of rows): its first
        row, how many use cases, and the first rows."""
        found = []
        for (column, note), rows in self.flagged.items():
            shown = ", ".join(str(r) for r in rows[:5]) + (f" and {len(rows) - 5:,} more" if len(rows) > 5 else "")
            count = f"{len(rows):,} use case{'s' if len(rows) != 1 else ''}"
            where = f"rows {shown}" if len(rows) > 1 else f"row {shown}"
            found.append(ImportIssue(rows[0], column, "", f"{note}: {count} ({where})"))
        return found
