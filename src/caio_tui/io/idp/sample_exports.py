"""A sample portfolio's identity exports: `sample_portfolios/identity/NAME.toml` tells what the sample agency's
identity provider says about its pilots' applications; `write_sample_idp` writes those stories as the files an
identity team hands over, laid out against today (like the sample itself, so they never age), and
`load_sample_identity` imports them and links each application to its pilot, so `caio-tui demo` starts with
proposals waiting. A sample may link: its author knows which application is which pilot. A user's import
never links by guess.
"""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from caio_tui.io.idp.generate import AppStory, Credential, IdpWorld, Person, _Planner, slug
from caio_tui.resources import resource_dir
from caio_tui.store import Portfolio, StoreError

SAMPLE_IDP_FORMAT = "caio-tui-sample-idp"
_IDS = uuid.UUID("6f1d3c2a-5b7e-4c1d-9a8f-0e2b4c6d8a10")  # namespace of the sample's stable ids


@dataclass(frozen=True)
class SampleLink:
    pilot_id: str
    vendor: str
    app_id: str


def sample_idp_spec(name: str) -> dict[str, Any] | None:
    """The sample's identity stories, or None when the sample ships none."""
    entry = resource_dir("sample_portfolios") / "identity" / f"{name}.toml"
    if not entry.is_file():
        return None
    try:
        spec = tomllib.loads(entry.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise StoreError(f"sample {name}: identity stories: {exc}") from None
    if spec.get("format") != SAMPLE_IDP_FORMAT or spec.get("version") != 1:
        raise StoreError(f"sample {name}: {entry.name} is not a {SAMPLE_IDP_FORMAT} file, version 1")
    return spec


def _stable_id(*parts: str) -> str:
    return str(uuid.uuid5(_IDS, "/".join(parts)))


def _story(planner: _Planner, world: IdpWorld, app: dict[str, Any]) -> AppStory:
    rng = planner.rng
    owner = planner.owner(app["owner"])
    users = [owner, *rng.sample(planner.pool, int(app.get("users", 0)))]
    users = [planner.by_login[u.login] for u in dict.fromkeys(users)]
    label = str(app["label"])
    credential = app.get("credential")
    story = AppStory(
        pilot_id=str(app["pilot"]),
        label=label,
        vendor="entra",
        app_id=_stable_id("app", label),
        object_id=_stable_id("sp", label),
        owner=owner,
        users=users,
        created=int(app.get("created_days_ago", 365)),
        via_group="group" in app,
        group=app.get("group"),
        personal_token=bool(app.get("personal", False)),
        identity=app.get("identity"),
        service_id=_stable_id("mi-sp", label),
        service_name=app.get("service_name"),
        service_app_id=_stable_id("mi-app", label),
        tenant_wide=bool(app.get("tenant_wide", False)),
        names_users=bool(app.get("names_users", True)),
        credential=None
        if credential is None
        else Credential(credential["strength"], credential["created_days_ago"], credential["expires_in_days"]),
    )
    if "shared" in app:
        account = str(app["shared"])
        story.shared = planner._add(Person(0, account, "", f"{account}@agency.example.gov", service=True))
        story.shared_devices = int(app.get("shared_devices", 0))
    others = [u for u in users[1:] if not u.service]
    gone, stale = int(app.get("leavers", 0)), int(app.get("stale", 0))
    for n, person in enumerate(others[: gone + stale]):
        leaver = planner._replace(person, active=n >= gone, last_sign_in=100 + 20 * n)
        story.users[story.users.index(person)] = leaver
        story.leavers.append(leaver)
    return story


def sample_world(spec: dict[str, Any], now: datetime) -> tuple[IdpWorld, list[SampleLink]]:
    """The sample's stories as a world the vendors' writers take, and the links its author knows."""
    from caio_tui.io.idp.generate import plan

    world = plan([], seed=0, now=now)
    planner = _Planner(0, world.today)
    world.rng = planner.rng
    stories = [_story(planner, world, app) for app in spec.get("apps", [])]
    for story in stories:  # the directory's last word for everyone (a leaver in one app is one everywhere)
        story.users = [planner.people[u.index] for u in story.users]
    world.people, world.stories = planner.people, stories
    links = [SampleLink(s.pilot_id, "entra", s.app_id) for s in stories]
    links += [
        SampleLink(s.pilot_id, "entra", s.service_app_id or "") for s in stories if s.identity == "managed_identity"
    ]
    return world, links


def write_sample_idp(name: str, directory: Path, now: datetime) -> tuple[list[Path], list[SampleLink]]:
    """Write the sample's identity exports into DIRECTORY; ([], []) for a sample without any."""
    from caio_tui.io.idp.generate_entra import write_entra

    spec = sample_idp_spec(name)
    if spec is None:
        return [], []
    world, links = sample_world(spec, now)
    return write_entra(world, directory / slug(spec.get("vendor", "entra"))), links


def load_sample_identity(portfolio: Portfolio, name: str, directory: Path) -> int:
    """Import the sample's identity exports (written into DIRECTORY) and link them to its pilots; returns
    how many proposals wait for review."""
    from caio_tui.io.idp.keys import person_keyer
    from caio_tui.io.idp.read import read_export

    files, links = write_sample_idp(name, directory, portfolio.clock())
    if not files:
        return 0
    keyer = person_keyer(portfolio.identity_secret(), False)
    portfolio.import_identity([read_export(path, keyer) for path in files], keep_identities=False)
    for link in links:
        portfolio.link_app(link.pilot_id, link.vendor, link.app_id)
    return len(portfolio.proposals())
