"""Reports for people in text formats: the CSV of pilots, and the escaping of user text they share.

User text is data: CSV cells a spreadsheet would run as a formula are neutralized, and Markdown punctuation
is escaped (`md`, also used by the diff and the views). The briefing is in `briefing` (its content),
`briefing_markdown` and `briefing_html` (an autoescaping template).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from datetime import datetime
from typing import Any, BinaryIO

from caio_tui.domain.derived import Derivation
from caio_tui.domain.stages import Stage, is_stalled
from caio_tui.domain.territory import CATEGORY_WEIGHT, BlockerCategory
from caio_tui.domain.text import printable
from caio_tui.io.briefing import days_since
from caio_tui.store import Portfolio
from caio_tui.store.transfer import Progress, StoredPilot, categories_of, stream_pilots

# ---- escaping --------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


# Characters that could start markup anywhere in a line; `(` is harmless once `[` and `]` are escaped.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~])")
_MD_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_MD_LINE_START = re.compile(r"^(\s*)([#+\-=]|\d+(?=[.)]))")


def md(text: str) -> str:
    """User text for a Markdown table cell or list item: one line, punctuation escaped so it shows as
    typed (no links, no HTML, no emphasis, no heading, no broken table)."""
    escaped = _MD_SPECIAL.sub(r"\\\1", printable(text).strip())
    escaped = _MD_ENTITY.sub("&amp;", escaped)
    # A leading list or heading mark; after digits ("1.") the escape goes before the punctuation.
    return _MD_LINE_START.sub(_escape_start, escaped)


def _escape_start(match: re.Match[str]) -> str:
    lead, mark = match.group(1), match.group(2)
    return f"{lead}{mark}\\" if mark[0].isdigit() else f"{lead}\\{mark}"


# ---- CSV -------------------------------------------------------------------------------------------

_FLUSH_EVERY = 1000  # rows


def write_pilots_csv(portfolio: Portfolio, out: BinaryIO, progress: Progress | None = None) -> None:
    """A row per pilot: its fields, stage, readiness overall and per area, territory and open blockers.
    UTF-8 with a byte-order mark so spreadsheets read the accents right. Streamed pilot by pilot."""
    catalog = portfolio.catalog()
    categories = categories_of(portfolio)
    now, stalled_days = portfolio.clock(), portfolio.stalled_days
    areas = [a.id for a in catalog.areas(high_impact=True)]
    scorer = Derivation(catalog)
    total = portfolio.count() if progress else 0
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS_BEFORE_AREAS + [f"{a}_percent" for a in areas] + CSV_COLUMNS_AFTER_AREAS)
    out.write(codecs.BOM_UTF8)
    with stream_pilots(portfolio) as stream:
        for index, stored in enumerate(stream, start=1):
            writer.writerow([csv_cell(v) for v in _csv_row(stored, scorer, categories, areas, now, stalled_days)])
            if index % _FLUSH_EVERY == 0:
                out.write(buffer.getvalue().encode("utf-8", errors="surrogatepass"))
                buffer.seek(0)
                buffer.truncate()
                if progress:
                    progress(index, total)
    out.write(buffer.getvalue().encode("utf-8", errors="surrogatepass"))


CSV_COLUMNS_BEFORE_AREAS = [
    "id",
    "name",
    "office",
    "owner",
    "description",
    "stage",
    "omb_2025_stage",
    "high_impact",
    "days_in_stage",
    "stalled",
    "readiness_percent",
]
CSV_COLUMNS_AFTER_AREAS = ["territory", "open_blockers", "top_blocker"]


def _csv_row(
    stored: StoredPilot,
    scorer: Derivation,
    categories: dict[str, BlockerCategory],
    areas: list[str],
    now: datetime,
    stalled_days: int,
) -> list[Any]:
    p = stored.rows.pilot
    stage = Stage(p.stage)
    overall, by_area = scorer.by_area({c.item_id: c.status for c in stored.rows.coverage}, p.high_impact)
    days = days_since(now, p.stage_entered_at)
    open_tags = _open_tags(stored, categories)
    row: list[Any] = [
        p.id,
        p.name,
        p.office,
        p.owner,
        p.description,
        stage.value,
        stage.omb_2025,
        "yes" if p.high_impact else "no",
        days,
        "yes" if is_stalled(stage, days, stalled_days) else "no",
        round(overall * 100),
    ]
    for area in areas:
        if area not in by_area:  # an M-25-21 practice area of a use case that is not high-impact
            row.append("")
        else:  # None: every item waived or not applicable
            found = by_area[area]
            row.append("waived" if found is None else round(found * 100))
    return [*row, stored.territory, "; ".join(open_tags), open_tags[0] if open_tags else ""]


def _open_tags(stored: StoredPilot, categories: dict[str, BlockerCategory]) -> list[str]:
    """Open blocker tags, most important first (the order the table and the store use)."""
    open_rows = [b for b in stored.rows.blockers if b.resolved_at is None]
    ordered = sorted(open_rows, key=lambda b: (CATEGORY_WEIGHT[categories[b.tag]], b.opened_at, b.tag))
    return list(dict.fromkeys(b.tag for b in ordered))


def pilots_csv(portfolio: Portfolio) -> bytes:
    buffer = io.BytesIO()
    write_pilots_csv(portfolio, buffer)
    return buffer.getvalue()
