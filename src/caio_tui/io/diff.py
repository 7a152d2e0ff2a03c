"""`caio-tui diff OLD NEW`: load each side (a snapshot file or a portfolio file) and render what moved
as text, Markdown or JSON. The comparison itself is domain.diff.compare."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from caio_tui.domain.diff import PilotDelta, PortfolioDiff, PortfolioState, compare
from caio_tui.domain.text import clip, printable
from caio_tui.io.reports import md
from caio_tui.io.snapshot import Snapshot, SnapshotError, parse, snapshot_of, state_of
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.bulk import no_cycle_collection
from caio_tui.store.database import copy_database, latest_version
from caio_tui.store.leftovers import mark, remove_stale
from caio_tui.store.open_files import is_open_here, read_header

DIFF_FORMATS = ("text", "markdown", "json")
Clock = Callable[[], datetime]
_SQLITE_HEADER = b"SQLite format 3\x00"
_HEADER_SIZE = 100  # SQLite's file header; its schema version (PRAGMA user_version) is at bytes 60-63
_WAL_BYTE, _WAL_FORMAT = 18, 2  # the file format's write version: 2 in WAL mode, 1 with a rollback journal
_COPY_PREFIX = "caio-tui-diff-"


def load_side(path: Path, *, actor: str, clock: Clock | None = None) -> PortfolioState:
    """A snapshot file or a portfolio database, as a state to compare. Errors name the file.

    Reading a side never changes its file: a portfolio of an older schema, or in a rollback journal, is
    read from a private copy, since opening it in place would upgrade it (and leave a backup beside it) or
    switch it to WAL. clock is the portfolio's "now" (the time the state of a portfolio file is taken at)."""
    kind = _kind(path)
    with no_cycle_collection():
        if kind == "snapshot":
            return state_of(parse(_snapshot_bytes(path), str(path)))
        if kind == "copy":
            return _state_of_copy(path, actor, clock)
        return _state_of_database(path, actor, clock)


def _kind(path: Path) -> str:
    """ "snapshot", "portfolio" (read in place: current schema, in WAL mode) or "copy". The file is opened
    outside SQLite only when no connection of this process has it open (open_files.read_header)."""
    try:
        if path.stat().st_size == 0:
            return "snapshot"  # whose reader says why an empty file is not one
        head = read_header(path, _HEADER_SIZE)
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read ({exc.strerror})") from None
    if head is None:
        return "portfolio"  # open here already: so a portfolio of this version, in WAL mode
    if head[: len(_SQLITE_HEADER)] != _SQLITE_HEADER:
        return "snapshot"
    in_wal = len(head) > _WAL_BYTE and head[_WAL_BYTE] == _WAL_FORMAT
    return "portfolio" if in_wal and _schema_version(head) >= latest_version() else "copy"


def _snapshot_bytes(path: Path) -> bytes:
    if is_open_here(path):  # checked again: reading it outside SQLite would drop this process's locks
        raise SnapshotError(f"{path}: is open as a portfolio here; not a snapshot")
    if path.is_dir():
        raise SnapshotError(f"{path}: cannot read (Is a directory)")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read ({exc.strerror})") from None


def _schema_version(head: bytes) -> int:
    return int.from_bytes(head[60:64], "big") if len(head) >= 64 else 0


def _state_of_database(path: Path, actor: str, clock: Clock | None) -> PortfolioState:
    opened = Portfolio.open(path, actor=actor) if clock is None else Portfolio.open(path, actor=actor, clock=clock)
    with opened as portfolio:
        return state_of(Snapshot.model_validate(snapshot_of(portfolio)))


def _state_of_copy(path: Path, actor: str, clock: Clock | None) -> PortfolioState:
    """The state of a portfolio file read from a copy in a private temporary folder, made by SQLite from a
    read-only connection (its last commits in the -wal included), so the upgrade on opening, and the
    switch to WAL, happen to the copy only. A copy a killed diff left is removed by the next one."""
    remove_stale(Path(tempfile.gettempdir()), _COPY_PREFIX)
    with tempfile.TemporaryDirectory(prefix=f"{_COPY_PREFIX}{mark()}-") as folder:
        copy = Path(folder) / path.name
        try:
            copy_database(path, copy)
            return _state_of_database(copy, actor, clock)
        except StoreError as exc:  # name the user's file, not the copy
            raise StoreError(str(exc).replace(str(copy), str(path))) from None


def diff_files(old: Path, new: Path, *, actor: str, clock: Clock | None = None) -> PortfolioDiff:
    return compare(load_side(old, actor=actor, clock=clock), load_side(new, actor=actor, clock=clock))


def report(
    old: Path, new: Path, *, actor: str, at: datetime | None = None, old_label: str = "old", new_label: str = "new"
) -> dict[str, Any]:
    """What the TUI shows, in plain data (it crosses a process boundary as JSON): the text form, the counts
    of io.diff.counts and whether the sides are identical. at is "now" for a portfolio file's side."""
    clock = None if at is None else (lambda: at)
    found = diff_files(old, new, actor=actor, clock=clock)
    return {"text": render_text(found, old_label, new_label), "counts": counts(found), "identical": found.identical}


def main(argv: list[str]) -> int:
    """`python -m caio_tui.io.diff REQUEST`: report() in a process of its own, so that parsing a large
    snapshot (json.loads and pydantic hold the GIL for seconds) never freezes the app that asked. REQUEST is
    a JSON object with report()'s arguments; the answer is one JSON object on stdout, {"error": line} and
    exit code 1 for a side that cannot be read."""
    request = json.loads(argv[0])
    at = datetime.fromisoformat(request["at"]) if request.get("at") else None
    try:
        answer = report(
            Path(request["old"]),
            Path(request["new"]),
            actor=request["actor"],
            at=at,
            old_label=request.get("old_label", "old"),
            new_label=request.get("new_label", "new"),
        )
    except (SnapshotError, StoreError, OSError) as exc:
        sys.stdout.write(json.dumps({"error": str(exc)}))
        return 1
    sys.stdout.write(json.dumps(answer))  # ASCII: whatever the locale of the pipe
    return 0


def render(diff: PortfolioDiff, fmt: str, *, old_label: str = "old", new_label: str = "new") -> str:
    renderers: dict[str, Callable[[PortfolioDiff, str, str], str]] = {
        "text": render_text,
        "markdown": render_markdown,
        "json": lambda d, _o, _n: render_json(d),
    }
    return renderers[fmt](diff, old_label, new_label)


# ---- JSON ------------------------------------------------------------------------------------------


def render_json(diff: PortfolioDiff) -> str:
    data: dict[str, Any] = diff.model_dump(mode="json")
    data["summary"] = counts(diff)
    data["identical"] = diff.identical
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def counts(diff: PortfolioDiff) -> dict[str, int]:
    """How many of each kind of change, in the order every form shows them (keys with underscores)."""
    return {
        "added": len(diff.added),
        "removed": len(diff.removed),
        "stage_moves": len(diff.stage_moves),
        "coverage_changes": sum(len(d.coverage) for d in diff.changed),
        "blockers_opened": len(diff.opened),
        "blockers_resolved": len(diff.resolved),
        "gate_overrides": len(diff.overrides),
        "rule_changes": len(diff.rule_changes),
    }


# ---- text ------------------------------------------------------------------------------------------


def _t(text: str, width: int = 80) -> str:
    return clip(printable(text), width)


def _when(diff: PortfolioDiff, old: bool) -> str:
    moment = diff.old_taken_at if old else diff.new_taken_at
    return f", {moment:%Y-%m-%d %H:%M} UTC" if moment else ""


def render_text(diff: PortfolioDiff, old_label: str = "old", new_label: str = "new") -> str:
    out: list[str] = [
        f"old: {_t(old_label)} ({_t(diff.old_name)}{_when(diff, True)})",
        f"new: {_t(new_label)} ({_t(diff.new_name)}{_when(diff, False)})",
    ]
    if diff.identical:
        return "\n".join([*out, "", "no differences"]) + "\n"
    out.append(", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts(diff).items()))
    out += ["", "funnel: " + "  ".join(_funnel_cell(c.stage.value, c.old, c.new) for c in diff.funnel)]

    def section(title: str, lines: list[str]) -> None:
        if lines:
            out.extend(["", f"{title} ({len(lines)})", *(f"  {line}" for line in lines)])

    section("pilots added", [f"+ {_t(p.id, 20)}  {_t(p.name, 60)}  ({p.stage.value})" for p in diff.added])
    section("pilots removed", [f"- {_t(p.id, 20)}  {_t(p.name, 60)}  (was {p.stage.value})" for p in diff.removed])
    section(
        "stage moves",
        [f"{_t(d.id, 20)}  {_t(d.name, 50)}: {d.old_stage.value} → {d.new_stage.value}" for d in diff.stage_moves],
    )
    section(
        "gate overrides",
        [
            f"{_t(o.pilot_id, 20)}  {(o.move.from_stage.value if o.move.from_stage else '-')} → "
            f"{o.move.to_stage.value} {o.move.moved_at:%Y-%m-%d} by {_t(o.move.actor, 20)}: {_t(o.move.override, 100)}"
            for o in diff.overrides
        ],
    )
    if any(d.coverage for d in diff.changed):
        out.extend(["", "coverage changes"])
        for a in diff.areas:
            out.append(f"  {_t(a.area, 20):<16} {a.better} better, {a.worse} worse, {a.other} other")
        for d in diff.changed:
            for c in d.coverage:
                out.append(f"  {_t(d.id, 20)}  {c.item}: {c.old.value} → {c.new.value} ({c.direction})")
    section(
        "blockers opened",
        [f"{_t(d.id, 20)}  {b.tag} ({b.category.value}) {b.at:%Y-%m-%d}: {_t(b.note, 80)}" for d, b in diff.opened],
    )
    section(
        "blockers resolved", [f"{_t(d.id, 20)}  {b.tag} {b.at:%Y-%m-%d} by {_t(b.by, 20)}" for d, b in diff.resolved]
    )
    section("field edits", [f"{_t(d.id, 20)}  {line}" for d in diff.changed for line in _field_lines(d)])
    rules = [f"{r.stage.value}: {'+' if r.change == 'added' else '-'} {_t(r.rule, 120)}" for r in diff.rule_changes]
    if rules or diff.old_rules_revision != diff.new_rules_revision:
        out.extend(["", f"gate rules: revision {diff.old_rules_revision} → {diff.new_rules_revision}"])
        out.extend(f"  {line}" for line in rules)
    section("requirement items added", list(diff.items_added))
    section("requirement items removed", list(diff.items_removed))
    section("blocker tags added", list(diff.tags_added))
    section("blocker tags removed", list(diff.tags_removed))
    return "\n".join(out) + "\n"


def _funnel_cell(stage: str, old: int, new: int) -> str:
    return f"{stage} {old}" if old == new else f"{stage} {old}→{new}"


def _field_lines(d: PilotDelta) -> list[str]:
    return [f"{f.field}: {_t(f.old, 40)!r} → {_t(f.new, 40)!r}" for f in d.fields]


# ---- Markdown --------------------------------------------------------------------------------------


def render_markdown(diff: PortfolioDiff, old_label: str = "old", new_label: str = "new") -> str:
    out = [
        "# What moved",
        "",
        f"- **Old:** {md(old_label)} ({md(diff.old_name)}{_when(diff, True)})",
        f"- **New:** {md(new_label)} ({md(diff.new_name)}{_when(diff, False)})",
        "",
    ]
    if diff.identical:
        return "\n".join([*out, "No differences.", ""])
    out += ["| | count |", "|---|---:|"]
    out += [f"| {k.replace('_', ' ')} | {n} |" for k, n in counts(diff).items()]
    out += ["", "## Funnel", "", "| stage | old | new | change |", "|---|---:|---:|---:|"]
    out += [f"| {c.stage.label} | {c.old} | {c.new} | {c.new - c.old:+d} |" for c in diff.funnel]

    def table(title: str, header: list[str], rows: list[list[str]]) -> None:
        if rows:
            out.extend(["", f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)])
            out.extend("| " + " | ".join(row) + " |" for row in rows)

    table(
        "Pilots added",
        ["id", "name", "office", "stage"],
        [[md(p.id), md(p.name), md(p.office), p.stage.label] for p in diff.added],
    )
    table(
        "Pilots removed",
        ["id", "name", "office", "stage"],
        [[md(p.id), md(p.name), md(p.office), p.stage.label] for p in diff.removed],
    )
    table(
        "Stage moves",
        ["id", "name", "from", "to"],
        [[md(d.id), md(d.name), d.old_stage.label, d.new_stage.label] for d in diff.stage_moves],
    )
    table(
        "Gate overrides",
        ["id", "move", "when", "by", "justification"],
        [
            [
                md(o.pilot_id),
                f"{o.move.from_stage.value if o.move.from_stage else '-'} → {o.move.to_stage.value}",
                f"{o.move.moved_at:%Y-%m-%d}",
                md(o.move.actor),
                md(o.move.override),
            ]
            for o in diff.overrides
        ],
    )
    table(
        "Coverage by area",
        ["area", "better", "worse", "other"],
        [[md(a.name), str(a.better), str(a.worse), str(a.other)] for a in diff.areas],
    )
    table(
        "Coverage changes",
        ["id", "item", "old", "new", ""],
        [[md(d.id), md(c.item), c.old.value, c.new.value, c.direction] for d in diff.changed for c in d.coverage],
    )
    table(
        "Blockers opened",
        ["id", "tag", "category", "opened", "note"],
        [[md(d.id), md(b.tag), b.category.value, f"{b.at:%Y-%m-%d}", md(b.note)] for d, b in diff.opened],
    )
    table(
        "Blockers resolved",
        ["id", "tag", "resolved", "by"],
        [[md(d.id), md(b.tag), f"{b.at:%Y-%m-%d}", md(b.by)] for d, b in diff.resolved],
    )
    table(
        "Field edits",
        ["id", "field", "old", "new"],
        [[md(d.id), md(f.field), md(clip(f.old, 80)), md(clip(f.new, 80))] for d in diff.changed for f in d.fields],
    )
    if diff.rule_changes or diff.old_rules_revision != diff.new_rules_revision:
        out += ["", "## Gate rules", "", f"Revision {diff.old_rules_revision} → {diff.new_rules_revision}.", ""]
        out += [f"- {r.stage.label}: {r.change} {md(r.rule)}" for r in diff.rule_changes]
    for title, names in (
        ("Requirement items added", diff.items_added),
        ("Requirement items removed", diff.items_removed),
        ("Blocker tags added", diff.tags_added),
        ("Blocker tags removed", diff.tags_removed),
    ):
        if names:
            out += ["", f"## {title}", "", *(f"- {md(n)}" for n in names)]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
