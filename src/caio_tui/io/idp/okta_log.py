"""Okta's System Log (`GET /api/v1/logs` LogEvent objects, however the file wraps them).

What the rules need from it, event by event:
- sign-ins to an application (`user.authentication.sso`, OAuth token grants) become tallies per app and
  account: a person's (keyed) or an OAuth client's own (its name kept, when a service app signs in with
  client credentials); interactive when a person was there (SSO, an authorization code), not for refresh
  and client-credentials grants;
- a person deactivated or suspended mid-file (`user.lifecycle.*`) becomes an inactive `IdpPerson`, and a
  reactivated one an active one again (the later event wins);
- assignments added or removed (`application.user_membership.add/remove`);
- the span of the file's events, for the retention the audit area asks about.
Events of other types count in the span only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from caio_tui.domain.identity import (
    AccountKind,
    AppRef,
    IdpAssignment,
    IdpExport,
    IdpPerson,
    PersonKey,
    PersonKeyer,
    Vendor,
)
from caio_tui.io.idp.fields import Days, Record, RecordError, get, text
from caio_tui.io.idp.kind import Span
from caio_tui.io.idp.tally import Tallies

SSO = "user.authentication.sso"
TOKEN_GRANTS = frozenset({"app.oauth2.as.token.grant", "app.oauth2.token.grant"})
LIFECYCLE = {
    "user.lifecycle.deactivate": False,
    "user.lifecycle.suspend": False,
    "user.lifecycle.activate": True,
    "user.lifecycle.reactivate": True,
    "user.lifecycle.unsuspend": True,
}
MEMBERSHIP_ADD = "application.user_membership.add"
MEMBERSHIP_REMOVE = "application.user_membership.remove"
# Grants a person is present for; refresh, client-credentials, JWT-bearer and token-exchange grants are not.
INTERACTIVE_GRANTS = frozenset({"authorization_code", "implicit", "password", "interaction_code"})
PERSON_TYPES = frozenset({"user"})
APP_TYPES = frozenset({"appinstance"})


class OktaLogReader:
    def __init__(self, keyer: PersonKeyer, file_name: str) -> None:
        self._key = keyer
        self._days = Days()
        self._span = Span()
        self._tallies = Tallies()
        self._people: dict[PersonKey, tuple[str, bool, tuple[PersonKey, ...]]] = {}
        self._memberships: dict[tuple[AppRef, PersonKey], IdpAssignment] = {}

    def add(self, record: Record) -> None:
        event_type = record.get("eventType")
        published = record.get("published")
        if not isinstance(event_type, str) or not isinstance(published, str):
            raise RecordError("not a LogEvent: no eventType or published")
        when = self._days(published)
        self._span.see(when)
        if event_type == SSO or event_type in TOKEN_GRANTS:
            self._sign_in(record, event_type, when)
        elif event_type in LIFECYCLE:
            self._lifecycle(record, published, LIFECYCLE[event_type])
        elif event_type in (MEMBERSHIP_ADD, MEMBERSHIP_REMOVE):
            self._membership(record, when, added=event_type == MEMBERSHIP_ADD)

    def _sign_in(self, record: Record, event_type: str, when: date) -> None:
        actor = record.get("actor")
        if not isinstance(actor, dict):
            raise RecordError("no actor")
        targets = _targets(record)
        actor_type = str(actor.get("type") or "").casefold()
        app = _app_target(targets)
        if actor_type in PERSON_TYPES:
            login = text(actor, "alternateId") or text(actor, "id")
            if login is None:
                raise RecordError("the actor has neither alternateId nor id")
            account: str = self._key(login)
            kind: AccountKind = "user"
            names_user = True
        else:  # an OAuth client acting as itself (a service app's client-credentials grant)
            account = text(actor, "displayName") or text(actor, "id") or "unknown client"
            kind = "service_principal"
            names_user = False
            if app is None and text(actor, "id"):
                app = AppRef(Vendor.OKTA, text(actor, "id"), account)
        if app is None:
            client_id = text(record, "client", "id")
            if client_id is None:
                return  # a sign-in to Okta itself, not to an application
            app = AppRef(Vendor.OKTA, client_id, client_id)
        interactive = True if event_type == SSO else _grant_interactive(record, kind)
        client = record.get("client")
        device = text(record, "device", "id") or text(client, "userAgent", "rawUserAgent")
        failed = text(record, "outcome", "result") not in (None, "SUCCESS", "ALLOW")
        self._tallies.add(
            (app, account, kind, interactive), when, failed, device, text(client, "ipAddress"), names_user
        )

    def _lifecycle(self, record: Record, published: str, active: bool) -> None:
        for target in _targets(record):
            if str(target.get("type") or "").casefold() in PERSON_TYPES:
                key, aliases = self._person(target)
                seen = self._people.get(key)
                if seen is None or published >= seen[0]:
                    self._people[key] = (published, active, aliases)

    def _membership(self, record: Record, when: date, added: bool) -> None:
        targets = _targets(record)
        app = _app_target(targets)
        if app is None:
            raise RecordError("an assignment event names no AppInstance target")
        for target in targets:
            if str(target.get("type") or "").casefold() in PERSON_TYPES:
                key, _ = self._person(target)
                seen = self._memberships.get((app, key))
                assigned = when if added else (seen.assigned_on if seen else None)
                unassigned = None if added else when
                self._memberships[(app, key)] = IdpAssignment(
                    app, key, "user", assigned_on=assigned, unassigned_on=unassigned
                )

    def _person(self, target: dict[str, Any]) -> tuple[PersonKey, tuple[PersonKey, ...]]:
        """A person's key by login, with their Okta id as an alias (the API exports name people by id)."""
        login = text(target, "alternateId")
        okta_id = text(target, "id")
        if login is None and okta_id is None:
            raise RecordError("a User target has neither alternateId nor id")
        if login is None:
            return self._key(okta_id or ""), ()
        return self._key(login), ((self._key(okta_id),) if okta_id else ())

    def finish(self, export: IdpExport) -> None:
        export.sign_ins.extend(self._tallies.tallies())
        export.people.extend(
            IdpPerson(Vendor.OKTA, key, active, aliases=aliases) for key, (_, active, aliases) in self._people.items()
        )
        export.assignments.extend(self._memberships.values())
        self._span.into(export)


def _targets(record: Record) -> list[dict[str, Any]]:
    targets = record.get("target")
    if targets is None:
        return []
    if not isinstance(targets, list):
        raise RecordError("target is not a list")
    return [t for t in targets if isinstance(t, dict)]


def _app_target(targets: list[dict[str, Any]]) -> AppRef | None:
    for target in targets:
        if str(target.get("type") or "").casefold() in APP_TYPES:
            app_id = text(target, "id")
            name = text(target, "displayName") or text(target, "alternateId") or app_id
            if name:
                return AppRef(Vendor.OKTA, app_id, name)
    return None


def _grant_interactive(record: Record, kind: AccountKind) -> bool | None:
    if kind != "user":
        return False
    grant = text(get(record, "debugContext", "debugData"), "grantType")
    if grant is None:
        return None
    return grant in INTERACTIVE_GRANTS
