"""Okta and Entra ID exports for a generated portfolio (`caio-tui generate --idp DIR`): the files an identity
team would hand a CAIO, consistent with the pilots' stages and blockers, the same for the same seed and day.

Each pilot past intake (up to `MAX_IDP_PILOTS`) runs as one IdP application, two in three in Okta and the rest
in Entra ID, labelled with the pilot's name (so the link review can propose it; nothing here links). Its
story follows its open blockers: `shared-service-account` puts several people behind one application login
and one account's sessions on many devices, `personal-credentials` a service running on its lead's API token
or delegated sign-in, `no-deprovisioning` deactivated people still assigned, `informal-access` an Entra app
open to the whole tenant, `ungoverned-system-identity` a service identity on an old or expired secret,
`debug-only-logging` sign-in records that never name the person. Pilots in production mostly have their
own identity with a certificate or a managed identity. A little noise on top gives every story elsewhere.

This module decides the stories (vendor-neutral `AppStory`); `generate_okta.py` and `generate_entra.py`
write them in each vendor's documented format.
"""

from __future__ import annotations

import dataclasses
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from caio_tui.domain.stages import Stage
from caio_tui.store.bulk import NewPilot

MAX_IDP_PILOTS = 2_000  # a department's identity exports (about 25 s to write here), not a million pilots' worth
DOMAIN = "agency.example.gov"
OKTA_ORG = "https://agency.okta.example"

_FIRST = (
    "Marisol", "Dwayne", "Priya", "Renee", "Thomas", "Angela", "Yolanda", "Samuel", "Denise", "Monique",
    "Hector", "Patricia", "Kevin", "Aisha", "Brian", "Chen", "Daniela", "Emeka", "Fatima", "Gregory",
)  # fmt: skip
_LAST = (
    "Okafor", "Whitfield", "Raman", "Castellanos", "Bell", "Ruiz", "Pierce", "Adeyemi", "Albright", "Baptiste",
    "Villanueva", "Nwosu", "Anderson", "Brooks", "Chavez", "Dubois", "Eriksen", "Flores", "Goldberg", "Hughes",
)  # fmt: skip
_USERS = {
    Stage.POC: (2, 5),
    Stage.PILOT: (4, 14),
    Stage.READINESS: (8, 25),
    Stage.PRODUCTION: (20, 50),
    Stage.SCALED: (40, 90),
}
_OWN_IDENTITY = {Stage.POC: 0.1, Stage.PILOT: 0.25, Stage.READINESS: 0.5, Stage.PRODUCTION: 0.9, Stage.SCALED: 0.95}

_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

Vendor = Literal["okta", "entra"]
Identity = Literal["service_app", "application", "managed_identity"]
Strength = Literal["key", "secret", "managed"]


@dataclass(frozen=True)
class Person:
    """A directory account. `active` False: deactivated (a leaver); `last_sign_in` in days ago."""

    index: int
    first: str
    last: str
    login: str
    active: bool = True
    last_sign_in: int | None = 3
    service: bool = False  # a non-person account (a shared "svc-" login)

    @property
    def name(self) -> str:
        return self.login.partition("@")[0] if self.service else f"{self.first} {self.last}"


@dataclass(frozen=True)
class Credential:
    strength: Strength
    created: int  # days ago
    expires: int  # days from today; negative: expired


@dataclass
class AppStory:
    """One pilot's application in the IdP and what its exports show."""

    pilot_id: str
    label: str
    vendor: Vendor
    app_id: str  # Okta's 0oa… id; Entra's appId
    object_id: str  # Entra's service principal id (Okta: the app id again)
    owner: Person
    users: list[Person]
    created: int  # days ago
    via_group: bool
    shared: Person | None = None  # the account several people sign in as
    personal_token: bool = False  # a service running on the owner's API token / delegated sign-in
    identity: Identity | None = None
    service_id: str = ""  # Okta service app id / managed identity's service principal id
    credential: Credential | None = None
    tenant_wide: bool = False
    names_users: bool = True  # sign-in records name the person (False: debug-only logging)
    leavers: list[Person] = field(default_factory=list)
    group: str | None = None  # the group people are assigned through (default: "<label> users")
    service_name: str | None = None  # the managed identity's name (default: "<label> managed identity")
    service_app_id: str | None = None  # the managed identity's appId (default: drawn)
    shared_devices: int = 0  # devices the shared account signs in from (0: drawn)


@dataclass
class IdpWorld:
    """Everything both vendors' files are written from."""

    today: datetime  # midnight UTC of the day the files are as of
    people: list[Person]
    stories: list[AppStory]
    rng: random.Random

    def at(self, days_ago: float) -> datetime:
        return self.today - timedelta(days=days_ago)

    def stamp(self, days_ago: float) -> str:
        """Okta's and Graph's timestamp: ISO 8601 UTC with Z."""
        return self.at(days_ago).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def okta_id(self, prefix: str) -> str:
        return prefix + "".join(self.rng.choices(_ID_ALPHABET, k=17))

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def ip(self) -> str:
        return f"198.51.{self.rng.randrange(100, 200)}.{self.rng.randrange(1, 255)}"


def slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())[:40]


def _person(index: int, first: str, last: str, **kw: object) -> Person:
    return Person(index, first, last, f"{first.lower()}.{last.lower()}@{DOMAIN}", **kw)  # type: ignore[arg-type]


class _Planner:
    """Draws each pilot's story from the seed, in pilot order."""

    def __init__(self, seed: int, today: datetime) -> None:
        self.rng = random.Random(f"idp:{seed}")
        self.today = today
        self.people: list[Person] = []
        self.by_login: dict[str, Person] = {}
        self.pool = [_person(i, _FIRST[i % 20], _LAST[(i // 20 + i) % 20]) for i in range(400)]
        for p in self.pool:
            self._add(p)

    def _add(self, person: Person) -> Person:
        if person.login not in self.by_login:
            person = Person(
                len(self.people),
                person.first,
                person.last,
                person.login,
                person.active,
                person.last_sign_in,
                person.service,
            )
            self.people.append(person)
            self.by_login[person.login] = person
        return self.by_login[person.login]

    def _replace(self, person: Person, **changes: object) -> Person:
        changed = dataclasses.replace(person, **changes)  # type: ignore[arg-type]
        self.people[person.index] = changed
        self.by_login[person.login] = changed
        return changed

    def owner(self, name: str) -> Person:
        first, _, last = (name.strip() or "Pat Owner").partition(" ")
        return self._add(_person(0, first, last or "Owner"))

    def story(self, world: IdpWorld, pilot: NewPilot) -> AppStory:
        rng = self.rng
        tags = {b.tag for b in pilot.blockers if b.resolved_at is None}
        vendor: Vendor = "okta" if rng.random() < 0.65 else "entra"
        count = rng.randint(*_USERS[pilot.stage])
        owner = self.owner(pilot.owner)
        users = [owner, *rng.sample(self.pool, count)]
        users = [self.by_login[u.login] for u in dict.fromkeys(users)]
        story = AppStory(
            pilot_id=pilot.id,
            label=pilot.name,
            vendor=vendor,
            app_id=world.okta_id("0oa") if vendor == "okta" else world.guid(),
            object_id="",
            owner=owner,
            users=users,
            created=min(700, max(10, (world.today.date() - pilot.created_at.date()).days + 5)),
            via_group=pilot.stage in (Stage.PRODUCTION, Stage.SCALED) and "no-provisioning-model" not in tags,
            tenant_wide=vendor == "entra" and ("informal-access" in tags or rng.random() < 0.1),
            names_users="debug-only-logging" not in tags,
        )
        story.object_id = story.app_id if vendor == "okta" else world.guid()
        if "shared-service-account" in tags or rng.random() < 0.04:
            story.shared = self._add(
                Person(0, "svc", slug(pilot.name), f"svc-{slug(pilot.name)}@{DOMAIN}", last_sign_in=1, service=True)
            )
        story.personal_token = "personal-credentials" in tags or rng.random() < 0.04
        self._identity(world, story, pilot.stage, tags)
        self._leavers(story, "no-deprovisioning" in tags)
        return story

    def _identity(self, world: IdpWorld, story: AppStory, stage: Stage, tags: set[str]) -> None:
        rng = self.rng
        ungoverned = "ungoverned-system-identity" in tags
        if not ungoverned and (story.personal_token or rng.random() >= _OWN_IDENTITY[stage]):
            return
        if story.vendor == "okta":
            story.identity = "service_app"
            story.service_id = world.okta_id("0oa")
        elif not ungoverned and rng.random() < 0.3:
            story.identity = "managed_identity"
            story.service_id = world.guid()
            story.credential = Credential("managed", rng.randint(30, 400), 3650)
            return
        else:
            story.identity = "application"
        strength: Strength = "secret" if ungoverned or rng.random() < 0.4 else "key"
        created = rng.randint(200, 700) if ungoverned else rng.randint(10, 400)
        roll = rng.random()
        expires = -rng.randint(1, 60) if ungoverned or roll < 0.1 else rng.randint(1, 29) if roll < 0.25 else 365
        story.credential = Credential(strength, created, expires)

    def _leavers(self, story: AppStory, forced: bool) -> None:
        rng = self.rng
        candidates = [u for u in story.users[1:] if not u.service]
        n = rng.randint(1, 3) if forced else (1 if rng.random() < 0.05 else 0)
        for person in candidates[:n]:
            gone = rng.random() < 0.7
            leaver = self._replace(person, active=not gone, last_sign_in=rng.randint(95, 300))
            story.users[story.users.index(person)] = leaver
            story.leavers.append(leaver)


def plan(pilots: Iterable[NewPilot], *, seed: int, now: datetime) -> IdpWorld:
    """Decide every pilot's application and story (pilots past intake, retired ones aside)."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    planner = _Planner(seed, today)
    world = IdpWorld(today, planner.people, [], planner.rng)
    for pilot in pilots:
        if len(world.stories) >= MAX_IDP_PILOTS:
            break
        if pilot.stage in _USERS:
            world.stories.append(planner.story(world, pilot))
    # A leaver found in one story is a leaver everywhere: every story sees the directory's last word.
    for story in world.stories:
        story.users = [planner.people[u.index] for u in story.users]
        story.leavers = [planner.people[u.index] for u in story.leavers]
    world.people = planner.people
    return world


def write_idp_exports(pilots: Iterable[NewPilot], directory: Path, *, seed: int, now: datetime) -> list[Path]:
    """Write the Okta files into DIRECTORY/okta and the Entra ID files into DIRECTORY/entra; returns them."""
    from caio_tui.io.idp.generate_entra import write_entra
    from caio_tui.io.idp.generate_okta import write_okta

    world = plan(pilots, seed=seed, now=now)
    return [*write_okta(world, directory / "okta"), *write_entra(world, directory / "entra")]
