"""Deciding identity proposals: accepting applies them (a coverage status or a blocker whose author is the
export, `idp:FILE`, with the rule, facts and files as its evidence or note), rejecting keeps them so that
the same facts are not proposed again; and undoing any identity write.

A person's assessment is never overwritten: accepting a proposal for an item whose row a person wrote
(whatever its status) records it as accepted evidence only (`outcome` says so, and the item keeps the
person's row); so does one for an item that does not apply to the pilot (high-impact only); a blocker
already open is not opened twice (the proposal is accepted as evidence of it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from caio_tui.domain.identity_rules import Proposal
from caio_tui.store import identity, identity_facts, writes
from caio_tui.store.errors import StoreError
from caio_tui.store.identity_changes import Changes, revert

if TYPE_CHECKING:
    from caio_tui.domain.history import AuditEvent
    from caio_tui.store.portfolio import Portfolio

# Authors that are files, not people: their statuses an accepted proposal may replace.
_FILE_AUTHORS = (identity.DERIVED_PREFIX, "inventory:")
APPLIED = "applied"


def _author(proposal: Proposal) -> str:
    return identity.DERIVED_PREFIX + ",".join(proposal.finding.files)


def _pending(portfolio: Portfolio, ids: Sequence[int]) -> list[Proposal]:
    found = {p.id: p for p in identity.proposals(portfolio, None) if p.id in set(ids)}
    for proposal_id in ids:
        if proposal_id not in found:
            raise StoreError(f"no identity proposal {proposal_id}; nothing was decided")
        if found[proposal_id].state != "pending":
            raise StoreError(f"proposal {proposal_id} is already {found[proposal_id].state}; nothing was decided")
    return [found[i] for i in dict.fromkeys(ids)]


def accept_proposals(portfolio: Portfolio, ids: Sequence[int]) -> list[Proposal]:
    """Accept these pending proposals in one transaction with one `idp.accept` event; returns them as decided."""
    with portfolio.session.transaction():
        chosen = _pending(portfolio, ids)
        return _accept(portfolio, chosen, f"accepted {len(chosen)} identity proposal(s)")


def accept_rule(portfolio: Portfolio, rule: str) -> int:
    """Accept every pending proposal of one rule across the portfolio; how many."""
    with portfolio.session.transaction():
        chosen = identity.proposals(portfolio, "pending", rule=rule)
        if chosen:
            _accept(portfolio, chosen, f"accepted the {len(chosen)} pending proposal(s) of rule {rule}")
    return len(chosen)


def _accept(portfolio: Portfolio, chosen: list[Proposal], summary: str) -> list[Proposal]:
    changes = Changes(portfolio.conn)
    now = portfolio.timestamp()
    for proposal in chosen:
        outcome = _apply(portfolio, changes, proposal, now)
        with changes.row("idp_proposal", {"id": proposal.id}):
            portfolio.conn.execute(
                "UPDATE idp_proposal SET state = 'accepted', decided_at = ?, decided_by = ?, outcome = ? WHERE id = ?",
                (now, portfolio.actor, outcome, proposal.id),
            )
    for pilot_id in sorted({p.pilot_id for p in chosen}):
        if writes.exists(portfolio, pilot_id):
            writes.refresh(portfolio, pilot_id)
    pilots = sorted({p.pilot_id for p in chosen})
    after = {"summary": summary, "proposals": [p.id for p in chosen], "changes": changes.recorded()}
    portfolio.append_event("idp.accept", pilots[0] if len(pilots) == 1 else None, None, after)
    return _decided(portfolio, chosen)


def _decided(portfolio: Portfolio, chosen: list[Proposal]) -> list[Proposal]:
    ids = {c.id for c in chosen}
    return [p for p in identity.proposals(portfolio, None) if p.id in ids]


def _apply(portfolio: Portfolio, changes: Changes, proposal: Proposal, now: str) -> str:
    finding, pilot_id = proposal.finding, proposal.pilot_id
    if not writes.exists(portfolio, pilot_id):
        raise StoreError(f"proposal {proposal.id}: no pilot {pilot_id!r} any more; nothing was decided")
    if finding.kind == "blocker":
        if portfolio.session.one(
            "SELECT 1 FROM blocker WHERE pilot_id = ? AND tag = ? AND resolved_at IS NULL", (pilot_id, finding.target)
        ):
            return f"evidence: the {finding.target} blocker was already open"
        conn = portfolio.conn
        next_id = int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM blocker").fetchone()[0])
        with changes.row("blocker", {"id": next_id}):
            conn.execute(
                "INSERT INTO blocker (id, pilot_id, tag, note, opened_at, opened_by) VALUES (?, ?, ?, ?, ?, ?)",
                (next_id, pilot_id, finding.target, finding.evidence, now, _author(proposal)),
            )
        return APPLIED
    refused = writes.inapplicable(portfolio, pilot_id, finding.target)
    if refused:
        return f"evidence: {refused}"
    current = writes.coverage_row(portfolio, pilot_id, finding.target)
    # Any row a person wrote is theirs, whatever its status (not assessed, with their note, is an answer too).
    if current is not None and not current["updated_by"].startswith(_FILE_AUTHORS):
        return f"evidence: {current['status']} as {current['updated_by']} assessed it stands"
    row: dict[str, Any] = {
        "pilot_id": pilot_id,
        "item_id": finding.target,
        "status": finding.status,
        "evidence": finding.evidence,
        "justification": "",
        "updated_at": now,
        "updated_by": _author(proposal),
    }
    with changes.row("coverage", {"pilot_id": pilot_id, "item_id": finding.target}):
        _upsert(portfolio, row)
    return APPLIED


def _upsert(portfolio: Portfolio, row: dict[str, Any]) -> None:
    portfolio.conn.execute(
        "INSERT INTO coverage (pilot_id, item_id, status, evidence, justification, updated_at, updated_by) "
        "VALUES (:pilot_id, :item_id, :status, :evidence, :justification, :updated_at, :updated_by) "
        "ON CONFLICT (pilot_id, item_id) DO UPDATE SET status = excluded.status, evidence = excluded.evidence, "
        "justification = excluded.justification, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        row,
    )


def reject_proposals(portfolio: Portfolio, ids: Sequence[int]) -> list[Proposal]:
    with portfolio.session.transaction():
        chosen = _pending(portfolio, ids)
        changes = Changes(portfolio.conn)
        now = portfolio.timestamp()
        for proposal in chosen:
            with changes.row("idp_proposal", {"id": proposal.id}):
                portfolio.conn.execute(
                    "UPDATE idp_proposal SET state = 'rejected', decided_at = ?, decided_by = ? WHERE id = ?",
                    (now, portfolio.actor, proposal.id),
                )
        pilots = sorted({p.pilot_id for p in chosen})
        after = {
            "summary": f"rejected {len(chosen)} identity proposal(s)",
            "proposals": [p.id for p in chosen],
            "changes": changes.recorded(),
        }
        portfolio.append_event("idp.reject", pilots[0] if len(pilots) == 1 else None, None, after)
    return _decided(portfolio, chosen)


# ---- undo (store/undo.py's steps for idp.*) ------------------------------------------------------------


def undo_identity(portfolio: Portfolio, event: AuditEvent) -> tuple[Any, Any]:
    """Put back the rows an identity write changed, and remove the export files it added."""
    after = event.after if isinstance(event.after, dict) else {}
    what = f"event {event.id} ({event.action})"
    files = [f["digest"] for f in after.get("files", ())]
    present = identity_facts.imported_digests(portfolio.session)
    missing = [f["name"] for f in after.get("files", ()) if f["digest"] not in present]
    if missing:
        raise StoreError(f"cannot undo {what}: {missing[0]} is no longer imported; nothing was undone")
    pilots = revert(portfolio.conn, list(after.get("changes", ())), what)
    identity_facts.remove_files(portfolio.conn, files)
    for pilot_id in pilots:
        if writes.exists(portfolio, pilot_id):
            writes.refresh(portfolio, pilot_id)
    return after, {"summary": f"undid {after.get('summary', event.action)}"}
