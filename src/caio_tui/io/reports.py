"""Reports for people: a CSV row per pilot, and the briefing (Markdown and a self-contained HTML page).

The briefing answers a leadership review's questions: how the funnel looks, which kind of gap holds the
portfolio back, which single fix unblocks the most pilots, which pilots are closest to production and what
each still needs, which pilots stall, and what moved lately.

User text is data: CSV cells a spreadsheet would run as a formula are neutralized, Markdown punctuation is
escaped, and every piece of user text in the HTML goes through html.escape. The HTML loads nothing: inline
CSS and SVG, no script, no URL.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from caio_tui.domain.blockers import Blocker
from caio_tui.domain.coverage import Catalog, Coverage, CoverageStatus
from caio_tui.domain.derived import Derivation
from caio_tui.domain.gates import Change
from caio_tui.domain.leverage import ClosestCounter, Distance, GateFacts, LeverageCounter, TagLeverage
from caio_tui.domain.pilots import Pilot, PilotRecord, StageMove
from caio_tui.domain.stages import PIPELINE, Stage, is_stalled
from caio_tui.domain.territory import CATEGORY_WEIGHT, BlockerCategory, Territory
from caio_tui.domain.text import clip, printable
from caio_tui.store import Portfolio
from caio_tui.store.transfer import (
    MoveRow,
    PilotFacts,
    Progress,
    StoredPilot,
    categories_of,
    read_records,
    recent_moves,
    stream_facts,
    stream_pilots,
)

# Public reviews of the inventories found fewer than a third of AI initiatives in production.
PRODUCTION_BENCHMARK = 1 / 3
TOP = 10

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


def h(text: str) -> str:
    return html.escape(printable(text), quote=True)


# ---- CSV -------------------------------------------------------------------------------------------

_STATUS = {s.value: s for s in CoverageStatus}
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
    days = _days(now, p.stage_entered_at)
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


def _days(now: datetime, entered: str) -> int:
    return max(0, (now - datetime.fromisoformat(entered)).days)


def _open_tags(stored: StoredPilot, categories: dict[str, BlockerCategory]) -> list[str]:
    """Open blocker tags, most important first (the order the table and the store use)."""
    open_rows = [b for b in stored.rows.blockers if b.resolved_at is None]
    ordered = sorted(open_rows, key=lambda b: (CATEGORY_WEIGHT[categories[b.tag]], b.opened_at, b.tag))
    return list(dict.fromkeys(b.tag for b in ordered))


def pilots_csv(portfolio: Portfolio) -> bytes:
    buffer = io.BytesIO()
    write_pilots_csv(portfolio, buffer)
    return buffer.getvalue()


# ---- the briefing's content ------------------------------------------------------------------------


@dataclass(frozen=True)
class RecentMove:
    pilot_id: str
    name: str
    move: StageMove


@dataclass(frozen=True)
class Stalled:
    id: str
    name: str
    office: str
    stage: Stage
    days: int
    territory: str
    top_blocker: str


@dataclass
class Briefing:
    name: str
    taken_at: datetime
    taken_by: str
    stalled_days: int
    catalog: Catalog
    total: int
    funnel: list[tuple[Stage, int]]
    territory: list[tuple[Territory, int]]
    leverage: list[TagLeverage]
    closest: list[Distance]
    stalled: list[Stalled]  # every stalled pilot, longest first (the reports show the first STALLED_SHOWN)
    recent: list[RecentMove]
    in_production: int = 0
    active: int = 0
    audit_head: tuple[int, str] = (0, "")  # (newest event, its hash) when taken: `caio-tui verify --head FILE`

    @property
    def production_share(self) -> float:
        return self.in_production / self.active if self.active else 0.0


STALLED_SHOWN = 15


def build_briefing(portfolio: Portfolio, progress: Progress | None = None) -> Briefing:
    """Everything the briefing shows, in one pass over the pilots' facts (fields, derived columns, item
    statuses and open blocker tags: no evidence, notes or history); full records and gate evaluations only
    for the few pilots a section shows or a leverage check needs."""
    catalog, rules, tags = portfolio.catalog(), portfolio.rules(), portfolio.tags()
    categories = {t.tag: t.category for t in tags}
    now, stalled_days = portfolio.clock(), portfolio.stalled_days
    leverage = LeverageCounter(tags, rules, catalog)
    closest = ClosestCounter(rules, catalog, TOP)
    counts = {s: 0 for s in Stage}
    territory = {t: 0 for t in Territory}
    stalled: list[Stalled] = []
    total = portfolio.count() if progress else 0
    stages = {s.value: s for s in Stage}
    with stream_facts(portfolio) as stream:
        for index, p in enumerate(stream, start=1):
            stage = stages[p.stage]
            counts[stage] += 1
            if stage is not Stage.RETIRED:
                territory[Territory(p.territory)] += 1
            days = _days(now, p.stage_entered_at)
            if is_stalled(stage, days, stalled_days):
                stalled.append(Stalled(p.id, p.name, p.office, stage, days, p.territory, p.top_blocker))
            facts = GateFacts(
                stage=stage,
                high_impact=p.high_impact,
                fields={"name": p.name, "office": p.office, "owner": p.owner, "description": p.description},
                statuses={item: _STATUS[status] for item, status in p.statuses.items()},
                open_blockers=[(tag, categories[tag]) for tag in p.open_tags],
            )

            def gate_record(p: PilotFacts = p, facts: GateFacts = facts) -> PilotRecord:
                return _gate_record(p, facts)

            def full_record(pilot_id: str = p.id) -> PilotRecord:
                return read_records(portfolio, [pilot_id])[0]

            leverage.add(p.id, facts, gate_record)
            closest.add(p.id, facts, p.readiness, full_record)
            if progress and index % 1000 == 0:
                progress(index, total)
    stalled.sort(key=lambda s: (-s.days, s.id))
    return Briefing(
        name=portfolio.name,
        taken_at=now,
        taken_by=portfolio.actor,
        stalled_days=stalled_days,
        catalog=catalog,
        total=sum(counts.values()),
        funnel=[(s, counts[s]) for s in (*PIPELINE, Stage.RETIRED)],
        territory=[(t, territory[t]) for t in Territory],
        leverage=leverage.result()[:TOP],
        closest=closest.result(),
        stalled=stalled,
        recent=[RecentMove(pilot_id, name, _move(pilot_id, m)) for pilot_id, name, m in recent_moves(portfolio, TOP)],
        in_production=counts[Stage.PRODUCTION] + counts[Stage.SCALED],
        active=sum(counts.values()) - counts[Stage.RETIRED],
        audit_head=portfolio.audit_head(),
    )


def _gate_record(p: PilotFacts, facts: GateFacts) -> PilotRecord:
    """A record holding what a gate looks at (fields, item statuses, open blockers), for a leverage check:
    evaluated, never shown. Times the facts do not carry are the stage's entry."""
    entered = datetime.fromisoformat(p.stage_entered_at)
    pilot = Pilot(
        id=p.id,
        name=p.name,
        office=p.office,
        owner=p.owner,
        stage=facts.stage,
        high_impact=p.high_impact,
        description=p.description,
        created_at=entered,
        stage_entered_at=entered,
    )
    # Constructed, not validated: the statuses are the store's (a waiver's justification is not carried).
    coverage = {item: Coverage.model_construct(item=item, status=status) for item, status in facts.statuses.items()}
    blockers = tuple(
        Blocker(id=index, pilot_id=p.id, tag=tag, category=category, opened_at=entered, opened_by="")
        for index, (tag, category) in enumerate(facts.open_blockers, start=1)
    )
    return PilotRecord.model_construct(pilot=pilot, coverage=coverage, blockers=blockers, stage_history=())


def _move(pilot_id: str, m: MoveRow) -> StageMove:
    return StageMove(
        pilot_id=pilot_id,
        from_stage=Stage(m.from_stage) if m.from_stage else None,
        to_stage=Stage(m.to_stage),
        moved_at=datetime.fromisoformat(m.moved_at),
        actor=m.actor,
        override=m.override,
        failed_rules=tuple(json.loads(m.failed_rules)),
    )


def need_text(change: Change, record: PilotRecord, catalog: Catalog) -> str:
    """One change a pilot still needs, in words."""
    if change.kind == "set_coverage":
        cov = record.coverage.get(change.target)
        now = (cov.status if cov else CoverageStatus.NOT_ASSESSED).value.replace("_", " ")
        text = next((i.text for i in catalog.items() if i.id == change.target), change.target)
        return f"{text} ({change.target}): {now} → {change.to}"
    if change.kind == "resolve_blocker":
        return f"resolve the {change.target} blocker"
    return f"record the {change.target}"


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"


def _headline(b: Briefing) -> str:
    share = round(b.production_share * 100)
    verdict = "below" if b.production_share < PRODUCTION_BENCHMARK else "at or above"
    return (
        f"{b.total} pilots; {b.in_production} of {b.active} active ({share}%) in production or scaled, "
        f"{verdict} the one-third mark that public reviews of the inventories found; {len(b.stalled)} stalled "
        f"(over {b.stalled_days} days in pilot or readiness)."
    )


def _needs(d: Distance, catalog: Catalog, limit: int = 4) -> list[str]:
    changes = list(d.result.least_changes)
    shown = [need_text(c, d.record, catalog) for c in changes[:limit]]
    if len(changes) > limit:
        shown.append(f"and {len(changes) - limit} more")
    return shown


# ---- Markdown --------------------------------------------------------------------------------------


def briefing_markdown(b: Briefing) -> str:
    out = [
        f"# Portfolio briefing: {md(b.name)}",
        "",
        f"Taken {b.taken_at:%Y-%m-%d %H:%M} UTC by {md(b.taken_by)}; audit trail head: event {b.audit_head[0]}, "
        f"`{b.audit_head[1]}`.",
        "",
        _headline(b),
        "",
        "## Funnel",
        "",
        "| Stage | Pilots | |",
        "|---|---:|---|",
    ]
    top = max([n for _, n in b.funnel] + [1])
    out += [f"| {s.label} | {n} | {'█' * round(n / top * 20)} |" for s, n in b.funnel]
    out += ["", "## Territory", "", "Which kind of gap holds the active pilots back.", ""]
    out += ["| Territory | Pilots | Share |", "|---|---:|---:|"]
    active = max(1, sum(n for _, n in b.territory))
    out += [f"| {_TERRITORY_LABEL[t]} | {n} | {round(n / active * 100)}% |" for t, n in b.territory]
    out += ["", "## Top blockers by leverage", ""]
    if b.leverage:
        out += [
            "Leverage: how many pilots would pass their next gate if the tag's blockers were resolved and "
            "the areas it hits were covered.",
            "",
            "| Tag | Category | Hits | Open on | Leverage | Would unlock |",
            "|---|---|---|---:|---:|---|",
        ]
        out += [
            f"| {md(t.tag)} | {t.category.value} | {md(', '.join(t.areas)) or '-'} | {len(t.open_on)} | "
            f"{t.leverage} | {md(', '.join(t.unlocks)) or '-'} |"
            for t in b.leverage
        ]
    else:
        out.append("No open blockers.")
    out += ["", "## Closest to production", ""]
    if b.closest:
        out += ["| Pilot | Stage | Readiness | Changes | What it still needs |", "|---|---|---:|---:|---|"]
        out += [
            f"| {md(d.record.pilot.id)} {md(clip(d.record.pilot.name, 60))} | {d.record.pilot.stage.label} | "
            f"{round(d.record.pilot.readiness * 100)}% | {d.changes} | "
            f"{'<br>'.join(md(n) for n in _needs(d, b.catalog)) or 'passes every gate'} |"
            for d in b.closest
        ]
    else:
        out.append("No pilot is on its way to production.")
    out += ["", "## Stalled pilots", ""]
    if b.stalled:
        out += [
            f"In pilot or readiness for more than {b.stalled_days} days (extended evaluations).",
            "",
            "| Pilot | Office | Stage | Days | Territory | Top blocker |",
            "|---|---|---|---:|---|---|",
        ]
        out += [
            f"| {md(s.id)} {md(clip(s.name, 60))} | {md(clip(s.office, 40))} | {s.stage.label} | {s.days} | "
            f"{s.territory} | {md(s.top_blocker) or '-'} |"
            for s in b.stalled[:STALLED_SHOWN]
        ]
        if len(b.stalled) > STALLED_SHOWN:
            out += ["", f"And {len(b.stalled) - STALLED_SHOWN} more stalled pilots."]
    else:
        out.append("No stalled pilot.")
    out += ["", "## Recent moves", ""]
    if b.recent:
        out += ["| When | Pilot | Move | By | Gate override |", "|---|---|---|---|---|"]
        out += [
            f"| {_when(m.move.moved_at)} | {md(m.pilot_id)} {md(clip(m.name, 60))} | "
            f"{_from_label(m.move)} → {m.move.to_stage.label} | {md(m.move.actor)} | "
            f"{md(clip(m.move.override, 120)) or '-'} |"
            for m in b.recent
        ]
    else:
        out.append("No moves yet.")
    return "\n".join(out) + "\n"


def _from_label(move: StageMove) -> str:
    return move.from_stage.label if move.from_stage else "-"


_TERRITORY_LABEL: dict[Territory, str] = {
    Territory.CLEAR: "Clear (no open blocker)",
    Territory.INFRASTRUCTURE: "Infrastructure (identity, infrastructure, governance)",
    Territory.ORGANIZATIONAL: "Organizational",
    Territory.BOTH: "Both",
}

# ---- HTML ------------------------------------------------------------------------------------------

_STAGE_COLOUR: dict[Stage, str] = {
    Stage.INTAKE: "#9aa5b1",
    Stage.POC: "#7b93b8",
    Stage.PILOT: "#4f7cc4",
    Stage.READINESS: "#2f5fa8",
    Stage.PRODUCTION: "#2e8b57",
    Stage.SCALED: "#1f6b40",
    Stage.RETIRED: "#b8b8b8",
}
_TERRITORY_COLOUR: dict[Territory, str] = {
    Territory.CLEAR: "#3c9d5d",
    Territory.INFRASTRUCTURE: "#c8553d",
    Territory.ORGANIZATIONAL: "#e0a030",
    Territory.BOTH: "#8e3b6e",
}

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1d2733; background: #f3f5f8; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 40px; }
header { border-bottom: 3px solid #1f3a5f; margin-bottom: 18px; padding-bottom: 10px; }
h1 { font-size: 24px; margin: 0 0 4px; color: #1f3a5f; }
h2 { font-size: 17px; margin: 0 0 10px; color: #1f3a5f; }
.meta { color: #5b6775; font-size: 13px; }
.headline { font-size: 15px; margin: 10px 0 0; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
section { background: #fff; border: 1px solid #dde3ea; border-radius: 6px; padding: 14px 16px; margin-bottom: 16px;
  break-inside: avoid; page-break-inside: avoid; }
.grid section { margin-bottom: 0; }
.grid { margin-bottom: 16px; }
p.note { color: #5b6775; font-size: 12.5px; margin: 0 0 8px; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid #e8ecf1; }
th { background: #eef2f7; font-weight: 600; color: #33414f; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.id { white-space: nowrap; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
ul.needs { margin: 0; padding-left: 16px; }
ul.needs li { margin: 0; }
.tag { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; background: #eef2f7;
  border-radius: 3px; padding: 0 4px; white-space: nowrap; }
.cat { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 8px; color: #fff; }
.cat-identity { background: #b24a3a; } .cat-infrastructure { background: #c8553d; }
.cat-governance { background: #7d5ba6; } .cat-organizational { background: #d08c1f; }
.override { color: #9b2c2c; font-weight: 600; }
.empty { color: #5b6775; font-style: italic; }
svg text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: #1d2733; }
svg .light { fill: #fff; font-weight: 600; }
footer { color: #5b6775; font-size: 12px; margin-top: 8px; }
.share { margin-top: 18px; padding-top: 12px; border-top: 1px solid #e8ecf1; }
@media (max-width: 800px) { .grid { grid-template-columns: 1fr; } }
@media print {
  @page { size: letter; margin: 14mm 12mm; }
  body { background: #fff; font-size: 11px; }
  main { max-width: none; padding: 0; }
  section { border: 1px solid #c8ced6; border-radius: 0; break-inside: auto; page-break-inside: auto; }
  .grid section { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  .grid { grid-template-columns: 1fr 1fr; }
  th { background: #eef2f7 !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  svg, .cat { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr { break-inside: avoid; page-break-inside: avoid; }
}
"""


def _funnel_svg(b: Briefing) -> str:
    width, row, label_w, count_w = 480, 26, 150, 40
    top = max([n for _, n in b.funnel] + [1])
    bar_w = width - label_w - count_w
    parts = [
        f'<svg role="img" aria-label="Pilots per stage" width="100%" viewBox="0 0 {width} {row * len(b.funnel)}" '
        'preserveAspectRatio="xMinYMin meet">'
    ]
    for i, (stage, n) in enumerate(b.funnel):
        y = i * row
        w = max(2.0, n / top * bar_w) if n else 0.0
        parts.append(f'<text x="0" y="{y + 17}">{h(stage.label)}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" rx="3" fill="{_STAGE_COLOUR[stage]}">'
            f"<title>{h(stage.label)}: {n}</title></rect>"
        )
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 17}">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _share_svg(b: Briefing) -> str:
    """The share of active pilots in production or scaled, against the one-third mark."""
    width, bar_y, bar_h = 480, 22, 16
    share = min(1.0, b.production_share)
    mark = PRODUCTION_BENCHMARK * width
    label = f"{b.in_production} of {b.active} active pilots in production or scaled ({round(share * 100)}%)"
    return (
        f'<svg role="img" aria-label="Share in production" width="100%" viewBox="0 0 {width} 58" '
        'preserveAspectRatio="xMinYMin meet">'
        f'<text x="0" y="13">{h(label)}</text>'
        f'<rect x="0" y="{bar_y}" width="{width}" height="{bar_h}" rx="3" fill="#e8ecf1"/>'
        f'<rect x="0" y="{bar_y}" width="{share * width:.1f}" height="{bar_h}" rx="3" '
        f'fill="{_STAGE_COLOUR[Stage.PRODUCTION]}"/>'
        f'<line x1="{mark:.1f}" y1="{bar_y - 4}" x2="{mark:.1f}" y2="{bar_y + bar_h + 4}" stroke="#1d2733" '
        'stroke-width="2" stroke-dasharray="3 2"/>'
        f'<text x="{mark:.1f}" y="{bar_y + bar_h + 16}" text-anchor="middle">one third</text>'
        "</svg>"
    )


def _territory_svg(b: Briefing) -> str:
    width, height = 480, 34
    total = sum(n for _, n in b.territory)
    parts = [
        f'<svg role="img" aria-label="Territory split" width="100%" viewBox="0 0 {width} {height + 58}" '
        'preserveAspectRatio="xMinYMin meet">'
    ]
    x = 0.0
    for territory, n in b.territory:
        if not n or not total:
            continue
        w = n / total * width
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{_TERRITORY_COLOUR[territory]}">'
            f"<title>{h(_TERRITORY_LABEL[territory])}: {n}</title></rect>"
        )
        if w > 34:
            parts.append(f'<text class="light" x="{x + w / 2:.1f}" y="22" text-anchor="middle">{n}</text>')
        x += w
    if not total:
        parts.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#e8ecf1"/>')
    for i, (territory, n) in enumerate(b.territory):
        lx, ly = (i % 2) * 240, height + 16 + (i // 2) * 20
        parts.append(
            f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" rx="2" fill="{_TERRITORY_COLOUR[territory]}"/>'
        )
        short = _TERRITORY_LABEL[territory].split(" (")[0]
        parts.append(f'<text x="{lx + 18}" y="{ly}">{h(short)}: {n}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _leverage_svg(b: Briefing) -> str:
    shown = b.leverage[:8]
    width, row, label_w = 1000, 24, 230
    top = max([len(t.open_on) for t in shown] + [1])
    bar_w = width - label_w - 70
    parts = [
        f'<svg role="img" aria-label="Blockers by leverage" width="100%" viewBox="0 0 {width} {row * len(shown) + 4}" '
        'preserveAspectRatio="xMinYMin meet">'
    ]
    for i, t in enumerate(shown):
        y = i * row
        open_w = len(t.open_on) / top * bar_w
        unlock_w = t.leverage / top * bar_w
        parts.append(f'<text x="0" y="{y + 16}">{h(clip(t.tag, 28))}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{open_w:.1f}" height="{row - 8}" rx="3" fill="#d5dce5">')
        parts.append(f"<title>{h(t.tag)}: open on {len(t.open_on)}</title></rect>")
        if unlock_w:
            parts.append(
                f'<rect x="{label_w}" y="{y + 4}" width="{unlock_w:.1f}" height="{row - 8}" rx="3" fill="#2f5fa8">'
                f"<title>{h(t.tag)}: would unlock {t.leverage}</title></rect>"
            )
        parts.append(f'<text x="{label_w + open_w + 6:.1f}" y="{y + 16}">{t.leverage} of {len(t.open_on)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _territory_table(b: Briefing) -> str:
    active = max(1, sum(n for _, n in b.territory))
    rows = [[("", h(_TERRITORY_LABEL[t])), ("n", str(n)), ("n", f"{round(n / active * 100)}%")] for t, n in b.territory]
    return _table([("", "Territory"), ("n", "Pilots"), ("n", "Share")], rows)


def _cat(category: str) -> str:
    return f'<span class="cat cat-{h(category)}">{h(category)}</span>'


def _table(header: list[tuple[str, str]], rows: list[list[tuple[str, str]]]) -> str:
    """Cells are (css class, already-escaped html)."""
    head = "".join(f'<th class="{c}">{text}</th>' if c else f"<th>{text}</th>" for c, text in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="{c}">{text}</td>' if c else f"<td>{text}</td>" for c, text in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def briefing_html(b: Briefing) -> str:
    title = f"Portfolio briefing: {b.name}"
    sections = [
        '<div class="grid">',
        f'<section><h2>Funnel</h2><p class="note">Pilots per stage.</p>{_funnel_svg(b)}'
        f'<div class="share">{_share_svg(b)}</div></section>',
        '<section><h2>Territory</h2><p class="note">Which kind of gap holds the active pilots back: '
        "identity, infrastructure and governance gaps, or organizational ones.</p>"
        f"{_territory_svg(b)}{_territory_table(b)}</section>",
        "</div>",
        _leverage_section(b),
        _closest_section(b),
        _stalled_section(b),
        _recent_section(b),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="caio-tui-audit-head" content="{b.audit_head[0]}:{h(b.audit_head[1])}">'
        f"<title>{h(title)}</title><style>{_CSS}</style></head>\n<body><main>"
        f"<header><h1>{h(title)}</h1>"
        f'<div class="meta">Taken {b.taken_at:%Y-%m-%d %H:%M} UTC by {h(b.taken_by)} · caio-tui</div>'
        f'<p class="headline">{h(_headline(b))}</p></header>\n'
        + "\n".join(sections)
        + "\n<footer>Generated offline by caio-tui from the portfolio file; nothing in this page is fetched."
        f"<br>Audit trail head when taken: event {b.audit_head[0]}, <code>{h(b.audit_head[1])}</code> "
        "(keep this page: <code>caio-tui verify --head</code> on it proves the trail has not been rewritten "
        "since).</footer>"
        "</main></body></html>\n"
    )


def _leverage_section(b: Briefing) -> str:
    if not b.leverage:
        return '<section><h2>Top blockers by leverage</h2><p class="empty">No open blockers.</p></section>'
    rows = [
        [
            ("", f'<span class="tag">{h(t.tag)}</span>'),
            ("", _cat(t.category.value)),
            ("", h(", ".join(t.areas)) or "–"),
            ("n", str(len(t.open_on))),
            ("n", f"<strong>{t.leverage}</strong>"),
            ("", h(", ".join(t.unlocks)) or "–"),
        ]
        for t in b.leverage
    ]
    header = [("", "Tag"), ("", "Category"), ("", "Hits"), ("n", "Open on"), ("n", "Leverage"), ("", "Would unlock")]
    return (
        "<section><h2>Top blockers by leverage</h2>"
        '<p class="note">Leverage: how many pilots would pass their next gate if the tag\'s blockers were resolved '
        "and the areas it hits were covered. Dark bar: pilots unlocked; light bar: pilots carrying the tag.</p>"
        f"{_leverage_svg(b)}{_table(header, rows)}</section>"
    )


def _closest_section(b: Briefing) -> str:
    if not b.closest:
        return '<section><h2>Closest to production</h2><p class="empty">No pilot is on its way.</p></section>'
    rows = []
    for d in b.closest:
        p = d.record.pilot
        needs = _needs(d, b.catalog)
        listed = "".join(f"<li>{h(n)}</li>" for n in needs)
        rows.append(
            [
                ("id", h(p.id)),
                ("", f'{h(p.name)}<br><span class="meta">{h(p.office)}</span>'),
                ("", h(p.stage.label)),
                ("n", f"{round(p.readiness * 100)}%"),
                ("n", str(d.changes)),
                ("", f'<ul class="needs">{listed}</ul>' if needs else "passes every gate"),
            ]
        )
    header = [("", "ID"), ("", "Pilot"), ("", "Stage"), ("n", "Ready"), ("n", "Changes"), ("", "What it still needs")]
    return (
        "<section><h2>Closest to production</h2>"
        '<p class="note">Fewest changes to pass every gate up to production.</p>'
        f"{_table(header, rows)}</section>"
    )


def _stalled_section(b: Briefing) -> str:
    if not b.stalled:
        return '<section><h2>Stalled pilots</h2><p class="empty">No stalled pilot.</p></section>'
    rows = [
        [
            ("id", h(s.id)),
            ("", h(s.name)),
            ("", h(s.office)),
            ("", h(s.stage.label)),
            ("n", str(s.days)),
            ("", h(s.territory)),
            ("", f'<span class="tag">{h(s.top_blocker)}</span>' if s.top_blocker else "–"),
        ]
        for s in b.stalled[:STALLED_SHOWN]
    ]
    header = [
        ("", "ID"),
        ("", "Pilot"),
        ("", "Office"),
        ("", "Stage"),
        ("n", "Days"),
        ("", "Territory"),
        ("", "Top blocker"),
    ]
    hidden = len(b.stalled) - STALLED_SHOWN
    more = f'<p class="note">And {hidden} more stalled pilots.</p>' if hidden > 0 else ""
    return (
        f'<section><h2>Stalled pilots</h2><p class="note">In pilot or readiness for more than {b.stalled_days} days '
        f"(extended evaluations), longest first.</p>{_table(header, rows)}{more}</section>"
    )


def _recent_section(b: Briefing) -> str:
    if not b.recent:
        return '<section><h2>Recent moves</h2><p class="empty">No moves yet.</p></section>'
    rows = [
        [
            ("id", h(_when(m.move.moved_at))),
            ("id", h(m.pilot_id)),
            ("", h(m.name)),
            ("", f"{h(_from_label(m.move))} → {h(m.move.to_stage.label)}"),
            ("", h(m.move.actor)),
            ("", f'<span class="override">override:</span> {h(m.move.override)}' if m.move.override else "–"),
        ]
        for m in b.recent
    ]
    header = [("", "When"), ("", "ID"), ("", "Pilot"), ("", "Move"), ("", "By"), ("", "Gate")]
    return f"<section><h2>Recent moves</h2>{_table(header, rows)}</section>"
