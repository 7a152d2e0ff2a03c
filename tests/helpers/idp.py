"""IdP exports built in the tests as the reader would return them (IdpExport objects), for the store, the
rules and the CLI: an Okta assistant on a shared login, its service app and its credentials."""

from __future__ import annotations

import hashlib
from datetime import date

from caio_tui.domain.identity import (
    AppRef,
    ExportKind,
    IdpApp,
    IdpAssignment,
    IdpCredential,
    IdpExport,
    IdpPerson,
    SignInTally,
    Vendor,
)

OKTA_APP = AppRef(Vendor.OKTA, "0oa1assist", "Benefits Assistant")
BY_NAME = AppRef(Vendor.OKTA, None, "benefits assistant")  # the Current Assignments report names it only


def person(n: int) -> str:
    return f"p:{n:016x}"


def export(kind: ExportKind, name: str, **records: object) -> IdpExport:
    """An export whose digest follows its content, so that the same records are the same file."""
    made = IdpExport(kind=kind, file_name=name, digest="", **records)  # type: ignore[arg-type]
    made.digest = hashlib.sha256(repr((kind, name, sorted(records.items()))).encode()).hexdigest()
    made.records = sum(len(v) for v in records.values() if isinstance(v, list))
    return made


def shared_assignments(people: int = 3, name: str = "assignments.csv") -> IdpExport:
    """The Current Assignments report: `people` people on one application login, by application name."""
    rows = [
        IdpAssignment(BY_NAME, person(n), "user", account="svc-benefits", via_group=False, assigned_on=date(2026, 1, 5))
        for n in range(people)
    ]
    return export(ExportKind.OKTA_ASSIGNMENTS, name, assignments=rows, as_of=date(2026, 10, 30))


def okta_apps(name: str = "apps.json") -> IdpExport:
    app = IdpApp(
        OKTA_APP, own_identity="service_app", strongest_credential="secret", assignment_required=True, enabled=True
    )
    other = IdpApp(AppRef(Vendor.OKTA, "0oa2grants", "Grants Review"), None, None, None, True)
    return export(ExportKind.OKTA_APPS, name, apps=[app, other])


def tokens(expires: date, name: str = "tokens.json") -> IdpExport:
    secret = IdpCredential(
        Vendor.OKTA, "sec1", "secret", OKTA_APP, name="client secret", created=date(2026, 6, 1), expires=expires
    )
    token = IdpCredential(
        Vendor.OKTA,
        "tok1",
        "api_token",
        None,
        name="assistant-token",
        owner=person(1),
        client_name="Benefits Assistant",
    )
    return export(ExportKind.OKTA_API_TOKENS, name, credentials=[secret, token])


def users(active: dict[int, bool], name: str = "users.json") -> IdpExport:
    rows = [IdpPerson(Vendor.OKTA, person(n), flag, date(2026, 10, 1)) for n, flag in active.items()]
    return export(ExportKind.OKTA_USERS, name, people=rows)


def system_log(names_user: bool = True, name: str = "syslog.json") -> IdpExport:
    tally = SignInTally(
        OKTA_APP, person(0), "user", True, 120, 2, 2, 3, date(2026, 8, 2), date(2026, 10, 30), names_user
    )
    return export(ExportKind.OKTA_SYSTEM_LOG, name, sign_ins=[tally], first_event=date(2026, 8, 2))
