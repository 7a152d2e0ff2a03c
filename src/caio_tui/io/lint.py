"""The inventory lint of a portfolio: its pilots as the OMB 2025 export would write them, checked by the
pure io/omb/lint.py, and the report in text, JSON or Markdown (``caio-tui lint``, the app's lint screen).

Linted is what would be submitted: each pilot becomes the row `export --format omb-2025` writes (the same
conversion, the portfolio's agency, io/omb/layout.py's writer), and the lint reads those cells back.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

from caio_tui.domain.text import printable
from caio_tui.io.inventory import with_agency
from caio_tui.io.inventory_layout import layout_row
from caio_tui.io.omb.layout import LAYOUT_2025, write_layout
from caio_tui.io.omb.lint import ERROR, WARNING, Finding, LintRow, lint_rows
from caio_tui.store import Portfolio
from caio_tui.store.settings import Agency, agency
from caio_tui.store.transfer import stream_pilots

LINT_FORMATS: tuple[str, ...] = ("text", "json", "markdown")


@dataclass(frozen=True)
class LintReport:
    use_cases: int  # rows checked
    agency: Agency
    findings: list[Finding] = field(default_factory=list)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def summary(self) -> str:
        if not self.findings:
            return f"No findings on {self.use_cases} use case(s)"
        touched = len({f.pilot for f in self.findings if f.pilot})
        return (
            f"{len(self.findings)} finding(s) ({self.count(ERROR)} error(s), {self.count(WARNING)} warning(s)) "
            f"on {touched} of {self.use_cases} use case(s)"
        )

    def by_use_case(self) -> Iterator[tuple[Finding, list[Finding]]]:
        """Findings grouped by use case (the inventory-wide ones first, then by use case id and name)."""
        ordered = sorted(self.findings, key=_order)
        for _pilot, group in groupby(ordered, key=lambda f: f.pilot):
            found = list(group)
            yield found[0], found


def _order(f: Finding) -> tuple[bool, str, str, str]:
    return (bool(f.pilot), f.use_case_id.casefold() or "\uffff", f.pilot, f.name.casefold())


def lint_portfolio(portfolio: Portfolio) -> LintReport:
    """Every pilot, as the export would write it, checked against the 2025 data dictionary."""
    chosen = agency(portfolio)
    rows: list[LintRow] = []
    with stream_pilots(portfolio) as stream:
        for stored in stream:
            written = write_layout([with_agency(layout_row(stored.rows), chosen)], LAYOUT_2025)
            rows.append(LintRow(stored.rows.pilot.id, _read_back(written)[0]))
    return LintReport(use_cases=len(rows), agency=chosen, findings=lint_rows(rows))


def lint_file(db: Path, *, actor: str) -> LintReport:
    """lint_portfolio on a connection of its own, for a worker thread."""
    with Portfolio.open(db, actor=actor) as portfolio:
        return lint_portfolio(portfolio)


def _read_back(written: bytes) -> list[dict[str, str]]:
    try:
        text = written.decode("utf-8-sig")
    except UnicodeDecodeError:  # an export that keeps a cp1252 source's encoding
        text = written.decode("cp1252", errors="replace")
    return list(csv.DictReader(io.StringIO(text, newline="")))


# ---- the report's formats ---------------------------------------------------------------------------


def report_json(report: LintReport) -> dict[str, Any]:
    return {
        "use_cases": report.use_cases,
        "agency": {"abbr": report.agency.abbr.value, "name": report.agency.name.value},
        "errors": report.count(ERROR),
        "warnings": report.count(WARNING),
        "findings": [
            {
                "pilot": f.pilot,
                "use_case_id": f.use_case_id,
                "name": f.name,
                "column": f.column,
                "severity": f.severity,
                "kind": f.kind,
                "why": f.why,
            }
            for f in sorted(report.findings, key=_order)
        ],
    }


def report_text(report: LintReport) -> str:
    lines = [_agency_line(report.agency), report.summary]
    for head, findings in report.by_use_case():
        lines += ["", printable(use_case_title(head))]
        lines += [f"  {f.severity:<8} {f.column:<24} {f.kind}: {printable(f.why)}" for f in findings]
    return "\n".join(lines) + "\n"


def report_markdown(report: LintReport) -> str:
    lines = ["# OMB 2025 inventory lint", "", _agency_line(report.agency), "", report.summary]
    for head, findings in report.by_use_case():
        lines += [
            "",
            f"## {_md(use_case_title(head))}",
            "",
            "| severity | column | finding | why |",
            "|---|---|---|---|",
        ]
        lines += [f"| {f.severity} | `{f.column}` | {f.kind} | {_md(f.why)} |" for f in findings]
    return "\n".join(lines) + "\n"


def report_in(report: LintReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n"
    return report_markdown(report) if fmt == "markdown" else report_text(report)


def use_case_title(f: Finding) -> str:
    """'OMB-12 · Claims triage (pilot P-0012)'; the inventory-wide findings under 'The whole inventory'."""
    if not f.pilot:
        return "The whole inventory"
    shown = f.use_case_id or "no id"
    return f"{shown} · {f.name or 'no name'}" + (f" (pilot {f.pilot})" if f.pilot != f.use_case_id else "")


def _agency_line(chosen: Agency) -> str:
    def one(value: str, source: str) -> str:
        return f"{value} (from the {source})" if value else "not set"

    return f"Agency: {one(chosen.abbr.value, chosen.abbr.source)} · {one(chosen.name.value, chosen.name.source)}"


def _md(text: str) -> str:
    """User text in a Markdown table cell: one line, pipes and markup characters escaped."""
    safe = printable(text)
    for char in "\\|*_`[]<>#":
        safe = safe.replace(char, "\\" + char)
    return safe
