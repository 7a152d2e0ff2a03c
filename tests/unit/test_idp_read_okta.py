"""Okta's exports read from hand-built fixtures (tests/data/idp/README.md names the doc each follows)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from caio_tui.domain.identity import ExportKind, IdpExport
from caio_tui.io.idp.keys import person_keyer
from caio_tui.io.idp.read import read_export

DATA = Path(__file__).parents[1] / "data" / "idp"
KEEP = person_keyer(b"secret", keep=True)


def read(name: str) -> IdpExport:
    return read_export(DATA / name, KEEP)


def problems(export: IdpExport) -> list[str]:
    return [f"{p.where}: {p.message}" for p in export.problems]


def test_current_assignments_keep_a_shared_application_login_by_name_and_key_a_persons_own() -> None:
    export = read("okta-current-assignments.csv")  # BOM, CRLF
    assert export.kind is ExportKind.OKTA_ASSIGNMENTS
    accounts = {(a.app.name, a.principal): a.account for a in export.assignments}
    assert accounts["Grants Assistant", "alice@agency.gov"] == "svc-grants"  # two people, one login
    assert accounts["Grants Assistant", "bob@agency.gov"] == "svc-grants"
    assert accounts["Grants Assistant", "carol@agency.gov"] == "carol@agency.gov"  # her own, keyed as her
    assert accounts["Case Triage CRM", "erin@agency.gov"] == "claims-team"  # differs from her login
    dave = next(a for a in export.assignments if a.principal == "dave@agency.gov")
    assert (dave.assigned_on, dave.unassigned_on, dave.last_login) == (
        date(2025, 11, 2),
        date(2026, 6, 30),
        date(2026, 6, 1),
    )
    bob = next(a for a in export.assignments if a.principal == "bob@agency.gov")
    assert bob.last_login is None and bob.active is None  # blank is unknown
    assert problems(export) == ["row 7: no login"]


def test_people_stay_keyed_in_assignments_when_identities_are_not_kept() -> None:
    export = read_export(DATA / "okta-current-assignments.csv", person_keyer(b"secret", keep=False))
    accounts = {a.account for a in export.assignments}
    assert "svc-grants" in accounts and "claims-team" in accounts
    assert not any("@" in (a.account or "") or "@" in a.principal for a in export.assignments)


def test_a_system_log_as_ndjson_with_crlf_reads_memberships_and_a_broken_line() -> None:
    export = read("okta-system-log.ndjson")
    assert export.kind is ExportKind.OKTA_SYSTEM_LOG and export.records == 9
    assert problems(export) == ["line 3: not JSON (Expecting ',' delimiter)"]
    (dave,) = export.people  # suspended, then unsuspended: the later event wins
    assert dave.active is True
    (membership,) = export.assignments
    assert (membership.assigned_on, membership.unassigned_on) == (date(2026, 10, 2), date(2026, 10, 6))
    (carol,) = export.sign_ins  # the SIEM's extra field is ignored
    assert carol.account == "carol@agency.gov" and carol.interactive is True
    (token,) = export.credentials  # the other was revoked in the same file
    assert (token.kind, token.name, token.owner, token.created) == (
        "api_token",
        "grants-sync",
        "carol@agency.gov",
        date(2026, 10, 7),
    )


def test_the_console_csv_of_the_system_log_reads_as_the_json_does() -> None:
    export = read("okta-system-log.csv")
    assert export.kind is ExportKind.OKTA_SYSTEM_LOG
    (erin,) = export.sign_ins
    assert (erin.app.app_id, erin.app.name, erin.account) == (
        "0oa1grantsbot000001",
        "Grants Assistant",
        "erin@agency.gov",
    )
    (deactivated,) = export.people
    assert deactivated.active is False
    assert problems(export) == ["row 4: 'not a date' is not a date"]


def test_apps_tell_a_service_app_and_its_credential_strength() -> None:
    export = read("okta-apps.json")
    apps = {a.ref.name: a for a in export.apps}
    classifier = apps["Claims Classifier"]
    assert (classifier.own_identity, classifier.strongest_credential, classifier.enabled) == (
        "service_app",
        "key",
        True,
    )
    grants = apps["Grants Assistant"]  # a web app with a client secret (and a newer API's extra field)
    assert (grants.own_identity, grants.strongest_credential) == (None, "secret")
    crm = apps["Case Triage CRM"]  # SAML, no OAuth client: the file says nothing of credentials
    assert (crm.strongest_credential, crm.enabled) == (None, False)
    assert [(c.kind, c.credential_id) for c in export.credentials] == [("private_key", "classifier-2026")]
    assert problems(export) == ["record 4: no id"]


def test_app_users_tell_group_assignments_and_deprovisioned_people() -> None:
    export = read("okta-app-users-0oa1grantsbot000001.json")
    by_person = {a.principal: a for a in export.assignments}
    assert {a.app.app_id for a in export.assignments} == {"0oa1grantsbot000001"}  # from _links, else the name
    assert by_person["carol@agency.gov"].via_group is True
    assert by_person["bob@agency.gov"].active is False
    assert by_person["bob@agency.gov"].account == "svc-grants"
    assert by_person["00u1dave0000000001"].account is None  # keyed by id: the users export ties it


def test_users_and_api_tokens() -> None:
    people = {p.person: p for p in read("okta-users.json").people}
    assert people["bob@agency.gov"].active is False and people["dave@agency.gov"].active is False
    assert people["gina@agency.gov"].active is None  # staged: not started, not a leaver
    assert people["alice@agency.gov"].last_sign_in == date(2026, 10, 1)
    assert "00u1bob00000000001" in people["bob@agency.gov"].aliases
    tokens = {t.name: t for t in read("okta-api-tokens.json").credentials}
    grants = tokens["grants-bot"]
    assert (grants.kind, grants.owner, grants.client_name, grants.created, grants.expires) == (
        "api_token",
        "00u1alice0000000001",
        "Okta API",
        date(2026, 1, 15),
        date(2026, 10, 30),
    )
    assert tokens["nightly-export"].expires is None


def test_a_file_that_does_not_say_when_it_was_taken_is_dated_by_its_newest_date() -> None:
    assert read("okta-users.json").as_of == date(2026, 10, 1)
    assert read("okta-system-log.ndjson").as_of == date(2026, 10, 7)  # its last event
