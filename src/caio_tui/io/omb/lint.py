"""Lint an OMB 2025 inventory before it is submitted: the rows as the writer would write them, checked
against the 2025 data dictionary (``dictionary.py``). Pure: cells in, findings out.

Each finding names the use case (the pilot it came from, the id and name the file would carry) and the
column, with a severity (``error``: OMB's instructions are not met; ``warning``: accepted, but worth a
look) and one line of why. The kinds:

* ``required-blank``: a column the dictionary requires for the row's stage (or answers) is blank.
* ``invalid-answer``: a multiple-choice answer that is none of the valid selections.
* ``nonstandard-answer``: a variant OMB recodes to a valid selection (write the selection).
* ``reused-id``: the same use case id on more than one row.
* ``contact-not-email``: a contact that is not an e-mail address.
* ``practice-missing``: a high-impact Deployed use case with an M-25-21 practice blank (``-in-progress``:
  answered in progress, allowed but not in place on a deployed use case).
* ``no-ato-answer``: a Pilot or Deployed use case with no ATO answer.
* ``high-impact-undetermined``: no high-impact determination.
* ``not-a-date``: an operational date no reader would take for a date.
* ``agency-blank``: the agency columns are blank (once for the inventory: a portfolio setting fixes it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from caio_tui.io.omb.answers import split_multi
from caio_tui.io.omb.dictionary import ColumnRule, Dictionary, load_dictionary
from caio_tui.io.omb.records import COLUMNS_2025

ERROR, WARNING = "error", "warning"
SEVERITIES = (ERROR, WARNING)
_PILOT_DEPLOYED = frozenset({"Pilot", "Deployed"})
_ACTIVE = frozenset({"Pre-deployment", "Pilot", "Deployed"})
_EMAIL = re.compile(r"^[^@\s,;<>()\[\]]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%Y/%m/%d", "%m/%Y", "%Y-%m", "%Y", "%B %Y", "%b %Y",
                 "%B %d, %Y", "%b %d, %Y", "%d-%b-%Y", "%d %B %Y", "%Y-%m-%d %H:%M:%S")  # fmt: skip
_Add = Callable[[str, str, str, str], None]  # add(column, severity, kind, why): one finding of the row
# The practices OMB asks of a high-impact deployed use case: the hi_* columns, in the file's order.
PRACTICE_COLUMNS = tuple(c for c in COLUMNS_2025 if c.startswith("hi_"))


@dataclass(frozen=True)
class LintRow:
    """One row as it would be submitted: ``pilot`` is the pilot it comes from (for the app to open it)."""

    pilot: str
    cells: Mapping[str, str]


@dataclass(frozen=True)
class Finding:
    pilot: str  # the pilot's id in the portfolio ("" for a finding about the whole inventory)
    use_case_id: str  # the id column as it would be submitted (may be blank)
    name: str
    column: str
    severity: str
    kind: str
    why: str


def lint_rows(rows: Iterable[LintRow], dictionary: Dictionary | None = None) -> list[Finding]:
    """Every finding of every row, in row order, then the inventory-wide ones."""
    rules = dictionary or load_dictionary()
    rows = list(rows)
    ids = Counter(_cell(r, "id") for r in rows if _cell(r, "id"))
    found: list[Finding] = []
    for row in rows:
        found += _row_findings(row, rules, ids)
    found += _agency_findings(rows)
    return found


def _cell(row: LintRow, column: str) -> str:
    """The cell as a reader sees it: the writer's leading apostrophe on a formula-like cell is not text."""
    value = row.cells.get(column, "").strip()
    return value[1:] if value.startswith("'") else value


def _row_findings(row: LintRow, rules: Dictionary, ids: Counter[str]) -> list[Finding]:
    found: list[Finding] = []

    def add(column: str, severity: str, kind: str, why: str) -> None:
        found.append(Finding(row.pilot, _cell(row, "id"), _cell(row, "use_case_name"), column, severity, kind, why))

    stage = _answer(row, rules, "development_stage")
    impact = _answer(row, rules, "is_high_impact")
    for column, rule in rules.columns.items():
        value = _cell(row, column)
        if not value:
            _blank(row, rule, stage, impact, add)
        elif rule.selections:
            _selection(rule, value, add)
    _specials(row, stage, impact, ids, add)
    return found


def _answer(row: LintRow, rules: Dictionary, column: str) -> str:
    """The shorthand of a valid (or recoded) answer, "" when blank or invalid."""
    reading, short = rules.columns[column].read(_cell(row, column))
    return short if reading != "invalid" else ""


def _blank(row: LintRow, rule: ColumnRule, stage: str, impact: str, add: _Add) -> None:
    column, when = rule.name, rule.required
    if column == "is_high_impact":
        add(
            column,
            ERROR,
            "high-impact-undetermined",
            "no high-impact determination; M-25-21 requires one for every use case",
        )
    elif column == "have_ato" and stage in _PILOT_DEPLOYED:
        add(column, ERROR, "no-ato-answer", f"{stage} use case with no ATO answer; OMB requires Yes or No")
    elif when == "high_impact_deployed":
        if impact == "High-impact" and stage == "Deployed":
            add(column, ERROR, "practice-missing", "high-impact Deployed use case: the M-25-21 practice is required")
    elif _required(row, when, stage):
        add(column, ERROR, "required-blank", f"blank; {rule.required_text}")


def _required(row: LintRow, when: str, stage: str) -> bool:
    if when == "always":
        return True
    if when == "pre_deployment_pilot_deployed":
        return stage in _ACTIVE
    if when == "pilot_deployed":
        return stage in _PILOT_DEPLOYED
    if when == "if_presumed_not_high_impact":
        return _cell(row, "is_high_impact").casefold().startswith(("presumed", "b) presumed"))
    if when == "if_vendor":
        usage = _cell(row, "contracting_usage").casefold()
        return stage in _PILOT_DEPLOYED and ("vendor" in usage or "contract" in usage)
    if when == "if_ato":
        return stage in _PILOT_DEPLOYED and _cell(row, "have_ato").casefold() == "yes"
    return False


def _selection(rule: ColumnRule, value: str, add: _Add) -> None:
    answers = split_multi(value) if rule.type == "select_multiple" else [value]
    for answer in answers:
        reading, short = rule.read(answer)
        if reading == "invalid":
            add(
                rule.name,
                ERROR,
                "invalid-answer",
                f"{answer!r} is not one of the {len(rule.selections)} valid selections",
            )
        elif reading == "variant":
            add(
                rule.name,
                WARNING,
                "nonstandard-answer",
                f"{answer!r} is not a valid selection; OMB reads it as {short!r}",
            )


def _specials(row: LintRow, stage: str, impact: str, ids: Counter[str], add: _Add) -> None:
    use_case_id = _cell(row, "id")
    if use_case_id and ids[use_case_id] > 1:
        add("id", ERROR, "reused-id", f"id {use_case_id!r} is on {ids[use_case_id]} use cases; each needs its own")
    contact = _cell(row, "contact_email")
    if contact and not all(_EMAIL.match(part.strip()) for part in re.split(r"[;,]", contact) if part.strip()):
        add("contact_email", ERROR, "contact-not-email", f"{contact!r} is not an e-mail address")
    if impact == "High-impact" and stage == "Deployed":
        for column in PRACTICE_COLUMNS:
            if re.search(r"in[- ]?progr?ess", _cell(row, column).casefold()):
                add(
                    column,
                    WARNING,
                    "practice-in-progress",
                    "in progress on a Deployed high-impact use case: the practice is not in place yet",
                )
    date = _cell(row, "operational_date")
    if date and not _is_date(date):
        add("operational_date", WARNING, "not-a-date", f"{date!r} is not a date OMB can read (use YYYY-MM-DD)")


def _is_date(text: str) -> bool:
    for fmt in _DATE_FORMATS:
        try:
            datetime.strptime(text, fmt)
        except ValueError:
            continue
        return True
    return False


def _agency_findings(rows: Sequence[LintRow]) -> list[Finding]:
    found = []
    for column in ("agency", "agency_name"):
        blank = sum(1 for r in rows if not _cell(r, column))
        if blank:
            why = f"blank on {blank} use case(s); set it once: caio-tui settings agency --abbr ... --name ..."
            found.append(Finding("", "", "the whole inventory", column, ERROR, "agency-blank", why))
    return found
