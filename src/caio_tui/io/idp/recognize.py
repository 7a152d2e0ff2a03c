"""Which kind of export a file is, told from its content: a JSON record's fields or a CSV file's header.

Files are named whatever the identity team saved them as, so names decide nothing; `--format` overrides.
"""

from __future__ import annotations

import re
from typing import Any

from caio_tui.domain.identity import ExportKind

# Azure Monitor diagnostic settings: the categories that carry Entra sign-ins.
SIGN_IN_CATEGORIES = frozenset(
    {"SignInLogs", "NonInteractiveUserSignInLogs", "ServicePrincipalSignInLogs", "ManagedIdentitySignInLogs"}
)

EXPECTED = (
    "an Okta export (Current Assignments CSV, System Log JSON/NDJSON/CSV, apps, app users, users, API "
    "tokens) or an Entra ID one (Graph JSON of service principals, appRoleAssignedTo, users or sign-ins; "
    "the sign-ins CSV; Azure Monitor sign-in logs)"
)


def is_azure_monitor(record: dict[str, Any]) -> bool:
    return "category" in record and isinstance(record.get("properties"), dict) and "time" in record


def json_kind(record: dict[str, Any]) -> ExportKind | None:
    """The kind one JSON record belongs to; None when it looks like none of them."""
    if is_azure_monitor(record):
        return ExportKind.ENTRA_SIGN_INS if record.get("category") in SIGN_IN_CATEGORIES else None
    if "eventType" in record and "published" in record:
        return ExportKind.OKTA_SYSTEM_LOG
    if "servicePrincipalType" in record or "appRoleAssignmentRequired" in record:
        return ExportKind.ENTRA_SERVICE_PRINCIPALS
    if "principalType" in record and ("resourceId" in record or "appRoleId" in record):
        return ExportKind.ENTRA_APP_ROLE_ASSIGNMENTS
    if "createdDateTime" in record and ("appId" in record or "appDisplayName" in record):
        return ExportKind.ENTRA_SIGN_INS
    if "TimeGenerated" in record and ("AppId" in record or "AppDisplayName" in record):
        return ExportKind.ENTRA_SIGN_INS  # a Log Analytics query's result saved as JSON
    if "userPrincipalName" in record and ("accountEnabled" in record or "signInActivity" in record):
        return ExportKind.ENTRA_USERS
    if "clientName" in record and "userId" in record:
        return ExportKind.OKTA_API_TOKENS
    if "signOnMode" in record or ("label" in record and "settings" in record):
        return ExportKind.OKTA_APPS
    if "scope" in record and ("credentials" in record or "_links" in record):
        return ExportKind.OKTA_APP_USERS
    if isinstance(record.get("profile"), dict) and "login" in record["profile"] and "status" in record:
        return ExportKind.OKTA_USERS
    return None


# Files that are no text export at all, by their first bytes: what to tell the person who chose them.
BINARY_SHAPES = (
    (b"PK\x03\x04", "an Excel workbook or a zip archive (save the report as CSV, or unpack it)"),
    (b"\x1f\x8b", "a gzip-compressed file (unpack it first)"),
    (b"Obj\x01", "an Avro file, as Event Hubs Capture writes (export the sign-ins as JSON instead)"),
)


def binary_shape(head: bytes) -> str | None:
    return next((said for magic, said in BINARY_SHAPES if head.startswith(magic)), None)


def column(name: str) -> str:
    """A CSV header as compared: case, spaces and punctuation aside ("Application ID " is "applicationid")."""
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def csv_kind(header: list[str]) -> ExportKind | None:
    columns = {column(name) for name in header}
    if "applicationlogin" in columns and "login" in columns:
        return ExportKind.OKTA_ASSIGNMENTS
    if "eventtype" in columns and "published" in columns:
        return ExportKind.OKTA_SYSTEM_LOG
    dated = columns & {"dateutc", "createddatetime", "date", "datetime", "timegeneratedutc", "timegenerated"}
    app = columns & {"application", "applicationid", "appdisplayname", "appid"}
    who = columns & {"username", "userprincipalname", "userid", "serviceprincipalid", "serviceprincipalname"}
    if dated and app and who:
        return ExportKind.ENTRA_SIGN_INS
    return None
