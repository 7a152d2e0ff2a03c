"""Okta's management API exports: apps (`/api/v1/apps`), app users (`/api/v1/apps/{id}/users`), users
(`/api/v1/users`) and API tokens (`/api/v1/api-tokens`), each a JSON array of the API's objects.

People are keyed by login where the record has it, else by their Okta id (an alias the users export ties
to the login).
"""

from __future__ import annotations

import re

from caio_tui.domain.identity import (
    AppRef,
    CredentialStrength,
    IdpApp,
    IdpAssignment,
    IdpCredential,
    IdpExport,
    IdpPerson,
    OwnIdentity,
    PersonKeyer,
    Vendor,
)
from caio_tui.io.idp.accounts import account_name, shared_logins
from caio_tui.io.idp.fields import Record, RecordError, day, get, required, text

KEY_METHODS = frozenset({"private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth"})
SECRET_METHODS = frozenset({"client_secret_basic", "client_secret_post", "client_secret_jwt"})
# A user's status, as the leavers rule reads it: deactivated or suspended people are gone; a staged one has
# not started (unknown, not a leaver).
INACTIVE = frozenset({"DEPROVISIONED", "SUSPENDED"})
NOT_STARTED = frozenset({"STAGED"})
OKTA_APP_ID = re.compile(r"\b0oa[0-9A-Za-z]{14,20}\b")  # Okta's app ids: "0oa" and 17 more, as it issues them
APP_LINK = re.compile(r"/apps/([^/?#]+)")


def user_active(status: str | None) -> bool | None:
    if status is None or status.upper() in NOT_STARTED:
        return None
    return status.upper() not in INACTIVE


class OktaAppsReader:
    def __init__(self, keyer: PersonKeyer, file_name: str) -> None:
        self._apps: list[IdpApp] = []
        self._credentials: list[IdpCredential] = []

    def add(self, record: Record) -> None:
        app_id = required(record, "id")
        ref = AppRef(Vendor.OKTA, app_id, text(record, "label") or text(record, "name") or app_id)
        grants = get(record, "settings", "oauthClient", "grant_types") or []
        service = text(record, "settings", "oauthClient", "application_type") == "service"
        own: OwnIdentity | None = "service_app" if service or "client_credentials" in grants else None
        status = text(record, "status")
        method = text(record, "credentials", "oauthClient", "token_endpoint_auth_method")
        self._apps.append(
            IdpApp(
                ref,
                own_identity=own,
                strongest_credential=_strength(method),
                assignment_required=None,  # Okta apps reach only who is assigned; there is no switch to read
                enabled=None if status is None else status.upper() == "ACTIVE",
            )
        )
        for key in get(record, "settings", "oauthClient", "jwks", "keys") or []:
            if isinstance(key, dict) and text(key, "kid"):
                self._credentials.append(
                    IdpCredential(Vendor.OKTA, required(key, "kid"), "private_key", ref, name=text(key, "kid") or "")
                )

    def finish(self, export: IdpExport) -> None:
        export.apps.extend(self._apps)
        export.credentials.extend(self._credentials)


def _strength(method: str | None) -> CredentialStrength | None:
    if method in KEY_METHODS:
        return "key"
    if method in SECRET_METHODS:
        return "secret"
    return None


class OktaAppUsersReader:
    """App users: who is assigned, directly (scope USER) or through a group (GROUP), under which login."""

    def __init__(self, keyer: PersonKeyer, file_name: str) -> None:
        self._key = keyer
        found = OKTA_APP_ID.search(file_name)  # `/apps/{id}/users` saved under the app's id, as people do
        self._file_app = found.group(0) if found else None
        self._rows: list[tuple[AppRef, str, str | None, str | None, Record]] = []

    def add(self, record: Record) -> None:
        user_id = required(record, "id")
        app = self._app(record)
        login = text(record, "_embedded", "user", "profile", "login")
        person = self._key(login or user_id)
        self._rows.append((app, person, text(record, "credentials", "userName"), login, record))

    def _app(self, record: Record) -> AppRef:
        href = text(record, "_links", "app", "href")
        found = APP_LINK.search(href) if href else None
        app_id = found.group(1) if found else self._file_app
        if app_id is None:
            raise RecordError("no _links.app: the record does not say which application it is assigned to")
        return AppRef(Vendor.OKTA, app_id, app_id)

    def finish(self, export: IdpExport) -> None:
        shared = shared_logins((app, person, account) for app, person, account, _, _ in self._rows if account)
        for app, person, account, login, record in self._rows:
            scope = (text(record, "scope") or "").upper()
            export.assignments.append(
                IdpAssignment(
                    app,
                    person,
                    "user",
                    account=account_name(app, account, login, shared, self._key) if account else None,
                    via_group={"GROUP": True, "USER": False}.get(scope),
                    assigned_on=day(record, "created"),
                    active=user_active(text(record, "_embedded", "user", "status")),
                )
            )


class OktaUsersReader:
    def __init__(self, keyer: PersonKeyer, file_name: str) -> None:
        self._key = keyer
        self._people: list[IdpPerson] = []

    def add(self, record: Record) -> None:
        user_id = required(record, "id")
        login = text(record, "profile", "login")
        person = self._key(login or user_id)
        aliases = tuple(
            self._key(other)
            for other in (user_id, text(record, "profile", "email"))
            if other and self._key(other) != person
        )
        self._people.append(
            IdpPerson(
                Vendor.OKTA,
                person,
                user_active(text(record, "status")),
                last_sign_in=day(record, "lastLogin"),
                aliases=tuple(dict.fromkeys(aliases)),
            )
        )

    def finish(self, export: IdpExport) -> None:
        export.people.extend(self._people)


class OktaApiTokensReader:
    """API tokens: each acts with its owner's permissions, so a service running on one runs as a person."""

    def __init__(self, keyer: PersonKeyer, file_name: str) -> None:
        self._key = keyer
        self._tokens: list[IdpCredential] = []

    def add(self, record: Record) -> None:
        owner = text(record, "userId")
        self._tokens.append(
            IdpCredential(
                Vendor.OKTA,
                required(record, "id"),
                "api_token",
                None,
                name=text(record, "name") or "",
                owner=self._key(owner) if owner else None,
                client_name=text(record, "clientName"),
                created=day(record, "created"),
                expires=day(record, "expiresAt"),
            )
        )

    def finish(self, export: IdpExport) -> None:
        export.credentials.extend(self._tokens)
