"""Reading identity exports: recognition, the entry point, the person keyer, problems and odd shapes."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from caio_tui.domain.identity import ExportKind, Vendor
from caio_tui.io.idp.keys import person_keyer
from caio_tui.io.idp.read import IdpFormatError, read_export

DATA = Path(__file__).parents[1] / "data" / "idp"
KEEP = person_keyer(b"secret", keep=True)


def test_the_keyer_hashes_people_under_the_portfolio_secret_and_ignores_case() -> None:
    key = person_keyer(b"secret", keep=False)
    assert key("Alice@Agency.gov") == key("alice@agency.gov ")
    assert key("alice@agency.gov").startswith("p:") and len(key("alice@agency.gov")) == 18
    assert key("alice@agency.gov") != person_keyer(b"other", keep=False)("alice@agency.gov")
    assert KEEP("Alice@Agency.gov") == "alice@agency.gov"


def test_a_system_log_becomes_tallies_people_and_a_span() -> None:
    export = read_export(DATA / "okta-system-log.json", KEEP)
    assert export.kind is ExportKind.OKTA_SYSTEM_LOG and export.vendor is Vendor.OKTA
    assert export.digest == hashlib.sha256((DATA / "okta-system-log.json").read_bytes()).hexdigest()
    assert (export.first_event, export.last_event) == (date(2026, 9, 1), date(2026, 9, 14))
    assert export.records == 7
    assert [(p.where, p.message) for p in export.problems] == [
        ("record 6", "not a LogEvent: no eventType or published")
    ]
    (bob,) = export.people  # deactivated mid-file
    assert (bob.person, bob.active, bob.aliases) == ("bob@agency.gov", False, ("00u1bob00000000001",))
    tallies = {(t.app.name, t.account, t.interactive): t for t in export.sign_ins}
    assert tallies["Grants Assistant", "bob@agency.gov", True].failures == 1
    assert tallies["Grants Assistant", "alice@agency.gov", False].names_user  # a refresh grant
    service = tallies["Claims Classifier", "Claims Classifier", False]
    assert (service.account_kind, service.names_user, service.app.app_id) == (
        "service_principal",
        False,
        "0oa1classifier00001",
    )


def test_people_are_keyed_unless_kept() -> None:
    export = read_export(DATA / "okta-system-log.json", person_keyer(b"secret", keep=False))
    accounts = {t.account for t in export.sign_ins}
    assert "alice@agency.gov" not in accounts and "Claims Classifier" in accounts


def test_a_file_of_an_unknown_shape_is_refused_in_one_line(tmp_path: Path) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text('[{"name": "x", "colour": "blue"}]', encoding="utf-8")
    with pytest.raises(IdpFormatError) as raised:
        read_export(odd, KEEP)
    message = str(raised.value)
    assert "\n" not in message and "colour, name" in message and "expected an Okta export" in message
    table = tmp_path / "odd.csv"
    table.write_text("Name,Colour\nx,blue\n", encoding="utf-8")
    with pytest.raises(IdpFormatError, match="columns Name, Colour; expected"):
        read_export(table, KEEP)
    empty = tmp_path / "empty.json"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(IdpFormatError, match="empty"):
        read_export(empty, KEEP)
