"""Microsoft Entra ID's directory objects as Graph JSON (`az ad sp list`, `az rest`, Graph Explorer):
service principals, appRoleAssignedTo (who may use an application), and users.

Applications are named by their appId (what sign-ins name them by) and display name. People are keyed by
user principal name where the record has it, else by their object id (an alias the users export ties to
the principal name: appRoleAssignedTo names people by object id only).
"""

from __future__ import annotations

from typing import Any

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
    PrincipalType,
    Vendor,
)
from caio_tui.io.idp.fields import Record, RecordError, day, flag, get, required, text

OWN_IDENTITY: dict[str, OwnIdentity] = {"application": "application", "managedidentity": "managed_identity"}
PRINCIPAL_TYPES: dict[str, PrincipalType] = {
    "user": "user",
    "group": "group",
    "serviceprincipal": "service_principal",
}


class EntraServicePrincipalsReader:
    def __init__(self, keyer: PersonKeyer, file_name: str) -> None:
        self._key = keyer
        self._apps: list[IdpApp] = []
        self._credentials: list[IdpCredential] = []

    def add(self, record: Record) -> None:
        app_id = text(record, "appId") or required(record, "id")
        ref = AppRef(Vendor.ENTRA, app_id, text(record, "displayName") or app_id)
        sp_type = (text(record, "servicePrincipalType") or "").casefold()
        credentials = [
            *(_credential(ref, c, "secret") for c in _objects(record, "passwordCredentials")),
            *(_credential(ref, c, "certificate") for c in _objects(record, "keyCredentials")),
            *(_credential(ref, c, "federated") for c in _objects(record, "federatedIdentityCredentials")),
        ]
        self._credentials.extend(credentials)
        self._apps.append(
            IdpApp(
                ref,
                own_identity=OWN_IDENTITY.get(sp_type),
                strongest_credential=_strongest(sp_type, {c.kind for c in credentials}),
                assignment_required=flag(record, "appRoleAssignmentRequired"),
                enabled=flag(record, "accountEnabled"),
                owners=tuple(self._owner(o) for o in _objects(record, "owners")),
            )
        )

    def _owner(self, owner: dict[str, Any]) -> str:
        """A person who owns the application is keyed; an owning service principal keeps its name."""
        kind = (text(owner, "@odata.type") or "").casefold()
        person = text(owner, "userPrincipalName")
        if person or kind.endswith(".user"):
            return self._key(person or required(owner, "id"))
        return text(owner, "displayName") or required(owner, "id")

    def finish(self, export: IdpExport) -> None:
        export.apps.extend(self._apps)
        export.credentials.extend(self._credentials)


def _objects(record: Record, name: str) -> list[dict[str, Any]]:
    value = record.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"{name} is not a list")
    return [v for v in value if isinstance(v, dict)]


def _credential(app: AppRef, credential: dict[str, Any], kind: str) -> IdpCredential:
    credential_id = text(credential, "keyId") or required(credential, "id")
    return IdpCredential(
        Vendor.ENTRA,
        credential_id,
        kind,  # type: ignore[arg-type]  # one of the three literal kinds passed above
        app,
        name=text(credential, "displayName") or text(credential, "name") or "",
        created=day(credential, "startDateTime"),
        expires=day(credential, "endDateTime"),
    )


def _strongest(sp_type: str, kinds: set[str]) -> CredentialStrength | None:
    if sp_type == "managedidentity":
        return "managed"
    if kinds & {"certificate", "federated"}:
        return "key"
    if "secret" in kinds:
        return "secret"
    return None


class EntraAssignmentsReader:
    """appRoleAssignedTo: users, groups and service principals granted a role in an application."""

    def __init__(self, keyer: PersonKeyer, file_name: str) -> None:
        self._key = keyer
        self._assignments: list[IdpAssignment] = []

    def add(self, record: Record) -> None:
        kind = PRINCIPAL_TYPES.get((text(record, "principalType") or "").casefold())
        if kind is None:
            raise RecordError(f"principalType {text(record, 'principalType')!r} is not User, Group or ServicePrincipal")
        # The resource is named by its service principal's object id: the store attaches it by name.
        app = AppRef(Vendor.ENTRA, None, required(record, "resourceDisplayName"))
        if kind == "user":
            principal = self._key(required(record, "principalId"))
        else:
            principal = text(record, "principalDisplayName") or required(record, "principalId")
        self._assignments.append(
            IdpAssignment(
                app,
                principal,
                kind,
                via_group=kind == "group" if kind != "service_principal" else None,
                assigned_on=day(record, "createdDateTime"),
            )
        )

    def finish(self, export: IdpExport) -> None:
        export.assignments.extend(self._assignments)


class EntraUsersReader:
    def __init__(self, keyer: PersonKeyer, file_name: str) -> None:
        self._key = keyer
        self._people: list[IdpPerson] = []

    def add(self, record: Record) -> None:
        upn = text(record, "userPrincipalName")
        object_id = text(record, "id")
        if upn is None and object_id is None:
            raise RecordError("no userPrincipalName or id")
        person = self._key(upn or object_id or "")
        activity = get(record, "signInActivity")
        last = max(
            (
                d
                for d in (
                    day(activity, "lastSignInDateTime"),
                    day(activity, "lastNonInteractiveSignInDateTime"),
                    day(activity, "lastSuccessfulSignInDateTime"),
                )
                if d
            ),
            default=None,
        )
        aliases = (self._key(object_id),) if upn and object_id else ()
        self._people.append(IdpPerson(Vendor.ENTRA, person, flag(record, "accountEnabled"), last, aliases))

    def finish(self, export: IdpExport) -> None:
        export.people.extend(self._people)
