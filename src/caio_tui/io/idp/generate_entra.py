"""Microsoft Entra ID's files for a generated portfolio's identity stories (`generate.py` decides them), as
Microsoft Graph answers and as identity teams save them: service principals in two `{"value": [...]}` pages
concatenated (the first with its `@odata.nextLink`), `appRoleAssignedTo`, users with `signInActivity`, user
sign-ins from `/beta/auditLogs/signIns`, and the service principal and managed identity sign-ins as an Azure
Monitor diagnostic setting writes them to a storage account (one JSON record per line)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from caio_tui.io.idp.generate import AppStory, IdpWorld, Person

GRAPH = "https://graph.microsoft.com"
TENANT = "72f988bf-0000-4000-8000-00000000a9e7"
DEFAULT_ROLE = "00000000-0000-0000-0000-000000000000"  # Graph's "default access" app role
_DEVICES = (
    ("Windows 10", "Edge 120.0.2210"),
    ("MacOs", "Safari 17.2"),
    ("Windows 10", "Chrome 120.0.0"),
    ("Ios 17.2", "Mobile Safari 17.2"),
    ("Linux", "Firefox 121.0"),
)


def write_entra(world: IdpWorld, directory: Path) -> list[Path]:
    stories = [s for s in world.stories if s.vendor == "entra"]
    directory.mkdir(parents=True, exist_ok=True)
    user_ids = {p.index: world.guid() for p in world.people}
    principals = [sp for s in stories for sp in _service_principals(world, s, user_ids)]
    half = (len(principals) + 1) // 2
    sp_context = f"{GRAPH}/v1.0/$metadata#servicePrincipals"
    pages = [
        _envelope(sp_context, principals[:half], f"{GRAPH}/v1.0/servicePrincipals?$skiptoken=RFNwdAIAAQAAAC"),
        _envelope(sp_context, principals[half:]),
    ]
    sp_path = directory / "service-principals.json"
    sp_path.write_text("\n".join(json.dumps(p) for p in pages) + "\n", encoding="utf-8")
    assignments = [a for s in stories for a in _assignments(world, s, user_ids)]
    people = [_user(world, p, user_ids[p.index]) for p in world.people]
    sign_ins = [e for s in stories for e in _user_sign_ins(world, s, user_ids)]
    sign_ins.sort(key=lambda e: e["createdDateTime"], reverse=True)  # Graph lists the newest first
    return [
        sp_path,
        _write(
            directory / "app-role-assigned-to.json",
            _envelope(f"{GRAPH}/v1.0/$metadata#appRoleAssignments", assignments),
        ),
        _write(directory / "users.json", _envelope(f"{GRAPH}/v1.0/$metadata#users", people)),
        _write(directory / "sign-ins.json", _envelope(f"{GRAPH}/beta/$metadata#auditLogs/signIns", sign_ins)),
        _service_sign_ins(world, stories, directory / "service-principal-sign-ins.json"),
    ]


def _envelope(context: str, value: list[dict[str, Any]], next_link: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {"@odata.context": context, "value": value}
    if next_link:
        page["@odata.nextLink"] = next_link
    return page


def _write(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value) + "\n", encoding="utf-8")
    return path


def _credentials(world: IdpWorld, story: AppStory) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(passwordCredentials, keyCredentials) of the pilot's application."""
    cred = story.credential
    if story.identity != "application" or cred is None:
        return [], []
    entry = {
        "customKeyIdentifier": None,
        "displayName": f"{story.label} {'certificate' if cred.strength == 'key' else 'secret'}",
        "endDateTime": world.stamp(-cred.expires),
        "keyId": world.guid(),
        "startDateTime": world.stamp(cred.created),
    }
    if cred.strength == "key":
        return [], [{**entry, "key": None, "type": "AsymmetricX509Cert", "usage": "Verify"}]
    return [{**entry, "hint": "Q~x", "secretText": None}], []


def _owner(person: Person, user_id: str) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.user",
        "id": user_id,
        "displayName": person.name,
        "userPrincipalName": person.login,
    }


def _service_principals(world: IdpWorld, story: AppStory, user_ids: dict[int, str]) -> list[dict[str, Any]]:
    passwords, keys = _credentials(world, story)
    app = {
        "id": story.object_id,
        "accountEnabled": True,
        "appId": story.app_id,
        "appDisplayName": story.label,
        "appOwnerOrganizationId": TENANT,
        "appRoleAssignmentRequired": not story.tenant_wide,
        "displayName": story.label,
        "servicePrincipalType": "Application",
        "servicePrincipalNames": [story.app_id],
        "signInAudience": "AzureADMyOrg",
        "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
        "passwordCredentials": passwords,
        "keyCredentials": keys,
        "owners": [_owner(story.owner, user_ids[story.owner.index])],
    }
    if story.identity != "managed_identity":
        return [app]
    managed = {
        "id": story.service_id,
        "accountEnabled": True,
        "appId": story.service_app_id or world.guid(),
        "displayName": _managed_name(story),
        "servicePrincipalType": "ManagedIdentity",
        "alternativeNames": ["isExplicit=False", f"/subscriptions/{TENANT}/resourceGroups/ai-pilots"],
        "appRoleAssignmentRequired": False,
        "servicePrincipalNames": [],
        "passwordCredentials": [],
        "keyCredentials": [],
        "tags": [],
    }
    return [app, managed]


def _managed_name(story: AppStory) -> str:
    return story.service_name or f"{story.label} managed identity"


def _assignments(world: IdpWorld, story: AppStory, user_ids: dict[int, str]) -> list[dict[str, Any]]:
    """Who may use the app: a group (and its owner) when provisioned through groups, else each person."""
    base: dict[str, Any] = {
        "appRoleId": DEFAULT_ROLE,
        "deletedDateTime": None,
        "resourceDisplayName": story.label,
        "resourceId": story.object_id,
    }
    if story.via_group:
        people: list[Person] = [story.owner]
        group: dict[str, Any] = {
            "principalDisplayName": story.group or f"{story.label} users",
            "principalId": world.guid(),
            "principalType": "Group",
        }
        found = [{**base, "id": world.guid(), "createdDateTime": world.stamp(story.created), **group}]
    else:
        people, found = story.users, []
    if story.shared is not None:
        people = [*people, story.shared]
    for person in people:
        who = {"principalDisplayName": person.name, "principalId": user_ids[person.index], "principalType": "User"}
        found.append({**base, "id": world.guid(), "createdDateTime": world.stamp(story.created - 1), **who})
    return found


def _user(world: IdpWorld, person: Person, user_id: str) -> dict[str, Any]:
    last = None if person.last_sign_in is None else world.stamp(person.last_sign_in + 0.3)
    return {
        "id": user_id,
        "displayName": person.name,
        "userPrincipalName": person.login,
        "mail": None if person.service else person.login,
        "accountEnabled": person.active,
        "signInActivity": {
            "lastSignInDateTime": last,
            "lastSignInRequestId": world.guid() if last else None,
            "lastNonInteractiveSignInDateTime": last,
            "lastNonInteractiveSignInRequestId": world.guid() if last else None,
            "lastSuccessfulSignInDateTime": last,
            "lastSuccessfulSignInRequestId": world.guid() if last else None,
        },
    }


def _sign_in(world: IdpWorld, story: AppStory, days_ago: float, device: int, **fields: Any) -> dict[str, Any]:
    os_name, browser = _DEVICES[device % len(_DEVICES)]
    return {
        "id": world.guid(),
        "createdDateTime": world.stamp(days_ago),
        "appId": story.app_id,
        "appDisplayName": story.label,
        "ipAddress": world.ip(),
        "clientAppUsed": "Browser",
        "correlationId": world.guid(),
        "conditionalAccessStatus": "success",
        "isInteractive": True,
        "resourceDisplayName": story.label,
        "resourceId": story.app_id,
        "servicePrincipalId": "",
        "servicePrincipalName": "",
        "signInEventTypes": ["interactiveUser"],
        "clientCredentialType": "none",
        "status": {"errorCode": 0, "failureReason": "Other.", "additionalDetails": None},
        "deviceDetail": {
            "deviceId": str(uuid.UUID(int=device + 1)),  # each person (or shared-account user) their own device
            "displayName": f"DCS-LT-{device:05d}",
            "operatingSystem": os_name,
            "browser": browser,
            "isCompliant": False,
            "isManaged": False,
            "trustType": "",
        },
        "location": {"city": "Washington", "state": "District of Columbia", "countryOrRegion": "US"},
        **fields,
    }


def _as(person: Person, user_ids: dict[int, str]) -> dict[str, Any]:
    return {"userDisplayName": person.name, "userPrincipalName": person.login, "userId": user_ids[person.index]}


def _user_sign_ins(world: IdpWorld, story: AppStory, user_ids: dict[int, str]) -> list[dict[str, Any]]:
    rng, found = world.rng, []
    if story.names_users:
        for person in story.users:
            if person.active and person.last_sign_in is not None and person.last_sign_in < 30:
                for _ in range(rng.randint(1, 3)):
                    when = rng.uniform(person.last_sign_in, 29)
                    found.append(_sign_in(world, story, when, person.index, **_as(person, user_ids)))
            elif not person.active:  # a leaver still trying: refused because the account is disabled
                failure = {"errorCode": 50057, "failureReason": "User account is disabled.", "additionalDetails": None}
                found.append(
                    _sign_in(world, story, rng.uniform(1, 20), person.index, status=failure, **_as(person, user_ids))
                )
    if story.shared is not None:
        for device in range(story.shared_devices or rng.randint(6, 12)):
            found.append(_sign_in(world, story, rng.uniform(0.5, 29), device, **_as(story.shared, user_ids)))
    if story.personal_token:  # the service signs in as its lead, in the background
        for _ in range(rng.randint(5, 10)):
            found.append(
                _sign_in(
                    world,
                    story,
                    rng.uniform(0.2, 29),
                    4,
                    isInteractive=False,
                    signInEventTypes=["nonInteractiveUser"],
                    clientAppUsed="Mobile Apps and Desktop clients",
                    **_as(story.owner, user_ids),
                )
            )
    return found


def _service_sign_ins(world: IdpWorld, stories: list[AppStory], path: Path) -> Path:
    """Azure Monitor's storage account export: one record a line, the sign-in in `properties`."""
    records = []
    for story in stories:
        if story.identity is None or story.credential is None:
            continue
        managed = story.identity == "managed_identity"
        kind = "managedIdentity" if managed else "servicePrincipal"
        credential = {"key": "certificate", "secret": "clientSecret", "managed": "managedIdentity"}
        for _ in range(world.rng.randint(3, 8)):
            when = world.rng.uniform(0.2, 200)
            sign_in = _sign_in(
                world,
                story,
                when,
                0,
                isInteractive=False,
                signInEventTypes=[kind],
                clientAppUsed="",
                servicePrincipalId=story.service_id if managed else story.object_id,
                servicePrincipalName=_managed_name(story) if managed else story.label,
                clientCredentialType=credential[story.credential.strength],
                userPrincipalName="",
                userDisplayName="",
                userId="",
            )
            category = "ManagedIdentitySignInLogs" if managed else "ServicePrincipalSignInLogs"
            records.append(
                {
                    "time": sign_in["createdDateTime"],
                    "resourceId": f"/tenants/{TENANT}/providers/Microsoft.aadiam",
                    "operationName": "Sign-in activity",
                    "operationVersion": "1.0",
                    "category": category,
                    "tenantId": TENANT,
                    "resultType": "0",
                    "callerIpAddress": sign_in["ipAddress"],
                    "correlationId": sign_in["correlationId"],
                    "identity": sign_in["servicePrincipalName"],
                    "Level": 4,
                    "location": "US",
                    "properties": sign_in,
                }
            )
    records.sort(key=lambda r: r["time"])
    path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records), encoding="utf-8")
    return path
