"""IdP exports for a generated portfolio: the vendors' documented shapes, the same for the same seed, and the
stories the pilots' blockers tell (`caio-tui generate --idp DIR`)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from caio_tui.cli import cli
from caio_tui.io.generate import Generator
from caio_tui.io.idp.generate import plan, write_idp_exports
from caio_tui.io.idp.generate_okta import ASSIGNMENT_COLUMNS
from caio_tui.store import Portfolio
from caio_tui.store.bulk import NewPilot
from helpers import NOW

COUNT = 120


def _pilots(seed: int = 5) -> list[NewPilot]:
    return list(Generator(seed, NOW).pilots(COUNT))


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("idp")
    write_idp_exports(_pilots(), folder, seed=5, now=NOW)
    return folder


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _pages(path: Path) -> list[dict[str, Any]]:
    """Graph pages concatenated in one file, as an identity team saves each nextLink's answer."""
    decoder, text, found, at = json.JSONDecoder(), path.read_text(encoding="utf-8"), [], 0
    while text[at:].strip():
        page, end = decoder.raw_decode(text, at + (len(text[at:]) - len(text[at:].lstrip())))
        found.append(page)
        at = end
    return found


def test_okta_files_have_the_documented_fields(exports: Path) -> None:
    okta = exports / "okta"
    with (okta / "current-assignments.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == ASSIGNMENT_COLUMNS
    assert all(r["Assigned on"].endswith("Z") and r["Application login"] for r in rows)
    apps = _json(okta / "apps.json")
    assert {"id", "label", "status", "signOnMode", "credentials", "settings"} <= set(apps[0])
    services = [a for a in apps if a["settings"].get("oauthClient", {}).get("application_type") == "service"]
    assert services and all(s["settings"]["oauthClient"]["grant_types"] == ["client_credentials"] for s in services)
    assert {s["credentials"]["oauthClient"]["token_endpoint_auth_method"] for s in services} <= {
        "private_key_jwt",
        "client_secret_basic",
    }
    users = _json(okta / "users.json")
    assert {u["status"] for u in users} == {"ACTIVE", "DEPROVISIONED"}
    assert all({"login", "email"} <= set(u["profile"]) for u in users)
    tokens = _json(okta / "api-tokens.json")
    assert tokens and all({"id", "name", "userId", "clientName", "created", "expiresAt"} <= set(t) for t in tokens)
    app_users = [_json(p) for p in sorted((okta / "app-users").glob("*.json"))]
    assert len(app_users) == sum(1 for a in apps if a["signOnMode"] == "SAML_2_0")
    assert all(u["scope"] in ("USER", "GROUP") and u["credentials"]["userName"] for f in app_users for u in f)
    events = [json.loads(line) for line in (okta / "system-log.ndjson").read_text(encoding="utf-8").splitlines()]
    assert [e["published"] for e in events] == sorted(e["published"] for e in events)
    assert {"user.authentication.sso", "user.session.start", "app.oauth2.as.token.grant.access_token"} <= {
        e["eventType"] for e in events
    }
    assert all({"uuid", "actor", "client", "outcome", "target", "transaction"} <= set(e) for e in events)


def test_entra_files_are_graph_answers(exports: Path) -> None:
    entra = exports / "entra"
    pages = _pages(entra / "service-principals.json")
    assert len(pages) == 2 and "@odata.nextLink" in pages[0] and "@odata.nextLink" not in pages[1]
    principals = [sp for page in pages for sp in page["value"]]
    assert {sp["servicePrincipalType"] for sp in principals} == {"Application", "ManagedIdentity"}
    assert any(sp["appRoleAssignmentRequired"] is False for sp in principals)
    assert any(sp["keyCredentials"] for sp in principals) and any(sp["passwordCredentials"] for sp in principals)
    assigned = _json(entra / "app-role-assigned-to.json")["value"]
    assert {a["principalType"] for a in assigned} == {"User", "Group"}
    assert {a["resourceId"] for a in assigned} <= {sp["id"] for sp in principals}
    users = _json(entra / "users.json")["value"]
    assert any(u["accountEnabled"] is False for u in users)
    assert all("lastSignInDateTime" in u["signInActivity"] for u in users)
    sign_ins = _json(entra / "sign-ins.json")["value"]
    kinds = Counter(t for s in sign_ins for t in s["signInEventTypes"])
    assert kinds["interactiveUser"] and kinds["nonInteractiveUser"]
    monitor = [json.loads(line) for line in (entra / "service-principal-sign-ins.json").read_text().splitlines()]
    assert {r["category"] for r in monitor} == {"ServicePrincipalSignInLogs", "ManagedIdentitySignInLogs"}
    assert {r["properties"]["clientCredentialType"] for r in monitor} <= {
        "certificate",
        "clientSecret",
        "managedIdentity",
    }


def test_the_same_seed_writes_the_same_files_and_another_seed_others(tmp_path: Path) -> None:
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        write_idp_exports(_pilots(seed), tmp_path / name, seed=seed, now=NOW.replace(hour=18))
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    assert (tmp_path / "a/okta/users.json").read_bytes() != (tmp_path / "c/okta/users.json").read_bytes()


def test_stories_follow_the_pilots_open_blockers() -> None:
    pilots = _pilots()
    world = plan(pilots, seed=5, now=NOW)
    by_id = {p.id: p for p in pilots}
    for story in world.stories:
        tags = {b.tag for b in by_id[story.pilot_id].blockers if b.resolved_at is None}
        if "shared-service-account" in tags:
            assert story.shared is not None
        if "personal-credentials" in tags:
            assert story.personal_token
            assert story.identity is None or "ungoverned-system-identity" in tags
        if "no-deprovisioning" in tags:
            assert story.leavers and all(p.last_sign_in and p.last_sign_in > 90 for p in story.leavers)
        if "ungoverned-system-identity" in tags:
            assert story.credential is not None and story.credential.strength == "secret"
    assert {s.vendor for s in world.stories} == {"okta", "entra"}
    assert not {p.id for p in pilots if p.stage in ("intake", "retired")} & {s.pilot_id for s in world.stories}


def test_shared_account_shows_as_one_application_login_behind_several_people(exports: Path) -> None:
    with (exports / "okta/current-assignments.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    per_login = Counter((r["Application name"], r["Application login"]) for r in rows)
    shared = [key for key, n in per_login.items() if key[1].startswith("svc-")]
    assert shared and all(per_login[key] >= 2 for key in shared)


def test_the_command_writes_them_beside_the_portfolio(tmp_path: Path) -> None:
    out = CliRunner().invoke(
        cli, ["generate", "--db", str(tmp_path / "p.db"), "--pilots", "30", "--idp", str(tmp_path / "idp")]
    )
    assert out.exit_code == 0, out.output
    assert "identity export file(s)" in out.output
    assert (tmp_path / "idp/okta/current-assignments.csv").exists()
    assert (tmp_path / "idp/entra/sign-ins.json").exists()


# ---- the civilian-agency sample's identity exports --------------------------------------------------


def test_the_sample_tells_its_stories_in_entra_files(tmp_path: Path) -> None:
    from caio_tui.io.idp.sample_exports import write_sample_idp

    files, links = write_sample_idp("civilian-agency", tmp_path, NOW)
    assert {f.name for f in files} >= {"service-principals.json", "sign-ins.json", "app-role-assigned-to.json"}
    assert {link.pilot_id for link in links} >= {"DCS-004", "DCS-007", "DCS-008"}
    principals = {
        sp["displayName"]: sp for page in _pages(tmp_path / "entra/service-principals.json") for sp in page["value"]
    }
    assert principals["OBA Benefits Policy Assistant"]["appRoleAssignmentRequired"] is False
    assert principals["mi-gmo-triage"]["servicePrincipalType"] == "ManagedIdentity"
    assert principals["sp-ocio-ticketsum"]["passwordCredentials"]
    sign_ins = _json(tmp_path / "entra/sign-ins.json")["value"]
    shared = [s for s in sign_ins if s["userPrincipalName"].startswith("svc-oba-assist@")]
    assert len({s["ipAddress"] for s in shared}) > 10
    assert not [s for s in sign_ins if s["appDisplayName"] == "GMO Grant Application Triage"]  # debug-only logs
    users = {u["id"]: u for u in _json(tmp_path / "entra/users.json")["value"]}
    ticketsum = [a for a in _json(tmp_path / "entra/app-role-assigned-to.json")["value"]
                 if a["resourceDisplayName"] == "sp-ocio-ticketsum"]  # fmt: skip
    assert sum(1 for a in ticketsum if users[a["principalId"]]["accountEnabled"] is False) == 2
    again, _ = write_sample_idp("civilian-agency", tmp_path / "again", NOW)
    assert [f.read_bytes() for f in files] == [f.read_bytes() for f in again]


def test_a_sample_without_identity_stories_writes_nothing(tmp_path: Path) -> None:
    from caio_tui.io.idp.sample_exports import write_sample_idp

    assert write_sample_idp("small-agency", tmp_path, NOW) == ([], [])


# ---- read back through the reader, into the facts meant -------------------------------------------------


def test_every_generated_file_reads_back_with_no_skipped_record(exports: Path) -> None:
    from caio_tui.domain.identity import ExportKind
    from caio_tui.io.idp.keys import person_keyer
    from caio_tui.io.idp.read import read_export

    keyer = person_keyer(b"k" * 32, False)
    read = {p.relative_to(exports).as_posix(): read_export(p, keyer) for p in sorted(exports.rglob("*")) if p.is_file()}
    assert all(not e.problems for e in read.values())
    kinds = {e.kind for e in read.values()}
    assert kinds == set(ExportKind)
    tokens = read["okta/api-tokens.json"].credentials
    assert tokens and all(t.kind == "api_token" and t.owner and t.owner.startswith("p:") for t in tokens)
    apps = read["okta/apps.json"].apps
    assert {a.own_identity for a in apps} == {None, "service_app"}
    shared = [a for a in read["okta/current-assignments.csv"].assignments if (a.account or "").startswith("svc-")]
    assert shared and all(a.principal.startswith("p:") for a in shared)  # people keyed, the shared login kept
    principals = read["entra/service-principals.json"].apps  # both pages of the envelope
    assert {a.own_identity for a in principals} >= {"application", "managed_identity"}
    assert any(a.assignment_required is False for a in principals)
    assert any(not p.active for p in read["entra/users.json"].people)
    assert {t.account_kind for t in read["entra/service-principal-sign-ins.json"].sign_ins} >= {"service_principal"}


def test_the_demo_starts_with_the_samples_stories_waiting_for_review(
    sample_portfolio: Portfolio, tmp_path: Path
) -> None:
    from caio_tui.io.idp.sample_exports import load_sample_identity

    waiting = load_sample_identity(sample_portfolio, "civilian-agency", tmp_path)
    proposed = {(p.pilot_id, p.target) for p in sample_portfolio.proposals()}
    assert waiting == len(sample_portfolio.proposals()) > 0
    assert ("DCS-004", "shared-service-account") in proposed  # the assistant on svc-oba-assist
    assert ("DCS-005", "personal-credentials") in proposed  # the notebook on its lead's sign-in
    assert ("DCS-008", "no-deprovisioning") in proposed  # the allow-list that keeps leavers
    assert ("DCS-007", "audit.activity") in proposed  # records that never name a user
    assert {link[0] for link in sample_portfolio.app_links()} >= {"DCS-004", "DCS-007", "DCS-008"}
