"""Identity evidence in a portfolio: importing IdP exports, linking pilots to applications, the review queue
of proposals and its decisions, the identity rules' versions, the per-portfolio key people are hashed with.

Every write is one transaction with one audit event (`idp.*`). The event keeps each row it changed as it
was and as it became (`changes`, see identity_changes.py) and the export files it added, so undo puts back
exactly what was there, or refuses in one line once something changed those rows since.

Proposals are derived again after each import, link change and rules load (`sync`): a pending proposal
whose facts changed is replaced, one whose finding no longer holds is withdrawn, and a finding whose facts
equal those of a decided proposal (rejected or accepted) is not proposed again.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import tomllib
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from caio_tui.domain.identity import IdpExport
from caio_tui.domain.identity_findings import AppFacts, findings
from caio_tui.domain.identity_keys import person_keyer
from caio_tui.domain.identity_links import LinkSuggestion, suggest_links
from caio_tui.domain.identity_rules import (
    Finding,
    IdentityApp,
    IdentityImport,
    IdentityRules,
    IdentityRulesError,
    PilotIdentity,
    Proposal,
    default_identity_rules,
    parse_identity_rules,
)
from caio_tui.store import identity_facts as facts
from caio_tui.store.errors import StoreError
from caio_tui.store.identity_changes import Changes

if TYPE_CHECKING:
    from caio_tui.store.portfolio import Portfolio

SECRET_KEY = "identity_secret"
DERIVED_PREFIX = "idp:"  # the author of a status or blocker an accepted proposal applied
# The identity writes undo reverts (store/identity_review.undo_identity).
IDENTITY_ACTIONS = ("idp.import", "idp.link", "idp.unlink", "idp.accept", "idp.reject", "idp.rules")


# ---- the key people's identifiers are hashed with, and whether they are kept -----------------------------


def identity_secret(portfolio: Portfolio) -> bytes:
    """The portfolio's random key for the person keyer. Until an import stores it (in the import's own
    transaction, with an `idp.key` event), a new key is held by this Portfolio only: files read with it and
    then refused leave nothing behind. It never leaves the portfolio: snapshots do not carry it."""
    found = portfolio.meta(SECRET_KEY)
    if found is not None:
        return bytes.fromhex(found)
    if portfolio.unsaved_identity_key is None:
        portfolio.unsaved_identity_key = secrets.token_bytes(32)
    return portfolio.unsaved_identity_key


def _store_key(portfolio: Portfolio) -> None:
    """Store the key the exports were read with, inside the import's transaction (when it is new)."""
    made = portfolio.unsaved_identity_key
    if made is None:
        return
    found = portfolio.meta(SECRET_KEY)
    if found is not None and bytes.fromhex(found) != made:
        raise StoreError(
            "another program made this portfolio's identity key while these files were read: "
            "import them again; nothing was imported"
        )
    if found is None:
        portfolio.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (SECRET_KEY, made.hex()))
        summary = "created the key people's identifiers from identity exports are hashed with"
        portfolio.append_event("idp.key", None, None, {"summary": summary})


def kept_identities(portfolio: Portfolio) -> bool | None:
    """Whether the portfolio's identity imports kept people's identifiers (None: nothing imported yet)."""
    row = portfolio.session.one("SELECT kept_identities FROM idp_file LIMIT 1")
    return None if row is None else bool(row["kept_identities"])


def _check_keep(portfolio: Portfolio, keep: bool) -> None:
    """Files read with and without --keep-identities key the same people differently: the rules would stop
    matching them, silently. One setting per portfolio."""
    earlier = kept_identities(portfolio)
    if earlier is None or earlier == keep:
        return
    if earlier:
        what = "kept people's identifiers (--keep-identities): import with --keep-identities too"
    else:
        what = "hashed people's identifiers: import without --keep-identities"
    raise StoreError(f"this portfolio's earlier identity imports {what}; nothing was imported")


# ---- importing ------------------------------------------------------------------------------------------


def import_identity(portfolio: Portfolio, exports: Sequence[IdpExport], *, keep_identities: bool) -> IdentityImport:
    """Store the exports' facts in one transaction with one `idp.import` event (and, for the first files
    keyed with a new identity key, its `idp.key` event), and derive the proposals again. A file imported
    before (the same bytes) is skipped; when every file was, nothing is written. Refused, writing nothing,
    when the keep-identities setting differs from the portfolio's earlier imports."""
    with portfolio.session.transaction():
        known = facts.imported_digests(portfolio.session)
        fresh = {e.digest: e for e in exports if e.digest not in known}
        if not fresh:
            return IdentityImport(files=tuple(_already(e) for e in exports))
        _check_keep(portfolio, keep_identities)
        if not keep_identities:
            _store_key(portfolio)
        written, seen = [], set()
        for export in exports:
            if export.digest in known or export.digest in seen:
                written.append(_already(export))
                continue
            seen.add(export.digest)
            at, by = portfolio.timestamp(), portfolio.actor
            written.append(facts.insert_export(portfolio.conn, export, at=at, by=by, keep=keep_identities))
        new = [f for f in written if not f.already]
        changes = Changes(portfolio.conn)
        counts = sync(portfolio, changes)
        names = ", ".join(f.name for f in new)
        after = {
            "summary": f"imported {len(new)} identity export(s): {names}; {_queue(counts)}",
            "files": [{"digest": f.digest, "name": f.name, "kind": f.kind, "records": f.records} for f in new],
            "kept_identities": keep_identities,
            "changes": changes.recorded(),
        }
        event = portfolio.append_event("idp.import", None, None, after, source=names)
        ambiguous = facts.shared_names(portfolio.session, [f.digest for f in new])
    portfolio.unsaved_identity_key = None
    return IdentityImport(files=tuple(written), event_id=event, ambiguous=ambiguous, **counts)


def _already(export: IdpExport) -> Any:
    from caio_tui.domain.identity_rules import ImportedFile

    return ImportedFile(
        name=export.file_name,
        kind=export.kind.value,
        digest=export.digest,
        records=export.records,
        counts=facts.counts(export),
        problems=tuple(export.problems),
        already=True,
    )


def _queue(counts: dict[str, int]) -> str:
    return f"{counts['proposed']} proposed, {counts['replaced']} replaced, {counts['withdrawn']} withdrawn"


# ---- applications and links ------------------------------------------------------------------------------


def app_links(portfolio: Portfolio, pilot_id: str | None = None) -> list[tuple[str, str, str, str]]:
    """(pilot id, vendor, application key, application name) of each link, by pilot."""
    where, params = ("WHERE pilot_id = ?", [pilot_id]) if pilot_id else ("", [])
    found = portfolio.session.read(
        f"SELECT pilot_id, vendor, app_key, app_name FROM idp_link {where} ORDER BY pilot_id, vendor, app_key", params
    )
    return [(r["pilot_id"], r["vendor"], r["app_key"], r["app_name"]) for r in found]


def _links_by_app(portfolio: Portfolio) -> dict[tuple[str, str], list[str]]:
    resolve = facts.resolver(portfolio.session)
    found: dict[tuple[str, str], list[str]] = {}
    for pilot_id, vendor, key, name in app_links(portfolio):
        found.setdefault((vendor, _resolved(resolve, vendor, key, name)), []).append(pilot_id)
    return found


def _resolved(resolve: facts.Resolver, vendor: str, key: str, name: str) -> str:
    """A link made to a name-only application follows it once a file names it by id."""
    return resolve(vendor, None, name) if key.startswith(facts.NAME_PREFIX) else key


def identity_apps(portfolio: Portfolio) -> list[IdentityApp]:
    return facts.apps(portfolio.session, _links_by_app(portfolio))


def find_app(portfolio: Portfolio, vendor: str | None, app: str) -> IdentityApp:
    """The application named by its key, id or name (case-insensitive); refused in one line when none or
    several match."""
    known = identity_apps(portfolio)
    if vendor:
        known = [a for a in known if a.vendor.value == vendor]
    exact = [a for a in known if app in (a.key, a.app_id)]
    named = exact or [a for a in known if facts.fold(a.name) == facts.fold(app)]
    if not named:
        raise StoreError(f"no application {app!r} in the imported identity exports (see 'caio-tui idp apps')")
    if len(named) > 1:
        keys = ", ".join(f"{a.vendor.value} {a.key}" for a in named)
        raise StoreError(f"{app!r} names {len(named)} applications ({keys}): give the vendor or the id")
    return named[0]


def link_app(portfolio: Portfolio, pilot_id: str, vendor: str | None, app_id: str) -> None:
    """Link a pilot to an application; the proposals are derived again in the same transaction."""
    app = find_app(portfolio, vendor, app_id)
    with portfolio.session.transaction():
        portfolio.get(pilot_id)
        key = (pilot_id, app.vendor.value, app.key)
        if portfolio.session.one("SELECT 1 FROM idp_link WHERE pilot_id = ? AND vendor = ? AND app_key = ?", key):
            raise StoreError(f"{pilot_id} is already linked to {app.name} ({app.vendor.value})")
        changes = Changes(portfolio.conn)
        with changes.row("idp_link", {"pilot_id": pilot_id, "vendor": app.vendor.value, "app_key": app.key}):
            portfolio.conn.execute(
                "INSERT INTO idp_link VALUES (?, ?, ?, ?, ?, ?)",
                (*key, app.name, portfolio.timestamp(), portfolio.actor),
            )
        counts = sync(portfolio, changes, [pilot_id])
        summary = f"linked {pilot_id} to {app.name} ({app.vendor.value} {app.key}); {_queue(counts)}"
        portfolio.append_event("idp.link", pilot_id, None, {"summary": summary, "changes": changes.recorded()})


def unlink_app(portfolio: Portfolio, pilot_id: str, vendor: str | None, app_id: str) -> None:
    with portfolio.session.transaction():
        portfolio.get(pilot_id)
        links = [
            (v, k, n)
            for _, v, k, n in app_links(portfolio, pilot_id)
            if (vendor in (None, v)) and (app_id == k or facts.fold(app_id) == facts.fold(n))
        ]
        if len(links) != 1:
            what = "is not linked to" if not links else "has several links that match"
            raise StoreError(f"{pilot_id} {what} {app_id!r}")
        v, k, n = links[0]
        changes = Changes(portfolio.conn)
        with changes.row("idp_link", {"pilot_id": pilot_id, "vendor": v, "app_key": k}):
            portfolio.conn.execute(
                "DELETE FROM idp_link WHERE pilot_id = ? AND vendor = ? AND app_key = ?", (pilot_id, v, k)
            )
        counts = sync(portfolio, changes, [pilot_id])
        summary = f"unlinked {pilot_id} from {n} ({v} {k}); {_queue(counts)}"
        portfolio.append_event("idp.unlink", pilot_id, None, {"summary": summary, "changes": changes.recorded()})


def link_suggestions(portfolio: Portfolio, owner_key: Callable[[str], str] | None = None) -> list[LinkSuggestion]:
    """Links by name and owner similarity; a pilot's owner as typed is keyed as the files keyed the
    applications' owners (the portfolio's keyer, unless `owner_key` says otherwise)."""
    pilots = portfolio.session.read("SELECT id, name, owner FROM pilot WHERE stage != 'retired'")
    linked = {(p, v, k) for p, v, k, _ in app_links(portfolio)}
    return suggest_links(
        [(r["id"], r["name"], r["owner"]) for r in pilots],
        identity_apps(portfolio),
        linked,
        owner_key=owner_key or _owner_keyer(portfolio),
    )


def _owner_keyer(portfolio: Portfolio) -> Callable[[str], str] | None:
    if kept_identities(portfolio):
        return person_keyer(b"", keep=True)  # kept identifiers: normalized only
    found = portfolio.meta(SECRET_KEY)
    return None if found is None else person_keyer(bytes.fromhex(found), keep=False)


# ---- deriving proposals -----------------------------------------------------------------------------------


def pilot_facts(portfolio: Portfolio, pilot_id: str) -> list[AppFacts]:
    return _facts_of(portfolio, [pilot_id])[pilot_id]


def _facts_of(portfolio: Portfolio, pilot_ids: list[str]) -> dict[str, list[AppFacts]]:
    """The linked applications' facts of each pilot, read in one pass."""
    resolve = facts.resolver(portfolio.session)
    links: dict[str, list[tuple[str, str]]] = {p: [] for p in pilot_ids}
    for pilot_id, vendor, key, name in app_links(portfolio):
        if pilot_id in links:
            links[pilot_id].append((vendor, _resolved(resolve, vendor, key, name)))
    read = facts.facts_by_app(portfolio.session, {k for keys in links.values() for k in keys})
    return {p: [read[k] for k in keys] for p, keys in links.items()}


def pilot_findings(portfolio: Portfolio, pilot_id: str) -> list[Finding]:
    return _deriver(portfolio)(pilot_facts(portfolio, pilot_id))


def _deriver(portfolio: Portfolio) -> Callable[[list[AppFacts]], list[Finding]]:
    """Findings from a pilot's linked applications' facts, today, by the current rules, keeping those whose
    item or tag the portfolio knows (a framework or tag list of its own may lack one)."""
    today, rules = portfolio.clock().date(), identity_rules(portfolio)
    items, tags = {i.id for i in portfolio.catalog().items()}, {t.tag for t in portfolio.tags()}

    def derive(linked: list[AppFacts]) -> list[Finding]:
        found = findings(linked, today, rules)
        return [f for f in found if f.target in (items if f.kind == "coverage" else tags)]

    return derive


def facts_digest(finding: Finding) -> str:
    text = json.dumps([finding.rule, finding.kind, finding.target, finding.status, finding.facts], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def sync(portfolio: Portfolio, changes: Changes, pilot_ids: Iterable[str] | None = None) -> dict[str, int]:
    """Derive the proposals of these pilots (every linked pilot when None) again, inside the caller's
    transaction, recording each proposal row it changes."""
    session = portfolio.session
    if pilot_ids is None:
        wanted = {r["pilot_id"] for r in session.read("SELECT DISTINCT pilot_id FROM idp_link")}
        wanted |= {
            r["pilot_id"] for r in session.read("SELECT DISTINCT pilot_id FROM idp_proposal WHERE state = 'pending'")
        }
        pilot_ids = sorted(wanted)
    counts = {"proposed": 0, "replaced": 0, "withdrawn": 0}
    now = portfolio.timestamp()
    linked, derive = _facts_of(portfolio, list(pilot_ids)), _deriver(portfolio)
    for pilot_id in pilot_ids:
        found = {(f.rule, f.kind, f.target): f for f in derive(linked[pilot_id])}
        rows = session.read("SELECT * FROM idp_proposal WHERE pilot_id = ? ORDER BY id", (pilot_id,))
        pending = {(r["rule"], r["kind"], r["target"]): r for r in rows if r["state"] == "pending"}
        decided = {(r["rule"], r["kind"], r["target"], r["facts_digest"]) for r in rows if r["state"] != "pending"}
        for key, row in pending.items():
            finding = found.get(key)
            if finding is None or (*key, facts_digest(finding)) in decided:
                with changes.row("idp_proposal", {"id": row["id"]}):
                    portfolio.conn.execute("DELETE FROM idp_proposal WHERE id = ?", (row["id"],))
                counts["withdrawn"] += 1
            elif row["facts_digest"] != facts_digest(finding):
                with changes.row("idp_proposal", {"id": row["id"]}):
                    portfolio.conn.execute(
                        "UPDATE idp_proposal SET status = ?, facts = ?, facts_digest = ?, files = ?, proposed_at = ? "
                        "WHERE id = ?",
                        (
                            finding.status,
                            finding.facts,
                            facts_digest(finding),
                            json.dumps(finding.files),
                            now,
                            row["id"],
                        ),
                    )
                counts["replaced"] += 1
        for key, finding in found.items():
            if key in pending or (*key, facts_digest(finding)) in decided:
                continue
            new_id = _next_proposal_id(portfolio)
            with changes.row("idp_proposal", {"id": new_id}):
                portfolio.conn.execute(
                    "INSERT INTO idp_proposal (id, pilot_id, rule, kind, target, status, facts, facts_digest, files, "
                    "state, proposed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                    (
                        new_id,
                        pilot_id,
                        *key,
                        finding.status,
                        finding.facts,
                        facts_digest(finding),
                        json.dumps(finding.files),
                        now,
                    ),
                )
            counts["proposed"] += 1
    return counts


def _next_proposal_id(portfolio: Portfolio) -> int:
    """A number never given before (AUTOINCREMENT keeps the highest, withdrawn or undone ones included):
    `idp accept 12` accepts the proposal that was reviewed as 12, or none."""
    row = portfolio.session.one(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'idp_proposal'), 0), "
        "coalesce((SELECT max(id) FROM idp_proposal), 0)) + 1 AS n"
    )
    return int(row["n"]) if row else 1


# ---- the review queue --------------------------------------------------------------------------------------


def proposal_of(r: Any) -> Proposal:
    finding = Finding(
        rule=r["rule"],
        kind=r["kind"],
        target=r["target"],
        status=r["status"],
        facts=r["facts"],
        files=tuple(json.loads(r["files"])),
    )
    return Proposal(
        id=int(r["id"]),
        pilot_id=r["pilot_id"],
        finding=finding,
        facts_digest=r["facts_digest"],
        state=r["state"],
        proposed_at=r["proposed_at"],
        decided_at=r["decided_at"],
        decided_by=r["decided_by"],
        outcome=r["outcome"],
    )


def proposals(
    portfolio: Portfolio, state: str | None = "pending", pilot_id: str | None = None, rule: str | None = None
) -> list[Proposal]:
    clauses, params = [], []
    for column, value in (("state", state), ("pilot_id", pilot_id), ("rule", rule)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    found = portfolio.session.read(f"SELECT * FROM idp_proposal {where} ORDER BY pilot_id, id", params)
    return [proposal_of(r) for r in found]


def pilot_identity(portfolio: Portfolio, pilot_id: str) -> PilotIdentity:
    portfolio.get(pilot_id)
    linked = {(v, k) for _, v, k, _ in app_links(portfolio, pilot_id)}
    resolve = facts.resolver(portfolio.session)
    linked |= {(v, _resolved(resolve, v, k, n)) for _, v, k, n in app_links(portfolio, pilot_id)}
    apps = tuple(a for a in identity_apps(portfolio) if (a.vendor.value, a.key) in linked)
    decided = sorted(proposals(portfolio, None, pilot_id), key=lambda p: p.decided_at or p.proposed_at, reverse=True)
    return PilotIdentity(
        pilot_id=pilot_id, apps=apps, findings=tuple(pilot_findings(portfolio, pilot_id)), proposals=tuple(decided)
    )


# ---- the identity rules ------------------------------------------------------------------------------------


def identity_rules(portfolio: Portfolio) -> IdentityRules:
    row = portfolio.session.one("SELECT version, rules FROM identity_rules ORDER BY version DESC LIMIT 1")
    if row is None:
        return default_identity_rules()
    return parse_identity_rules(json.loads(row["rules"]), source=f"identity rules version {row['version']}")


def identity_rules_version(portfolio: Portfolio) -> int:
    row = portfolio.session.one("SELECT coalesce(max(version), 0) AS v FROM identity_rules")
    return int(row["v"]) if row else 0


def rules_from_text(text: str, source: str) -> IdentityRules:
    """Identity rules from a TOML (or JSON) file's text; IdentityRulesError names what is wrong."""
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise IdentityRulesError(f"{source}: not TOML or JSON ({exc})") from None
    return parse_identity_rules(data, source)


def check_rules(portfolio: Portfolio, rules: IdentityRules, source: str) -> None:
    problems = rules.problems({i.id for i in portfolio.catalog().items()}, {t.tag for t in portfolio.tags()})
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise StoreError(f"{source}: {problems[0]}{more}; the identity rules were not changed")


def load_identity_rules(portfolio: Portfolio, rules: IdentityRules, source: str) -> int | None:
    """Make these the identity rules as a new version (its number), and derive the proposals again; None when
    they equal the current ones (nothing written)."""
    check_rules(portfolio, rules, source)
    with portfolio.session.transaction():
        current = identity_rules(portfolio)
        if current.as_data()["thresholds"] == rules.as_data()["thresholds"] and (
            current.as_data()["rules"] == rules.as_data()["rules"]
        ):
            return None
        row = portfolio.session.one("SELECT coalesce(max(version), 0) + 1 AS v FROM identity_rules")
        version = int(row["v"]) if row else 1
        changes = Changes(portfolio.conn)
        with changes.row("identity_rules", {"version": version}):
            portfolio.conn.execute(
                "INSERT INTO identity_rules VALUES (?, ?, ?, ?)",
                (version, json.dumps(rules.as_data(), ensure_ascii=False), portfolio.timestamp(), portfolio.actor),
            )
        counts = sync(portfolio, changes)
        summary = f"identity rules version {version} from {source}; {_queue(counts)}"
        after = {"summary": summary, "changes": changes.recorded()}
        portfolio.append_event("idp.rules", None, current.as_data(), after, source=source)
    return version


def today(portfolio: Portfolio) -> date:
    return portfolio.clock().date()
