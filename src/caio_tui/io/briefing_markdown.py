"""The briefing as Markdown: for a wiki page, a ticket or an email; every piece of user text through `md`."""

from __future__ import annotations

from caio_tui.domain.text import clip
from caio_tui.io.briefing import (
    BELOW_GATE_NOTE,
    OVERRIDES_NOTE,
    STALLED_SHOWN,
    TERRITORY_LABEL,
    Briefing,
    from_label,
    headline,
    needs,
    override_stage,
    when,
)
from caio_tui.io.briefing_commercial import markdown_lines
from caio_tui.io.reports import md


def below_gate_markdown(b: Briefing) -> list[str]:
    out = ["", "## Below their gate", ""]
    if not b.below_gate:
        return [*out, "Every pilot would pass the gates up to where it stands."]
    out += [f"{b.below_gate} pilot(s). {BELOW_GATE_NOTE}", "", "| Pilot | Office | Stage | Failing rules |"]
    out.append("|---|---|---|---|")
    out += [
        f"| {md(s.id)} {md(clip(s.name, 60))} | {md(clip(s.office, 40))} | {s.stage.label} | "
        f"{'<br>'.join(md(clip(f, 160)) for f in s.failures)} |"
        for s in b.below_gate_shown
    ]
    if b.below_gate > len(b.below_gate_shown):
        out += ["", f"And {b.below_gate - len(b.below_gate_shown)} more (filter: below-gate)."]
    return out


def overrides_markdown(b: Briefing) -> list[str]:
    out = ["", f"## Gate overrides: {b.overrides}", ""]
    if not b.overrides:
        return [*out, "No move overrode its gate."]
    out += [OVERRIDES_NOTE, "", "| Pilot | Gate | Who | When | Justification |", "|---|---|---|---|---|"]
    out += [
        f"| {md(o.pilot_id)} {md(clip(o.name, 60))} | into {override_stage(o.to_stage)} | {md(o.actor)} | "
        f"{o.moved_at[:10]} | {md(clip(o.justification, 200))} |"
        for o in b.overrides_shown
    ]
    if b.overrides > len(b.overrides_shown):
        out += ["", f"And {b.overrides - len(b.overrides_shown)} older overrides."]
    return out


def briefing_markdown(b: Briefing) -> str:
    out = [
        f"# Portfolio briefing: {md(b.name)}",
        "",
        f"Taken {b.taken_at:%Y-%m-%d %H:%M} UTC by {md(b.taken_by)}; audit trail head: event {b.audit_head[0]}, "
        f"`{b.audit_head[1]}`.",
        "",
        headline(b),
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
    out += [f"| {TERRITORY_LABEL[t]} | {n} | {round(n / active * 100)}% |" for t, n in b.territory]
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
            f"{'<br>'.join(md(n) for n in needs(d, b.catalog)) or 'passes every gate'} |"
            for d in b.closest
        ]
    else:
        out.append("No pilot is on its way to production.")
    out += below_gate_markdown(b)
    out += overrides_markdown(b)
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
            f"| {when(m.move.moved_at)} | {md(m.pilot_id)} {md(clip(m.name, 60))} | "
            f"{from_label(m.move)} → {m.move.to_stage.label} | {md(m.move.actor)} | "
            f"{md(clip(m.move.override, 120)) or '-'} |"
            for m in b.recent
        ]
    else:
        out.append("No moves yet.")
    out += markdown_lines(b.commercial)
    return "\n".join(out) + "\n"
