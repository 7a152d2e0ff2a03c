"""Okta's System Log (`GET /api/v1/logs` LogEvent objects, however the file wraps them).

What the rules need from it, event by event:
- sign-ins to an application (`user.authentication.sso`, OAuth token grants) become tallies per app and
  account: a person's (keyed) or an OAuth client's own (its name kept, when a service app signs in with
  client credentials); interactive when a person was there (SSO, an authorization code), not for refresh
  and client-credentials grants;
- a person deactivated or suspended mid-file (`user.lifecycle.*`) becomes an inactive `IdpPerson`, and a
  reactivated one an active one again (the later event wins);
- assignments added or removed (`application.user_membership.add/remove`);
- API tokens created (`system.api_token.create`: the person who created one is the one it acts as) and not
  revoked in the same file;
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
    IdpCredential,
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
TOKEN_CREATE = "system.api_token.create"
TOKEN_REVOKE = "system.api_token.revoke"
MEMBERSHIP_ADD = "application.user_membership.add"
MEMBERSHIP_REMOVE = "application.user_membership.remove"
# Grants a person is present for; refresh, client-credentials, JWT-bearer and token-exchange grants are not.
INTERACTIVE_GRANTS = frozenset({"authorization_code", "implicit", "password", "interaction_code"})
PERSON_TYPES = frozenset({"user"})


class OktaLogReader:
    def __init__(self, keyer: PersonKeyer, file_name: str) -> None:
        self._key = keyer
        self._days = Days()
        self._span = Span()
        self._tallies = Tallies(Vendor.OKTA)
        self._people: dict[PersonKey, tuple[str, bool, tuple[PersonKey, ...]]] = {}
        self._memberships: dict[tuple[AppRef, PersonKey], IdpAssignment] = {}
        self._tokens: dict[str, IdpCredential] = {}

    def add(self, record: Record) -> None:
        # The hot path of a million events: plain dict access, no helper calls for fields every event has.
        event_type = record.get("eventType")
        published = record.get("published")
        if type(event_type) is not str or type(published) is not str:
            raise RecordError("not a LogEvent: no eventType or published")
        when = self._days(published)
        self._span.see(when)
        if event_type == SSO or event_type in TOKEN_GRANTS:
            self._sign_in(record, event_type, when)
        elif event_type in LIFECYCLE:
            self._lifecycle(record, published, LIFECYCLE[event_type])
        elif event_type in (MEMBERSHIP_ADD, MEMBERSHIP_REMOVE):
            self._membership(record, when, added=event_type == MEMBERSHIP_ADD)
        elif event_type in (TOKEN_CREATE, TOKEN_REVOKE):
            self._token(record, when, created=event_type == TOKEN_CREATE)

    def _sign_in(self, record: Record, event_type: str, when: date) -> None:
        actor = record.get("actor")
        if type(actor) is not dict:
            raise RecordError("no actor")
        app_id, app_name = _app_target(record.get("target"))
        kind: AccountKind
        if str(actor.get("type") or "").casefold() in PERSON_TYPES:
            login = actor.get("alternateId") or actor.get("id")
            if not login or type(login) is not str:
                raise RecordError("the actor has neither alternateId nor id")
            account = self._key(login)
            kind, names_user = "user", True
        else:  # an OAuth client acting as itself (a service app's client-credentials grant)
            actor_id = text(actor, "id")
            account = text(actor, "displayName") or actor_id or "unknown client"
            kind, names_user = "service_principal", False
            if app_name is None and actor_id:
                app_id, app_name = actor_id, account
        client = record.get("client")
        if type(client) is not dict:
            client = {}
        if app_name is None:
            client_id = text(client, "id")
            if client_id is None:
                return  # a sign-in to Okta itself, not to an application
            app_id = app_name = client_id
        interactive = True if event_type == SSO else _grant_interactive(record, kind)
        device = record.get("device")
        device = device.get("id") if type(device) is dict else None
        if not device:
            user_agent = client.get("userAgent")
            device = user_agent.get("rawUserAgent") if type(user_agent) is dict else None
        outcome = record.get("outcome")
        result = outcome.get("result") if type(outcome) is dict else None
        self._tallies.add(
            (app_id, app_name, account, kind, interactive),
            when,
            result not in (None, "SUCCESS", "ALLOW"),
            device,
            client.get("ipAddress"),
            names_user,
        )

    def _lifecycle(self, record: Record, published: str, active: bool) -> None:
        for target in _targets(record):
            if str(target.get("type") or "").casefold() in PERSON_TYPES:
                key, aliases = self._person(target)
                seen = self._people.get(key)
                if seen is None or published >= seen[0]:
                    self._people[key] = (published, active, aliases)

    def _membership(self, record: Record, when: date, added: bool) -> None:
        app_id, name = _app_target(record.get("target"))
        if name is None:
            raise RecordError("an assignment event names no AppInstance target")
        app = AppRef(Vendor.OKTA, app_id, name)
        for target in _targets(record):
            if str(target.get("type") or "").casefold() in PERSON_TYPES:
                key, _ = self._person(target)
                seen = self._memberships.get((app, key))
                assigned = when if added else (seen.assigned_on if seen else None)
                unassigned = None if added else when
                self._memberships[(app, key)] = IdpAssignment(
                    app, key, "user", assigned_on=assigned, unassigned_on=unassigned
                )

    def _token(self, record: Record, when: date, created: bool) -> None:
        """An API token created by a person acts as that person; one revoked in the same file is gone."""
        for target in _targets(record):
            token_id = text(target, "id")
            if token_id is None or str(target.get("type") or "").casefold() != "token":
                continue
            if not created:
                self._tokens.pop(token_id, None)
                continue
            login = text(record, "actor", "alternateId") or text(record, "actor", "id")
            self._tokens[token_id] = IdpCredential(
                Vendor.OKTA,
                token_id,
                "api_token",
                None,
                name=text(target, "displayName") or "",
                owner=self._key(login) if login else None,
                created=when,
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
        export.credentials.extend(self._tokens.values())
        self._span.into(export)


def _targets(record: Record) -> list[dict[str, Any]]:
    targets = record.get("target")
    if targets is None:
        return []
    if not isinstance(targets, list):
        raise RecordError("target is not a list")
    return [t for t in targets if isinstance(t, dict)]


def _app_target(targets: Any) -> tuple[str | None, str | None]:
    """The application an event names: its AppInstance target's (id, name)."""
    if type(targets) is not list:
        if targets is None:
            return None, None
        raise RecordError("target is not a list")
    for target in targets:
        if type(target) is dict and target.get("type") == "AppInstance":
            app_id = target.get("id") or None
            name = target.get("displayName") or target.get("alternateId") or app_id
            if name:
                return (str(app_id) if app_id else None), str(name)
    return None, None


def _grant_interactive(record: Record, kind: AccountKind) -> bool | None:
    if kind != "user":
        return False
    grant = get(record, "debugContext", "debugData", "grantType")
    if not grant:
        return None
    return grant in INTERACTIVE_GRANTS
