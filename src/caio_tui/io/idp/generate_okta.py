"""Okta's files for a generated portfolio's identity stories (`generate.py` decides them): the Current
Assignments report CSV, the System Log as NDJSON, and the JSON of `/api/v1/apps`, `/api/v1/apps/{id}/users`
(one file per app, as an identity team saves each call), `/api/v1/users` and `/api/v1/api-tokens`, in the
shapes Okta's documentation gives (fields this tool does not read are there too, as in a real export)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from caio_tui.io.idp.generate import DOMAIN, AppStory, IdpWorld, Person, slug

ASSIGNMENT_COLUMNS = (
    "User",
    "Login",
    "Application name",
    "Application instance",
    "Application login",
    "Assigned on",
    "Unassigned on",
    "Last login",
    "Last password change",
)
_AGENTS = (
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36", "Windows", "CHROME"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 Version/17.2", "Mac OS X", "SAFARI"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Edg/120.0 Safari/537.36", "Windows", "EDGE"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Linux", "FIREFOX"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", "iOS", "SAFARI"),
)  # fmt: skip
RETENTION_DAYS = 90  # Okta keeps System Log events 90 days


def _user_ids(world: IdpWorld) -> dict[int, str]:
    return {p.index: world.okta_id("00u") for p in world.people}


def write_okta(world: IdpWorld, directory: Path) -> list[Path]:
    stories = [s for s in world.stories if s.vendor == "okta"]
    directory.mkdir(parents=True, exist_ok=True)
    ids = _user_ids(world)
    written = [
        _write_json(directory / "apps.json", [a for s in stories for a in _apps(world, s)]),
        _write_json(directory / "users.json", [_user(world, p, ids[p.index]) for p in world.people]),
        _write_json(directory / "api-tokens.json", [_token(world, s, ids) for s in stories if s.personal_token]),
        _assignments(world, stories, directory / "current-assignments.csv"),
        _system_log(world, stories, ids, directory / "system-log.ndjson"),
    ]
    users_dir = directory / "app-users"
    users_dir.mkdir(exist_ok=True)
    for story in stories:
        rows = [_app_user(world, story, p, ids[p.index]) for p in story.users]
        written.append(_write_json(users_dir / f"{story.app_id}.json", rows))
    return written


def _write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value) + "\n", encoding="utf-8")
    return path


def _href(*parts: str) -> dict[str, str]:
    return {"href": "/".join((OKTA_API, *parts))}


OKTA_API = "https://agency.okta.example/api/v1"


def _apps(world: IdpWorld, story: AppStory) -> list[dict[str, Any]]:
    """The app people sign in to (SAML), and the pilot's service app when it has its own identity."""
    sso = {
        "id": story.app_id,
        "name": f"agency_{slug(story.label).replace('-', '')[:24]}_1",
        "label": story.label,
        "status": "ACTIVE",
        "created": world.stamp(story.created),
        "lastUpdated": world.stamp(min(story.created, 20)),
        "signOnMode": "SAML_2_0",
        "accessibility": {"selfService": False, "errorRedirectUrl": None, "loginRedirectUrl": None},
        "visibility": {"autoSubmitToolbar": False, "hide": {"iOS": False, "web": False}},
        "features": [],
        "credentials": {"userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"}, "signing": {}},
        "settings": {"app": {}, "notes": {"admin": None, "enduser": None}},
        "_links": {"users": _href("apps", story.app_id, "users"), "groups": _href("apps", story.app_id, "groups")},
    }
    if story.identity != "service_app" or story.credential is None:
        return [sso]
    key = story.credential.strength == "key"
    service = {
        "id": story.service_id,
        "name": "oidc_client",
        "label": f"{story.label} (service)",
        "status": "ACTIVE",
        "created": world.stamp(story.credential.created),
        "lastUpdated": world.stamp(story.credential.created),
        "signOnMode": "OPENID_CONNECT",
        "credentials": {
            "oauthClient": {
                "autoKeyRotation": True,
                "client_id": story.service_id,
                "token_endpoint_auth_method": "private_key_jwt" if key else "client_secret_basic",
            }
        },
        "settings": {
            "app": {},
            "oauthClient": {
                "application_type": "service",
                "grant_types": ["client_credentials"],
                "response_types": ["token"],
                "redirect_uris": [],
            },
        },
        "_links": {"users": _href("apps", story.service_id, "users")},
    }
    return [sso, service]


def _user(world: IdpWorld, person: Person, user_id: str) -> dict[str, Any]:
    status = "ACTIVE" if person.active else "DEPROVISIONED"
    last = None if person.last_sign_in is None else world.stamp(person.last_sign_in + 0.3)
    return {
        "id": user_id,
        "status": status,
        "created": world.stamp(720),
        "activated": world.stamp(720),
        "statusChanged": world.stamp(30 if not person.active else 700),
        "lastLogin": last,
        "lastUpdated": world.stamp(30),
        "passwordChanged": world.stamp(60),
        "type": {"id": "oty1a2b3c4d5e6f7g8h9"},
        "profile": {
            "firstName": person.first,
            "lastName": person.last,
            "mobilePhone": None,
            "secondEmail": None,
            "login": person.login,
            "email": person.login,
        },
        "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
        "_links": {"self": _href("users", user_id)},
    }


def _app_login(story: AppStory, person: Person) -> str:
    """The account the person uses inside the app: the shared one for everyone but the owner, when shared."""
    if story.shared is not None and person.login != story.owner.login:
        return story.shared.login
    return person.login


def _app_user(world: IdpWorld, story: AppStory, person: Person, user_id: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "externalId": None,
        "created": world.stamp(story.created - 1),
        "lastUpdated": world.stamp(10),
        "scope": "GROUP" if story.via_group else "USER",
        "status": "PROVISIONED" if person.active else "INACTIVE",
        "statusChanged": world.stamp(story.created - 1),
        "passwordChanged": None,
        "syncState": "DISABLED",
        "credentials": {"userName": _app_login(story, person)},
        "profile": {},
        "_links": {"app": _href("apps", story.app_id), "user": _href("users", user_id)},
    }


def _token(world: IdpWorld, story: AppStory, ids: dict[int, str]) -> dict[str, Any]:
    """The pilot lead's own API token, named for the pilot's job: the service acts as the person."""
    created = 40 + story.created // 3
    return {
        "id": world.okta_id("00T"),
        "name": f"{slug(story.label)}-sync",
        "userId": ids[story.owner.index],
        "clientName": story.label,
        "created": world.stamp(created),
        "expiresAt": world.stamp(-25),
        "lastUpdated": world.stamp(1),
        "tokenWindow": "P30D",
        "network": {"connection": "ANYWHERE"},
        "_link": {"self": _href("api-tokens")},
    }


def _assignments(world: IdpWorld, stories: list[AppStory], path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(ASSIGNMENT_COLUMNS)
        for story in stories:
            for person in story.users:
                last = "" if person.last_sign_in is None else world.stamp(person.last_sign_in + 0.4)
                assigned = world.stamp(max(1, story.created - world.rng.randrange(0, 30)))
                app = story.label
                writer.writerow(
                    (person.name, person.login, app, app, _app_login(story, person), assigned, "", last, "")
                )
    return path


def _actor(kind: str, actor_id: str, alternate: str, name: str) -> dict[str, Any]:
    return {"id": actor_id, "type": kind, "alternateId": alternate, "displayName": name, "detailEntry": None}


def _event(
    world: IdpWorld,
    days_ago: float,
    kind: str,
    actor: dict[str, Any],
    target: list[dict[str, Any]],
    message: str,
    agent: int,
    ip: str,
    result: str = "SUCCESS",
) -> dict[str, Any]:
    raw, os_name, browser = _AGENTS[agent % len(_AGENTS)]
    return {
        "uuid": world.guid(),
        "published": world.stamp(days_ago),
        "eventType": kind,
        "version": "0",
        "severity": "INFO",
        "displayMessage": message,
        "legacyEventType": None,
        "actor": actor,
        "client": {
            "userAgent": {"rawUserAgent": raw, "os": os_name, "browser": browser},
            "zone": "null",
            "device": "Computer",
            "id": None,
            "ipAddress": ip,
            "geographicalContext": {"city": "Washington", "state": "District of Columbia", "country": "United States"},
        },
        "outcome": {"result": result, "reason": None},
        "target": target,
        "transaction": {"type": "WEB", "id": world.okta_id("Wx"), "detail": {}},
        "authenticationContext": {"authenticationStep": 0, "externalSessionId": world.okta_id("102")},
        "debugContext": {"debugData": {"requestUri": "/app/sso/saml"}},
        "securityContext": {"asNumber": None, "asOrg": None, "isp": None, "domain": None, "isProxy": None},
        "request": {"ipChain": [{"ip": ip, "version": "V4"}]},
    }


def _app_target(story: AppStory) -> list[dict[str, Any]]:
    return [{"id": story.app_id, "type": "AppInstance", "alternateId": story.label, "displayName": story.label}]


def _story_events(world: IdpWorld, story: AppStory, ids: dict[int, str]) -> list[dict[str, Any]]:
    rng, events = world.rng, []
    sso = "User single sign on to app"
    if story.names_users:
        for person in story.users:
            if person.last_sign_in is not None and person.last_sign_in < RETENTION_DAYS:
                actor = _actor("User", ids[person.index], person.login, person.name)
                for _ in range(rng.randint(1, 3)):
                    when = rng.uniform(person.last_sign_in, RETENTION_DAYS - 1)
                    events.append(
                        _event(
                            world,
                            when,
                            "user.authentication.sso",
                            actor,
                            _app_target(story),
                            sso,
                            person.index,
                            world.ip(),
                        )
                    )
    if story.shared is not None:
        account = story.shared
        actor = _actor("User", ids[account.index], account.login, account.login)
        for device in range(rng.randint(6, 12)):
            when = rng.uniform(1, RETENTION_DAYS - 1)
            events.append(
                _event(world, when, "user.session.start", actor, [], "User login to Okta", device, world.ip())
            )
            events.append(
                _event(
                    world, when - 0.001, "user.authentication.sso", actor, _app_target(story), sso, device, world.ip()
                )
            )
    if story.personal_token:
        owner = story.owner
        token = [{"id": world.okta_id("00T"), "type": "Token", "alternateId": "unknown", "displayName": "API token"}]
        actor = _actor("User", ids[owner.index], owner.login, owner.name)
        events.append(
            _event(
                world, rng.uniform(30, 80), "system.api_token.create", actor, token, "Create API token", 0, world.ip()
            )
        )
    if story.identity == "service_app":
        client = _actor("PublicClientApp", story.service_id, story.service_id, f"{story.label} (service)")
        for _ in range(rng.randint(3, 8)):
            events.append(
                _event(
                    world,
                    rng.uniform(0.5, RETENTION_DAYS - 1),
                    "app.oauth2.as.token.grant.access_token",
                    client,
                    [],
                    "OAuth2 access token is granted",
                    3,
                    world.ip(),
                )
            )
    for leaver in story.leavers:
        if not leaver.active:
            admin = _actor("User", "00uadmin0000000000", f"okta.admin@{DOMAIN}", "Okta Administrator")
            target = [
                {"id": ids[leaver.index], "type": "User", "alternateId": leaver.login, "displayName": leaver.name}
            ]
            events.append(
                _event(
                    world,
                    rng.uniform(10, 60),
                    "user.lifecycle.deactivate",
                    admin,
                    target,
                    "Deactivate Okta user",
                    0,
                    world.ip(),
                )
            )
    return events


def _system_log(world: IdpWorld, stories: list[AppStory], ids: dict[int, str], path: Path) -> Path:
    """NDJSON, oldest first, as `GET /api/v1/logs?since=…` pages concatenated one event per line."""
    events = [e for s in stories for e in _story_events(world, s, ids)]
    events.sort(key=lambda e: (e["published"], e["uuid"]))
    with path.open("w", encoding="utf-8") as out:
        for event in events:
            out.write(json.dumps(event, separators=(",", ":")) + "\n")
    return path
