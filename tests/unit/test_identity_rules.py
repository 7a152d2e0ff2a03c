"""The identity rules, rule by rule, on facts built by hand (pure: no portfolio), their data file, and the
link suggestions."""

from __future__ import annotations

from datetime import date

import pytest

from caio_tui.domain.identity import AppRef, IdpApp, IdpAssignment, IdpCredential, IdpPerson, SignInTally, Vendor
from caio_tui.domain.identity_findings import AppFacts, findings
from caio_tui.domain.identity_links import suggest_links
from caio_tui.domain.identity_rules import (
    IdentityApp,
    IdentityRulesError,
    default_identity_rules,
    parse_identity_rules,
)
from helpers.idp import person

TODAY = date(2026, 11, 1)
ENTRA = AppRef(Vendor.ENTRA, "11111111-aaaa", "Case Classifier")
RULES = default_identity_rules()


def _facts(**given: object) -> AppFacts:
    return AppFacts(vendor=Vendor.ENTRA, key=ENTRA.app_id or "", name=ENTRA.name, **given)  # type: ignore[arg-type]


def _found(facts: AppFacts, rule: str) -> list[tuple[str, str | None, str]]:
    return [(f.target, f.status, f.facts) for f in findings([facts], TODAY, RULES) if f.rule == rule]


def _sp(credential: str | None, own: str | None = "application", required: bool | None = True) -> tuple[IdpApp, str]:
    return (IdpApp(ENTRA, own, credential, required, True), "sp.json")  # type: ignore[arg-type]


def _secret(created: date | None, expires: date | None, name: str = "prod") -> tuple[IdpCredential, str]:
    return (IdpCredential(Vendor.ENTRA, name, "secret", ENTRA, name=name, created=created, expires=expires), "sp.json")


def test_own_identity_prefers_a_key_or_managed_identity_over_a_secret() -> None:
    held = (_secret(date(2026, 9, 1), date(2027, 9, 1)),)
    assert _found(_facts(app=_sp("key"), credentials=held), "own-identity")[0][:2] == (
        "system_identity.provisioned",
        "met",
    )
    assert _found(_facts(app=_sp("managed", "managed_identity")), "own-identity")[0][1] == "met"
    assert _found(_facts(app=_sp("secret"), credentials=held), "own-identity")[0][1] == "partial"
    assert _found(_facts(app=_sp(None), credentials=held), "own-identity")[0][1] == "partial"
    assert _found(_facts(app=_sp("secret", own=None), credentials=held), "own-identity") == []  # the file does not say


def test_an_application_people_sign_in_to_is_not_a_system_identity_by_itself() -> None:
    """Entra gives every enterprise application a service principal: only its own credential or sign-ins as
    the principal show the system acting as itself."""
    assert _found(_facts(app=_sp("key")), "own-identity") == []
    as_itself = SignInTally(ENTRA, "Case Classifier", "service_principal", False, 3, 0, 1, 1, TODAY, TODAY, False)
    assert _found(_facts(app=_sp("key"), sign_ins=((as_itself, "s.json"),)), "own-identity")[0][1] == "met"


def test_a_managed_identity_is_never_open_to_every_user() -> None:
    facts = _facts(app=_sp("managed", "managed_identity", required=False))
    assert all("open to every user" not in words for _, _, words in _found(facts, "reach"))


@pytest.mark.parametrize(
    ("created", "expires", "status", "words"),
    [
        (date(2026, 1, 1), date(2026, 10, 1), "gap", "expired 2026-10-01"),
        (date(2026, 9, 1), date(2026, 11, 20), "partial", "expires 2026-11-20 (within 30 days)"),
        (date(2026, 1, 1), date(2027, 6, 1), "partial", "created 2026-01-01 (older than 180 days)"),
        (date(2026, 9, 1), date(2027, 9, 1), "met", "1 credential current, newest created 2026-09-01"),
    ],
)
def test_credential_age_and_expiry(created: date, expires: date, status: str, words: str) -> None:
    ((target, proposed, facts),) = _found(_facts(credentials=(_secret(created, expires),)), "credentials-rotated")
    assert (target, proposed) == ("system_identity.credentials", status) and words in facts


def test_the_worst_credential_decides_and_every_one_is_named() -> None:
    held = (_secret(date(2026, 9, 1), date(2027, 9, 1), "new"), _secret(date(2025, 1, 1), date(2026, 2, 1), "old"))
    ((_, status, facts),) = _found(_facts(credentials=held), "credentials-rotated")
    assert status == "gap" and "'old'" in facts


def test_a_managed_identity_has_no_credential_to_rotate() -> None:
    ((_, status, _),) = _found(_facts(app=_sp("managed", "managed_identity")), "credentials-rotated")
    assert status == "met"


def test_reach_groups_one_by_one_and_open_to_every_user() -> None:
    def assigned(via_group: bool, n: int) -> tuple[IdpAssignment, str]:
        return (IdpAssignment(ENTRA, person(n), "user", via_group=via_group), "assigned.json")

    groups = _facts(assignments=(assigned(True, 1), assigned(True, 2)), app=_sp("key", required=False))
    found = {t: (s, f) for t, s, f in _found(groups, "reach")}
    assert (
        found["access.provisioning_model"][0] == "partial"
        and "2 people assigned, 2 through groups" in found["access.provisioning_model"][1]
    )
    assert found["access.roles"] == (
        "gap",
        "Case Classifier: open to every user of the tenant (no assignment required)",
    )
    direct = _facts(assignments=(assigned(False, 1),))
    assert _found(direct, "reach")[0][:2] == ("access.provisioning_model", "gap")


def test_leavers_deactivated_or_idle_before_the_export() -> None:
    rows = tuple(
        (IdpAssignment(ENTRA, person(n), "user", last_login=seen), "assigned.json")
        for n, seen in ((1, date(2026, 10, 20)), (2, date(2026, 5, 1)), (3, None))
    )
    people = {person(3): (IdpPerson(Vendor.ENTRA, person(3), False), "users.json")}
    found = _found(_facts(assignments=rows, people=people, as_of=date(2026, 10, 30)), "leavers")
    assert [t for t, _, _ in found] == ["access.revocation", "lifecycle.user_turnover", "no-deprovisioning"]
    facts = found[-1][2]
    assert "1 person assigned whose account is deactivated" in facts
    assert "1 person assigned with no sign-in since before 2026-08-01 (90 days before 2026-10-30)" in facts


def test_an_unassigned_person_is_no_leaver_and_an_unknown_state_is_not_no() -> None:
    gone = (IdpAssignment(ENTRA, person(1), "user", active=False, unassigned_on=date(2026, 9, 1)), "a.json")
    unknown = (IdpAssignment(ENTRA, person(2), "user"), "a.json")
    assert _found(_facts(assignments=(gone, unknown)), "leavers") == []


def test_personal_credentials_from_a_token_and_non_interactive_user_sign_ins() -> None:
    token = (IdpCredential(Vendor.OKTA, "t", "api_token", None, name="bot", owner=person(1), client_name="X"), "t.json")
    sign_in = SignInTally(ENTRA, person(2), "user", False, 40, 0, 1, 1, date(2026, 9, 1), date(2026, 10, 1), True)
    found = _found(_facts(credentials=(token,), sign_ins=((sign_in, "signins.json"),)), "personal-credentials")
    assert [t for t, _, _ in found] == ["system_identity.provisioned", "personal-credentials"]
    assert "API token 'bot' acts as a person, client 'X'" in found[1][2]
    assert "40 non-interactive sign-ins as 1 person between 2026-09-01 and 2026-10-01" in found[1][2]
    assert "p:" not in found[1][2]


def test_one_account_from_many_devices_is_shared() -> None:
    tally = SignInTally(ENTRA, "svc-classifier", "user", True, 900, 0, 7, 9, date(2026, 9, 1), date(2026, 10, 1), True)
    found = _found(_facts(sign_ins=((tally, "s.json"),)), "shared-account")
    assert (
        found[-1][0] == "shared-service-account" and "account 'svc-classifier' signed in from 7 devices" in found[-1][2]
    )


def test_sign_ins_that_never_name_a_user_are_a_gap_for_audit() -> None:
    tally = SignInTally(
        ENTRA, "sp", "service_principal", False, 50, 0, 1, 1, date(2026, 9, 1), date(2026, 9, 30), False
    )
    ((target, status, facts),) = _found(_facts(sign_ins=((tally, "s.json"),)), "audit-sign-ins")
    assert (target, status) == ("audit.activity", "gap") and "none naming who signed in" in facts


def test_a_disabled_rule_finds_nothing_and_thresholds_are_data() -> None:
    data = RULES.as_data()
    data["rules"]["credentials-rotated"]["enabled"] = False
    data["thresholds"]["expiring_days"] = 10
    rules = parse_identity_rules(data)
    assert rules.rule("credentials-rotated") is None and rules.thresholds.expiring_days == 10
    assert parse_identity_rules(rules.as_data()) == rules


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"thresholds": {"expiring_days": 0}}, "expiring_days must be a whole number of 1 or more"),
        ({"rules": {"guess": {}}}, "unknown rule 'guess'"),
        (
            {"rules": {"leavers": {"proposes": {"access.revocation": {"leavers": "waived"}}}}},
            "proposes gap, partial or met",
        ),
        ({"rules": {"leavers": {"proposes": {"access.revocation": {"gone": "gap"}}}}}, "unknown outcome 'gone'"),
        ({"colour": 1}, "unknown key 'colour'"),
    ],
)
def test_rules_that_cannot_be_used_are_refused_in_one_line(change: dict[str, object], message: str) -> None:
    with pytest.raises(IdentityRulesError, match=message):
        parse_identity_rules({"version": 1, **change}, "mine.toml")


def test_link_suggestions_by_name_and_id_never_for_a_linked_pair() -> None:
    apps = [
        IdentityApp(Vendor.OKTA, "0oa1", "0oa1", "Benefits Assistant (prod)"),
        IdentityApp(Vendor.ENTRA, "abc", "abc", "Payroll", owners=("ann@agency.gov",)),
    ]
    pilots = [("BEN-ASSIST", "Benefits assistant", "ann@agency.gov"), ("P-2", "Payroll bot", "ann@agency.gov")]
    found = suggest_links(pilots, apps, set())
    assert (found[0].pilot_id, found[0].app_key) == ("BEN-ASSIST", "0oa1") and found[0].score == 1.0
    payroll = next(s for s in found if s.app_key == "abc")
    assert payroll.pilot_id == "P-2" and "owner owns it" in payroll.reason
    assert not [s for s in suggest_links(pilots, apps, {("BEN-ASSIST", "okta", "0oa1")}) if s.app_key == "0oa1"]


def test_link_suggestions_find_plurals_names_run_together_ids_and_owned_apps() -> None:
    apps = [
        IdentityApp(Vendor.OKTA, "t", "t", "Help Desk Tickets"),
        IdentityApp(Vendor.OKTA, "b", "b", "svc-benefitsbot"),
        IdentityApp(Vendor.ENTRA, "i", "i", "DCS-0042 worker"),
        IdentityApp(Vendor.ENTRA, "o", "o", "Quill", owners=("Ann@agency.gov",)),
        IdentityApp(Vendor.ENTRA, "x", "x", "Salesforce"),
    ]
    pilots = [
        ("P-1", "Help desk ticket triage", ""),
        ("P-2", "Benefits Bot", ""),
        ("DCS-0042", "Something else", ""),
        ("P-4", "Quiller", "ann@agency.gov"),
    ]
    found = {(s.pilot_id, s.app_key): s for s in suggest_links(pilots, apps, set())}
    assert set(found) == {("P-1", "t"), ("P-2", "b"), ("DCS-0042", "i"), ("P-4", "o")}
    assert "pilot's id" in found[("DCS-0042", "i")].reason
    assert found[("P-4", "o")].reason.endswith("owner owns it")


def test_a_pilot_gets_its_three_best_suggestions_at_most() -> None:
    apps = [IdentityApp(Vendor.OKTA, f"0oa{n}", f"0oa{n}", f"Claims Assistant {n}") for n in range(6)]
    found = suggest_links([("P-1", "Claims Assistant", "")], apps, set())
    assert len(found) == 3 and found == sorted(found, key=lambda s: -s.score)
