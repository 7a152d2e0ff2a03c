"""The reasoning of each identity rule: from one pilot's linked applications' facts (and today) to findings.

Pure. Each rule reaches an outcome per application ("shared", "expired", "groups", ...); the rules' data
(identity_rules.py) says which status that outcome proposes for which item, and which blocker a finding
opens. Facts are written in words that hold still from day to day (dates and thresholds, never "in 12
days"), so a rejected proposal's facts stay the same until the files say something new, and people appear
only as counts: a proposal's facts never carry a person's identifier, even a keyed one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from caio_tui.domain.identity import (
    IdpApp,
    IdpAssignment,
    IdpCredential,
    IdpPerson,
    PersonKey,
    SignInTally,
    Vendor,
)
from caio_tui.domain.identity_rules import Finding, IdentityRule, IdentityRules, Thresholds
from caio_tui.domain.text import counted

_SEVERITY = {"gap": 0, "partial": 1, "met": 2}


@dataclass(frozen=True)
class AppFacts:
    """Everything the imported files say about one linked application, each record with its file."""

    vendor: Vendor
    key: str
    name: str
    app: tuple[IdpApp, str] | None = None
    credentials: tuple[tuple[IdpCredential, str], ...] = ()
    assignments: tuple[tuple[IdpAssignment, str], ...] = ()
    people: Mapping[PersonKey, tuple[IdpPerson, str]] = field(default_factory=dict)
    sign_ins: tuple[tuple[SignInTally, str], ...] = ()
    as_of: date | None = None  # when the newest of its assignments and directory files was exported


@dataclass(frozen=True)
class _Outcome:
    """One rule's reading of one application."""

    outcome: str
    facts: str
    files: tuple[str, ...]


def is_person_key(account: str) -> bool:
    return account.startswith("p:") and len(account) == 18


def findings(apps: Sequence[AppFacts], today: date, rules: IdentityRules) -> list[Finding]:
    """What the enabled rules find across a pilot's linked applications: per rule and target one finding,
    the worst status across the applications, with every application's facts and files."""
    found: list[Finding] = []
    for rule_id, reason in _REASONS.items():
        rule = rules.rule(rule_id)
        if rule is None:
            continue
        outcomes = [o for app in apps for o in reason(app, today, rules.thresholds)]
        found += _targets(rule, outcomes)
    return found


def _targets(rule: IdentityRule, outcomes: list[_Outcome]) -> list[Finding]:
    if not outcomes:
        return []
    result: list[Finding] = []
    for item in rule.proposes:
        hits = [(rule.status_for(item, o.outcome), o) for o in outcomes]
        proposed = [(s, o) for s, o in hits if s is not None]
        if not proposed:
            continue
        status = min((s for s, _ in proposed), key=_SEVERITY.__getitem__)
        result.append(_finding(rule.id, "coverage", item, status, [o for _, o in proposed]))
    if rule.blocker is not None and rule.id in _BLOCKING:
        result.append(_finding(rule.id, "blocker", rule.blocker, None, outcomes))
    return result


def _finding(rule: str, kind: str, target: str, status: str | None, outcomes: list[_Outcome]) -> Finding:
    facts = "; ".join(dict.fromkeys(o.facts for o in outcomes))
    files = tuple(sorted({f for o in outcomes for f in o.files}))
    return Finding(rule=rule, kind=kind, target=target, status=status, facts=facts, files=files)  # type: ignore[arg-type]


# Rules whose every outcome is a finding against the pilot (a blocker), not a reading of a mechanism.
_BLOCKING = frozenset({"shared-account", "personal-credentials", "leavers"})


def _files(pairs: Iterable[tuple[object, str]]) -> tuple[str, ...]:
    return tuple(sorted({f for _, f in pairs}))


def _current(app: AppFacts, today: date) -> list[tuple[IdpAssignment, str]]:
    """Assignments that still hold: no unassignment date, or one still to come."""
    return [(a, f) for a, f in app.assignments if a.unassigned_on is None or a.unassigned_on > today]


# ---- shared account ------------------------------------------------------------------------------------


def _shared(app: AppFacts, today: date, limits: Thresholds) -> list[_Outcome]:
    by_login: dict[str, set[str]] = {}
    files: dict[str, set[str]] = {}
    for a, f in _current(app, today):
        if a.principal_type == "user" and a.account and not is_person_key(a.account):
            by_login.setdefault(a.account, set()).add(a.principal)
            files.setdefault(a.account, set()).add(f)
    found = [
        _Outcome(
            "shared",
            f"{app.name}: application login {login!r} assigned to {counted(len(people), 'person', 'people')}",
            tuple(sorted(files[login])),
        )
        for login, people in sorted(by_login.items())
        if len(people) >= limits.shared_people
    ]
    for tally, f in app.sign_ins:
        if tally.devices >= limits.shared_devices and tally.account_kind in ("user", "api_token"):
            who = "one user account" if is_person_key(tally.account) else f"account {tally.account!r}"
            found.append(
                _Outcome(
                    "shared",
                    f"{app.name}: {who} signed in from {tally.devices} devices between {tally.first} and {tally.last}",
                    (f,),
                )
            )
    return found


# ---- personal credentials ------------------------------------------------------------------------------


def _personal(app: AppFacts, today: date, limits: Thresholds) -> list[_Outcome]:
    found = []
    for cred, f in app.credentials:
        if cred.kind == "api_token" and cred.owner is not None:
            client = f", client {cred.client_name!r}" if cred.client_name else ""
            created = f", created {cred.created}" if cred.created else ""
            found.append(
                _Outcome("personal", f"{app.name}: API token {cred.name!r} acts as a person{client}{created}", (f,))
            )
    delegated = [(t, f) for t, f in app.sign_ins if t.account_kind == "user" and t.interactive is False]
    if delegated:
        people = len({t.account for t, _ in delegated})
        events = sum(t.events for t, _ in delegated)
        first, last = min(t.first for t, _ in delegated), max(t.last for t, _ in delegated)
        found.append(
            _Outcome(
                "personal",
                f"{app.name}: {counted(events, 'non-interactive sign-in')} as "
                f"{counted(people, 'person', 'people')} between {first} and {last} (the service signs in as them)",
                _files(delegated),
            )
        )
    return found


# ---- the system's own identity, its credentials ----------------------------------------------------------

_OWN = {
    "service_app": "an Okta service app",
    "application": "an application identity",
    "managed_identity": "a managed identity",
}


def _acts_as_itself(app: AppFacts) -> bool:
    """Whether the application signs in as itself. Entra gives every enterprise application a service
    principal of type Application, the ones people sign in to included: only a credential of its own or
    sign-ins as the principal show a system identity in use. A service app (Okta) or a managed identity is
    one by kind."""
    assert app.app is not None
    if app.app[0].own_identity != "application":
        return True
    held = any(not (c.kind == "api_token" and c.owner is not None) for c, _ in app.credentials)
    signs_in = any(t.account_kind in ("service_principal", "managed_identity") for t, _ in app.sign_ins)
    return held or signs_in


def _own_identity(app: AppFacts, today: date, limits: Thresholds) -> list[_Outcome]:
    if app.app is None:
        return []
    idp_app, f = app.app
    if idp_app.own_identity is None or not _acts_as_itself(app):
        return []
    credential = idp_app.strongest_credential
    outcome = {"managed": "strong", "key": "strong", "secret": "secret"}.get(credential or "", "identity")
    how = {
        "managed": "with no secret to hold (managed)",
        "key": "signing in with a certificate or key",
        "secret": "signing in with a shared secret",
    }.get(credential or "", "its credential not in the file")
    kind = _OWN[idp_app.own_identity]
    return [_Outcome(outcome, f"{app.name}: its own identity, {kind}, {how}", (f,))]


def _rotation(app: AppFacts, today: date, limits: Thresholds) -> list[_Outcome]:
    held = [(c, f) for c, f in app.credentials if not (c.kind == "api_token" and c.owner is not None)]
    if not held:
        if app.app is not None and app.app[0].strongest_credential == "managed":
            return [_Outcome("current", f"{app.name}: a managed identity, no credential to rotate", (app.app[1],))]
        return []
    found = []
    soon, old = today + timedelta(days=limits.expiring_days), today - timedelta(days=limits.old_credential_days)
    current: list[tuple[IdpCredential, str]] = []
    for cred, f in held:
        label = f"{cred.kind.replace('_', ' ')} {cred.name or cred.credential_id!r}"
        if cred.expires is not None and cred.expires < today:
            found.append(_Outcome("expired", f"{app.name}: {label} expired {cred.expires}", (f,)))
        elif cred.expires is not None and cred.expires <= soon:
            days = limits.expiring_days
            found.append(_Outcome("expiring", f"{app.name}: {label} expires {cred.expires} (within {days} days)", (f,)))
        elif cred.created is not None and cred.created < old:
            days = limits.old_credential_days
            found.append(_Outcome("old", f"{app.name}: {label} created {cred.created} (older than {days} days)", (f,)))
        elif cred.expires is not None or cred.created is not None:
            current.append((cred, f))
    if current and not found:
        newest = max((c.created for c, _ in current if c.created), default=None)
        since = f", newest created {newest}" if newest else ""
        text = f"{app.name}: {counted(len(current), 'credential')} current{since}"
        found.append(_Outcome("current", text, _files(current)))
    return found


# ---- reach and provisioning --------------------------------------------------------------------------


def _reach(app: AppFacts, today: date, limits: Thresholds) -> list[_Outcome]:
    found = []
    assigned = _current(app, today)
    users = [(a, f) for a, f in assigned if a.principal_type == "user"]
    groups = {a.principal for a, _ in assigned if a.principal_type == "group"}
    through = sum(1 for a, _ in users if a.via_group is True)
    direct = sum(1 for a, _ in users if a.via_group is False)
    if groups or through or direct:
        outcome = "groups" if not direct else ("one_by_one" if not (groups or through) else "mixed")
        parts = [f"{counted(len({a.principal for a, _ in users}), 'person', 'people')} assigned"]
        parts += [f"{direct} one by one"] if direct else []
        parts += [f"{through} through groups"] if through else []
        if groups:
            shown = ", ".join(sorted(groups)[:3]) + (", ..." if len(groups) > 3 else "")
            parts.append(f"{counted(len(groups), 'group')} assigned ({shown})")
        found.append(_Outcome(outcome, f"{app.name}: " + ", ".join(parts), _files(assigned)))
    # Nobody signs in to a managed identity: Graph still says appRoleAssignmentRequired false for it.
    if (
        app.app is not None
        and app.app[0].assignment_required is not None
        and app.app[0].own_identity != "managed_identity"
    ):
        idp_app, f = app.app
        if idp_app.assignment_required:
            found.append(
                _Outcome("assignment_required", f"{app.name}: only assigned users and groups may sign in", (f,))
            )
        else:
            found.append(
                _Outcome("open_to_all", f"{app.name}: open to every user of the tenant (no assignment required)", (f,))
            )
    return found


# ---- leavers -------------------------------------------------------------------------------------------


def _leavers(app: AppFacts, today: date, limits: Thresholds) -> list[_Outcome]:
    as_of = app.as_of or today
    cutoff = as_of - timedelta(days=limits.inactive_days)
    inactive_people, idle_people, files = set(), set(), set()
    for a, f in _current(app, today):
        if a.principal_type != "user":
            continue
        person = app.people.get(a.principal)
        active = a.active if a.active is not None else (person[0].active if person else None)
        seen = [d for d in (a.last_login, person[0].last_sign_in if person else None) if d is not None]
        if active is False:
            inactive_people.add(a.principal)
            files |= {f, *([person[1]] if person else [])}
        elif seen and max(seen) < cutoff:
            idle_people.add(a.principal)
            files |= {f, *([person[1]] if person else [])}
    if not inactive_people and not idle_people:
        return []
    parts = []
    if inactive_people:
        parts.append(f"{counted(len(inactive_people), 'person', 'people')} assigned whose account is deactivated")
    if idle_people:
        parts.append(
            f"{counted(len(idle_people), 'person', 'people')} assigned with no sign-in since before {cutoff} "
            f"({limits.inactive_days} days before {as_of})"
        )
    return [_Outcome("leavers", f"{app.name}: " + ", ".join(parts), tuple(sorted(files)))]


# ---- audit-grade sign-in records -------------------------------------------------------------------------


def _audit(app: AppFacts, today: date, limits: Thresholds) -> list[_Outcome]:
    if not app.sign_ins:
        return []
    naming = [(t, f) for t, f in app.sign_ins if t.names_user]
    chosen = naming or list(app.sign_ins)
    events = sum(t.events for t, _ in chosen)
    first, last = min(t.first for t, _ in chosen), max(t.last for t, _ in chosen)
    span = (last - first).days + 1
    kept = f"; Okta keeps {limits.okta_retention_days} days" if app.vendor is Vendor.OKTA else ""
    if naming:
        text = f"{app.name}: {counted(events, 'sign-in event')} naming who signed in, {first} to {last}"
        text += f" ({span} days{kept})"
        return [_Outcome("names_user", text, _files(naming))]
    text = f"{app.name}: {counted(events, 'sign-in event')} from {first} to {last}, none naming who signed in"
    return [_Outcome("anonymous", text, _files(chosen))]


_REASONS: dict[str, Callable[[AppFacts, date, Thresholds], list[_Outcome]]] = {
    "shared-account": _shared,
    "personal-credentials": _personal,
    "own-identity": _own_identity,
    "credentials-rotated": _rotation,
    "reach": _reach,
    "leavers": _leavers,
    "audit-sign-ins": _audit,
}
