"""The facts an identity provider's exports hold about the applications pilots run as.

Vendor-neutral and pure: `io/idp/` reads Okta's and Entra ID's files into these records, `store/identity.py`
keeps them, and `domain/identity_rules.py` derives findings from the facts of the applications a pilot is
linked to. Plain frozen dataclasses, not pydantic models: an export holds up to millions of records and the
reader validates as it parses.

People are never named here unless the CAIO asked to keep identities: a person's identifier (login, e-mail,
user principal name, display name) arrives already turned into a `PersonKey` (a keyed hash, see
`PersonKeyer`), so every record can be stored and compared without the name. Service accounts, applications
and groups keep their names: they are what a finding has to name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Literal

# A person's identifier after keying: "p:" and 16 hex digits of an HMAC, or the identifier itself when
# identities are kept (`--keep-identities`).
PersonKey = str
PersonKeyer = Callable[[str], PersonKey]


class Vendor(StrEnum):
    OKTA = "okta"
    ENTRA = "entra"


class ExportKind(StrEnum):
    """What one file is, recognized from its content (`--format` names it when recognition cannot)."""

    OKTA_ASSIGNMENTS = "okta-assignments"  # the admin console's Current Assignments report (CSV)
    OKTA_SYSTEM_LOG = "okta-system-log"  # /api/v1/logs: JSON array, NDJSON, or the console's CSV download
    OKTA_APPS = "okta-apps"  # /api/v1/apps
    OKTA_APP_USERS = "okta-app-users"  # /api/v1/apps/{id}/users
    OKTA_USERS = "okta-users"  # /api/v1/users
    OKTA_API_TOKENS = "okta-api-tokens"  # /api/v1/api-tokens
    ENTRA_SERVICE_PRINCIPALS = "entra-service-principals"  # /servicePrincipals, `az ad sp list`
    ENTRA_APP_ROLE_ASSIGNMENTS = "entra-app-role-assignments"  # /servicePrincipals/{id}/appRoleAssignedTo
    ENTRA_USERS = "entra-users"  # /users with accountEnabled and signInActivity
    ENTRA_SIGN_INS = "entra-sign-ins"  # /auditLogs/signIns (JSON, the portal's CSV, Azure Monitor exports)

    @property
    def vendor(self) -> Vendor:
        return Vendor.OKTA if self.value.startswith("okta") else Vendor.ENTRA


@dataclass(frozen=True, slots=True)
class AppRef:
    """An application as a record names it. Some files carry the IdP's id (Okta's `0oa…`, Entra's appId),
    others only the application's name (Okta's Current Assignments report); the store attaches a
    name-only reference to the application of that name."""

    vendor: Vendor
    app_id: str | None
    name: str


OwnIdentity = Literal["service_app", "application", "managed_identity"]
CredentialStrength = Literal["managed", "key", "secret"]


@dataclass(frozen=True, slots=True)
class IdpApp:
    """An application (Okta app, Entra service principal)."""

    ref: AppRef
    # The system's own, non-person identity: an Okta service app with client credentials, an Entra
    # service principal of type Application or ManagedIdentity. None: the file does not say.
    own_identity: OwnIdentity | None
    # The strongest credential it authenticates with: managed identity or a key (certificate, federated
    # credential, private_key_jwt) beats a shared secret.
    strongest_credential: CredentialStrength | None
    # False: every user of the tenant may sign in (Entra's appRoleAssignmentRequired, false by default).
    assignment_required: bool | None
    enabled: bool | None
    owners: tuple[PersonKey, ...] = ()


CredentialKind = Literal["secret", "certificate", "federated", "private_key", "api_token"]


@dataclass(frozen=True, slots=True)
class IdpCredential:
    """A secret, certificate, key or API token an application (or a person, for an Okta API token) holds."""

    vendor: Vendor
    credential_id: str
    kind: CredentialKind
    app: AppRef | None  # None: an API token not tied to an application
    name: str = ""
    owner: PersonKey | None = None  # the person an Okta API token acts as
    client_name: str | None = None  # the client an Okta API token was created from
    created: date | None = None
    expires: date | None = None
    last_used: date | None = None


PrincipalType = Literal["user", "group", "service_principal"]


@dataclass(frozen=True, slots=True)
class IdpAssignment:
    """Who may use an application: a person, a group or another service principal."""

    app: AppRef
    principal: str  # a PersonKey for a person, the group's or service principal's name otherwise
    principal_type: PrincipalType
    # The application login (Okta's "Application login", `credentials.userName`): the account the person
    # uses inside the app. A person's own login is keyed; an account several people share keeps its name.
    account: str | None = None
    via_group: bool | None = None  # assigned through a group rather than one by one
    assigned_on: date | None = None
    unassigned_on: date | None = None
    last_login: date | None = None
    active: bool | None = None  # the person's account in the directory, when the file says


@dataclass(frozen=True, slots=True)
class IdpPerson:
    """A person's directory account: whether it is active and when it last signed in."""

    vendor: Vendor
    person: PersonKey
    active: bool | None
    last_sign_in: date | None = None
    # The same person's other identifiers, keyed: files name a person by login or user principal name
    # (`person`) where they can, but some only by the IdP's object id (Okta's API tokens and app users,
    # Entra's appRoleAssignedTo); a users export holds both, so the store can tell they are one person.
    aliases: tuple[PersonKey, ...] = ()


AccountKind = Literal["user", "service_principal", "managed_identity", "api_token"]


@dataclass(frozen=True, slots=True)
class SignInTally:
    """The sign-ins of one account to one application in one file, counted as the file streams (a System
    Log of a million events becomes a few thousand tallies)."""

    app: AppRef
    account: str  # a PersonKey for a person; a service account's or principal's name is kept
    account_kind: AccountKind
    interactive: bool | None  # None: the file mixes both or does not say
    events: int
    failures: int
    devices: int  # distinct devices or user agents the account signed in from
    addresses: int  # distinct IP addresses
    first: date
    last: date
    names_user: bool  # the records name who acted (audit-grade), not only the application
    credential_types: tuple[str, ...] = ()  # Entra's clientCredentialType values seen


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """A record the reader skipped: where it is in the file and why, in one line."""

    where: str  # "line 12", "record 7", "row 4"
    message: str


@dataclass(slots=True)
class IdpExport:
    """Everything one file says, ready for the store: recognized kind, records, skipped records."""

    kind: ExportKind
    file_name: str
    digest: str  # SHA-256 of the file's bytes: importing the same file twice changes nothing
    apps: list[IdpApp] = field(default_factory=list)
    credentials: list[IdpCredential] = field(default_factory=list)
    assignments: list[IdpAssignment] = field(default_factory=list)
    people: list[IdpPerson] = field(default_factory=list)
    sign_ins: list[SignInTally] = field(default_factory=list)
    problems: list[RecordProblem] = field(default_factory=list)
    records: int = 0  # records read, skipped ones included
    first_event: date | None = None  # the span of time the file's events cover (retention)
    last_event: date | None = None
    as_of: date | None = None  # when the export was taken, where the file says; else the newest date in it

    @property
    def vendor(self) -> Vendor:
        return self.kind.vendor
