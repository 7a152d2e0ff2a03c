"""Identity evidence in the store: imports (idempotent, name-only applications attached), links, the review
queue (derived, replaced, not proposed again once rejected), decisions (never over a person's status),
undo, and the state seal after every write."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.identity_rules import default_identity_rules
from caio_tui.domain.pilots import PilotFields
from caio_tui.store import Portfolio, StoreError
from helpers import NOW, idp


def _sealed(portfolio: Portfolio) -> None:
    report = portfolio.check_state()
    assert report.holds, report.problems()


@pytest.fixture
def linked(portfolio: Portfolio) -> Portfolio:
    """A pilot linked to the Okta assistant, whose assignments report shows three people on one login."""
    portfolio.add_pilot(PilotFields(name="Benefits assistant", owner="Ann"), pilot_id="P-1")
    portfolio.import_identity([idp.shared_assignments(), idp.okta_apps()])
    portfolio.link_app("P-1", "okta", "0oa1assist")
    return portfolio


def _pending(portfolio: Portfolio, rule: str) -> list[tuple[str, str | None]]:
    return [(p.target, p.finding.status) for p in portfolio.proposals(rule=rule)]


def test_an_import_is_one_event_and_the_same_file_twice_changes_nothing(portfolio: Portfolio) -> None:
    first = portfolio.import_identity([idp.shared_assignments(), idp.okta_apps()])
    assert first.changed and [f.name for f in first.files] == ["assignments.csv", "apps.json"]
    _sealed(portfolio)
    events = len(portfolio.history())
    again = portfolio.import_identity([idp.shared_assignments()])
    assert not again.changed and again.files[0].already
    assert len(portfolio.history()) == events


def test_an_application_named_only_by_name_joins_the_one_a_file_names_by_id(portfolio: Portfolio) -> None:
    portfolio.import_identity([idp.shared_assignments()])
    (alone,) = portfolio.identity_apps()
    assert alone.key == "name:benefits assistant" and alone.assignments == 3
    portfolio.import_identity([idp.okta_apps()])
    apps = {a.key: a for a in portfolio.identity_apps()}
    assert set(apps) == {"0oa1assist", "0oa2grants"}
    assert apps["0oa1assist"].assignments == 3 and apps["0oa1assist"].name == "Benefits Assistant"


def test_a_link_made_by_name_follows_the_application_once_a_file_names_its_id(portfolio: Portfolio) -> None:
    portfolio.add_pilot(PilotFields(name="Assistant"), pilot_id="P-1")
    portfolio.import_identity([idp.shared_assignments()])
    portfolio.link_app("P-1", None, "Benefits Assistant")
    portfolio.import_identity([idp.okta_apps()])
    assert [a.key for a in portfolio.pilot_identity("P-1").apps] == ["0oa1assist"]


def test_a_shared_login_proposes_the_blocker_and_the_gap(linked: Portfolio) -> None:
    assert _pending(linked, "shared-account") == [("access.governed_iam", "gap"), ("shared-service-account", None)]
    blocker = linked.proposals(rule="shared-account")[1]
    assert "'svc-benefits' assigned to 3 people" in blocker.finding.facts
    assert blocker.finding.files == ("assignments.csv",)
    assert "p:" not in blocker.finding.facts  # people appear as counts only
    _sealed(linked)


def test_accepting_applies_with_the_file_as_author_and_the_facts_as_evidence(linked: Portfolio) -> None:
    ids = [p.id for p in linked.proposals(rule="shared-account")]
    decided = linked.accept_proposals(ids)
    assert {p.state for p in decided} == {"accepted"} and {p.outcome for p in decided} == {"applied"}
    record = linked.record("P-1")
    coverage = record.coverage["access.governed_iam"]
    assert coverage.status is CoverageStatus.GAP
    assert coverage.updated_by == "idp:assignments.csv" and "svc-benefits" in coverage.evidence
    (blocker,) = [b for b in record.blockers if b.tag == "shared-service-account"]
    assert blocker.opened_by == "idp:assignments.csv" and "3 people" in blocker.note
    assert linked.history()[-1].action == "idp.accept" and linked.history()[-1].actor == "tester"
    _sealed(linked)


def test_a_persons_status_is_never_overwritten_and_an_open_blocker_not_opened_twice(linked: Portfolio) -> None:
    linked.set_coverage("P-1", "access.governed_iam", CoverageStatus.MET, evidence="checked by hand")
    linked.open_blocker("P-1", "shared-service-account", note="seen in the review")
    decided = linked.accept_proposals([p.id for p in linked.proposals(rule="shared-account")])
    assert all(p.outcome.startswith("evidence:") for p in decided)
    record = linked.record("P-1")
    assert record.coverage["access.governed_iam"].status is CoverageStatus.MET
    assert [b.note for b in record.blockers] == ["seen in the review"]
    _sealed(linked)


def test_a_rejected_proposal_is_not_proposed_again_for_the_same_facts(linked: Portfolio) -> None:
    ids = [p.id for p in linked.proposals(rule="shared-account")]
    linked.reject_proposals(ids)
    linked.unlink_app("P-1", "okta", "0oa1assist")
    linked.link_app("P-1", "okta", "0oa1assist")
    assert _pending(linked, "shared-account") == []
    # New facts (a fourth person on the login, in another file) are proposed again.
    linked.import_identity([idp.shared_assignments(people=4, name="assignments-nov.csv")])
    assert len(_pending(linked, "shared-account")) == 2
    _sealed(linked)


def test_a_pending_proposal_whose_facts_changed_is_replaced(linked: Portfolio) -> None:
    before = {p.target: p.id for p in linked.proposals(rule="shared-account")}
    result = linked.import_identity([idp.shared_assignments(people=5, name="assignments-nov.csv")])
    assert result.replaced >= 2
    after = {p.target: p for p in linked.proposals(rule="shared-account")}
    assert {t: p.id for t, p in after.items()} == before
    assert "5 people" in after["shared-service-account"].finding.facts


def test_unlinking_withdraws_the_pending_proposals(linked: Portfolio) -> None:
    linked.unlink_app("P-1", "okta", "Benefits Assistant")
    assert linked.proposals() == []
    with pytest.raises(StoreError, match="not linked"):
        linked.unlink_app("P-1", "okta", "Benefits Assistant")


def test_accept_rule_accepts_that_rules_proposals_across_the_portfolio(linked: Portfolio) -> None:
    linked.add_pilot(PilotFields(name="Second assistant"), pilot_id="P-2")
    linked.link_app("P-2", "okta", "0oa1assist")
    assert linked.accept_rule("shared-account") == 4
    assert linked.proposals(rule="shared-account") == []
    assert linked.accept_rule("shared-account") == 0
    with pytest.raises(StoreError, match="already accepted"):
        linked.reject_proposals([linked.proposals(None, rule="shared-account")[0].id])


def test_undo_reverts_an_accept_a_link_and_an_import(linked: Portfolio) -> None:
    linked.accept_proposals([p.id for p in linked.proposals(rule="shared-account")])
    assert linked.undo() is not None
    assert "access.governed_iam" not in linked.record("P-1").coverage
    assert linked.record("P-1").blockers == ()
    assert len(_pending(linked, "shared-account")) == 2
    assert linked.undo() is not None  # the link
    assert linked.app_links() == [] and linked.proposals() == []
    assert linked.undo() is not None  # the import
    assert linked.identity_apps() == []
    _sealed(linked)


def test_undo_is_refused_once_a_later_decision_changed_the_rows(linked: Portfolio) -> None:
    first, second = linked.proposals(rule="shared-account")
    linked.accept_proposals([first.id])
    other = Portfolio.open(linked.path, actor="someone-else")
    other.reject_proposals([second.id])
    other.close()
    linked.undo()  # the accept, by this actor: its rows are as it left them
    with pytest.raises(StoreError, match="changed since"):
        linked.undo()  # the link: the rejected proposal changed since


def test_credentials_expiring_and_the_personal_token_are_proposed(linked: Portfolio) -> None:
    linked.import_identity([idp.tokens(expires=date(2026, 11, 20))])
    assert _pending(linked, "credentials-rotated") == [("system_identity.credentials", "partial")]
    (personal, *_) = linked.proposals(rule="personal-credentials")
    assert "API token 'assistant-token' acts as a person" in personal.finding.facts
    assert _pending(linked, "own-identity") == [("system_identity.provisioned", "partial")]


def test_leavers_and_audit_grade_sign_ins(linked: Portfolio) -> None:
    linked.import_identity([idp.users({0: True, 1: False, 2: True}), idp.system_log()])
    (leavers, *_) = [p for p in linked.proposals(rule="leavers") if p.finding.kind == "blocker"]
    assert (
        leavers.target == "no-deprovisioning"
        and "1 person assigned whose account is deactivated" in leavers.finding.facts
    )
    (audit,) = linked.proposals(rule="audit-sign-ins")
    assert audit.finding.status == "partial" and "Okta keeps 90 days" in audit.finding.facts


def test_new_rules_are_a_version_and_derive_the_queue_again(linked: Portfolio) -> None:
    data = default_identity_rules().as_data()
    data["thresholds"]["shared_people"] = 4
    from caio_tui.domain.identity_rules import parse_identity_rules

    assert linked.load_identity_rules(parse_identity_rules(data), "strict.toml") == 1
    assert _pending(linked, "shared-account") == []
    assert linked.identity_rules().thresholds.shared_people == 4
    assert linked.load_identity_rules(parse_identity_rules(data), "strict.toml") is None
    linked.undo()
    assert len(_pending(linked, "shared-account")) == 2
    _sealed(linked)


def test_a_snapshot_carries_links_decisions_and_rules_not_the_facts(linked: Portfolio, tmp_path: Path) -> None:
    from caio_tui.domain.identity_rules import parse_identity_rules
    from caio_tui.io.snapshot import import_snapshot_file, snapshot_of, to_bytes

    first, second = linked.proposals(rule="shared-account")
    linked.reject_proposals([first.id])
    linked.accept_proposals([second.id])
    data = default_identity_rules().as_data()
    data["thresholds"]["shared_devices"] = 3
    linked.load_identity_rules(parse_identity_rules(data), "mine.toml")
    document = snapshot_of(linked)
    assert "svc-benefits" in json.dumps(document["identity"]) and "p:" not in json.dumps(document["identity"])
    path = tmp_path / "snap.json"
    path.write_bytes(to_bytes(document))
    with Portfolio.open(tmp_path / "copy.db", actor="importer", create=True, clock=lambda: NOW) as copy:
        import_snapshot_file(copy, path, source="snap.json", event_source="snap.json")
        _sealed(copy)
        assert copy.app_links() == linked.app_links() and copy.identity_apps() == []
        assert copy.identity_rules().thresholds.shared_devices == 3
        assert [(p.id, p.state) for p in copy.proposals(None)] == [(first.id, "rejected"), (second.id, "accepted")]
        assert snapshot_of(copy)["digest"] == document["digest"]
        # The exports imported again: what was decided is not proposed again.
        copy.import_identity([idp.shared_assignments(), idp.okta_apps()])
        assert _pending(copy, "shared-account") == []
        _sealed(copy)


def test_a_person_an_assignment_names_by_object_id_is_found_by_alias(linked: Portfolio) -> None:
    from caio_tui.domain.identity import ExportKind, IdpPerson, Vendor

    gone = IdpPerson(Vendor.OKTA, "p:" + "f" * 16, False, None, aliases=(idp.person(2),))
    linked.import_identity([idp.export(ExportKind.OKTA_USERS, "users.json", people=[gone])])
    (blocker,) = [p for p in linked.proposals(rule="leavers") if p.finding.kind == "blocker"]
    assert "1 person assigned whose account is deactivated" in blocker.finding.facts


# ---- review fixes: names shared by two applications, people's rows, keys, ids, the keep setting -----------


def test_a_name_two_applications_share_keeps_its_name_only_records_apart(portfolio: Portfolio) -> None:
    from caio_tui.domain.identity import AppRef, ExportKind, IdpApp, Vendor

    twin = IdpApp(AppRef(Vendor.OKTA, "0oa0twin", "Benefits Assistant"), None, None, None, True)
    portfolio.import_identity([idp.okta_apps(), idp.export(ExportKind.OKTA_APPS, "twin.json", apps=[twin])])
    result = portfolio.import_identity([idp.shared_assignments()])
    apps = {a.key: a for a in portfolio.identity_apps()}
    assert apps["name:benefits assistant"].assignments == 3
    assert apps["0oa0twin"].assignments == 0 and apps["0oa1assist"].assignments == 0
    assert result.ambiguous == ("okta 'benefits assistant' (2 applications)",)


def test_a_persons_row_stands_whatever_its_status(linked: Portfolio) -> None:
    linked.set_coverage("P-1", "access.governed_iam", CoverageStatus.NOT_ASSESSED, evidence="asked the team")
    (gap,) = [p for p in linked.proposals(rule="shared-account") if p.finding.kind == "coverage"]
    (decided,) = linked.accept_proposals([gap.id])
    assert decided.outcome.startswith("evidence: not_assessed as tester assessed it stands")
    coverage = linked.record("P-1").coverage["access.governed_iam"]
    assert coverage.status is CoverageStatus.NOT_ASSESSED and coverage.evidence == "asked the team"


def test_an_item_that_does_not_apply_to_the_pilot_is_evidence_only(linked: Portfolio) -> None:
    from caio_tui.domain.identity_rules import parse_identity_rules

    data = default_identity_rules().as_data()
    data["rules"]["shared-account"]["proposes"]["hi.oversight"] = {"shared": "gap"}
    linked.load_identity_rules(parse_identity_rules(data), "hi.toml")
    (hi,) = [p for p in linked.proposals(rule="shared-account") if p.target == "hi.oversight"]
    (decided,) = linked.accept_proposals([hi.id])
    assert decided.outcome == "evidence: hi.oversight applies to high-impact use cases only; P-1 is not one"
    assert "hi.oversight" not in linked.record("P-1").coverage
    _sealed(linked)


def test_the_identity_key_is_stored_by_the_import_that_used_it(portfolio: Portfolio) -> None:
    key = portfolio.identity_secret()
    assert len(key) == 32 and portfolio.identity_secret() == key
    assert "idp.key" not in {e.action for e in portfolio.history()}
    portfolio.import_identity([idp.shared_assignments()])
    assert [e.action for e in portfolio.history()][-2:] == ["idp.key", "idp.import"]
    with Portfolio.open(portfolio.path, actor="other") as again:
        assert again.identity_secret() == key
    _sealed(portfolio)


def test_a_withdrawn_proposals_number_is_never_given_again(linked: Portfolio) -> None:
    before = {p.id for p in linked.proposals()}
    linked.unlink_app("P-1", "okta", "0oa1assist")
    linked.link_app("P-1", "okta", "0oa1assist")
    after = {p.id for p in linked.proposals()}
    assert after and not before & after


def test_an_import_whose_keep_identities_setting_differs_is_refused(linked: Portfolio) -> None:
    events = len(linked.history())
    with pytest.raises(StoreError, match="--keep-identities") as refused:
        linked.import_identity([idp.users({0: True})], keep_identities=True)
    assert "\n" not in str(refused.value) and len(linked.history()) == events


def test_the_pilots_owner_as_typed_meets_the_applications_hashed_owner(portfolio: Portfolio) -> None:
    from caio_tui.domain.identity import AppRef, ExportKind, IdpApp, Vendor
    from caio_tui.io.idp.keys import person_keyer

    keyer = person_keyer(portfolio.identity_secret(), False)
    app = IdpApp(AppRef(Vendor.ENTRA, "sp-1", "Grants Helper"), None, None, None, True, owners=(keyer("ann@x.gov"),))
    portfolio.import_identity([idp.export(ExportKind.ENTRA_SERVICE_PRINCIPALS, "sp.json", apps=[app])])
    portfolio.add_pilot(PilotFields(name="Grants helper", owner=" Ann@X.gov"), pilot_id="P-1")
    (suggested,) = portfolio.link_suggestions()
    assert "the pilot's owner owns it" in suggested.reason and suggested.score > 1.0
