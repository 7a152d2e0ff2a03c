"""Reading identity exports: recognition, the entry point, the person keyer, problems and odd shapes."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from pathlib import Path

import pytest

from caio_tui.domain.identity import ExportKind, Vendor
from caio_tui.io.idp import jsonstream
from caio_tui.io.idp.jsonstream import json_records
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


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("{[1]:2}", "an object's key must be text"),
        ("[" * 200_000 + "]" * 200_000, "nested too deep"),
        ('{"value": ' + "[" * 5_000 + "]" * 5_000 + "}", "nested too deep"),
    ],
)
def test_hostile_json_is_one_line_not_a_crash(tmp_path: Path, text: str, said: str) -> None:
    hostile = tmp_path / "hostile.json"
    hostile.write_text(text, encoding="utf-8")
    with pytest.raises(IdpFormatError, match=said) as raised:
        read_export(hostile, KEEP)
    assert "\n" not in str(raised.value)


def test_format_overrides_recognition(tmp_path: Path) -> None:
    with pytest.raises(IdpFormatError, match="read as okta-assignments, which is a CSV export"):
        read_export(DATA / "okta-users.json", KEEP, kind=ExportKind.OKTA_ASSIGNMENTS)
    export = read_export(DATA / "okta-users.json", KEEP, kind=ExportKind.OKTA_API_TOKENS)
    assert export.kind is ExportKind.OKTA_API_TOKENS and export.problems  # read as told, records skipped


def test_utf16_files_and_progress(tmp_path: Path) -> None:
    source = (DATA / "okta-current-assignments.csv").read_text(encoding="utf-8-sig")
    wide = tmp_path / "assignments.csv"
    wide.write_text(source, encoding="utf-16")
    seen: list[int] = []
    export = read_export(wide, KEEP, progress=seen.append)
    assert len(export.assignments) == 5 and seen == [6]


def test_a_json_file_broken_midway_keeps_what_came_before(tmp_path: Path) -> None:
    broken = tmp_path / "log.json"
    whole = (DATA / "okta-system-log.json").read_text(encoding="utf-8")
    broken.write_text(whole[: whole.index('"uuid": "a1b2c3d4-0000-4000-8000-000000000002"')], encoding="utf-8")
    export = read_export(broken, KEEP)
    assert len(export.sign_ins) == 1
    assert export.problems[-1].message.endswith("the rest of the file was not read")


def test_an_unknown_json_shape_in_an_envelope_is_refused() -> None:
    with pytest.raises(IdpFormatError, match="fields assignee, priority, ticket; expected"):
        read_export(DATA / "unknown-shape.json", KEEP)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[{"a": 1}, {"a": 2}]', [("record 1", {"a": 1}), ("record 2", {"a": 2})]),
        (
            '{"value": [{"a": 1}], "@odata.nextLink": "n"}{"value": [{"a": 2}]}',
            [("record 1", {"a": 1}), ("record 2", {"a": 2})],
        ),
        ('{"records": [{"a": 1}]}', [("record 1", {"a": 1})]),
        ('{"a": 1}\n{"a": 2}\n', [("line 1", {"a": 1}), ("line 2", {"a": 2})]),
        (
            '{"value": [{"a": 1}, {"a": 2}]}\n{"value": [{"a": 3}]}\n',
            [("line 1 record 1", {"a": 1}), ("line 1 record 2", {"a": 2}), ("line 2 record 1", {"a": 3})],
        ),
        ('{"a": 1, "b":\n [1]}\n', [("record 1", {"a": 1, "b": [1]})]),
        ("[]", []),
    ],
)
def test_every_wrapping_of_json_records_streams_alike_across_chunk_edges(
    text: str, expected: list[tuple[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert list(json_records(io.StringIO(text))) == expected
    monkeypatch.setattr(jsonstream, "CHUNK", 3)  # every value cut by the buffer's end
    if all(where.startswith("record") for where, _ in expected):
        monkeypatch.setattr(jsonstream, "LONGEST_LINE", 1)  # and the first line too
    assert list(json_records(io.StringIO(text))) == expected


def test_ndjson_whose_first_line_is_broken_reads_on() -> None:
    found = list(json_records(io.StringIO('{"a": 1\n{"a": 2}\n')))
    assert [where for where, _ in found] == ["line 1", "line 2"]
    assert isinstance(found[0][1], ValueError) and found[1][1] == {"a": 2}


def test_a_workbook_or_a_broken_csv_row_is_told_plainly(tmp_path: Path) -> None:
    workbook = tmp_path / "assignments.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(IdpFormatError, match="an Excel workbook or a zip archive"):
        read_export(workbook, KEEP)
    runaway = tmp_path / "assignments.csv"  # a quote never closed swallows the rest into one huge field
    source = (DATA / "okta-current-assignments.csv").read_text(encoding="utf-8-sig")
    runaway.write_text(source.replace("Bob Baker", '"Bob' + "x" * 200_000 + '"Baker'), encoding="utf-8")
    export = read_export(runaway, KEEP)
    assert len(export.assignments) == 4 and any(p.message.startswith("not CSV") for p in export.problems)


def test_an_address_used_by_one_person_is_keyed_even_when_it_is_not_their_login() -> None:
    """jdoe@agency.gov beside Jane's login jane.doe@agency.gov is still Jane: only a name of its own
    (svc-grants) or an account several people share is kept as written."""
    from caio_tui.domain.identity import AppRef, Vendor
    from caio_tui.io.idp.accounts import account_name

    keyer = person_keyer(b"secret", keep=False)
    app = AppRef(Vendor.OKTA, "0oa1", "Grants Assistant")
    kept = account_name(app, "jdoe@agency.gov", "jane.doe@agency.gov", set(), keyer)
    assert kept.startswith("p:") and "jdoe" not in kept
    assert account_name(app, "svc-grants", "jane.doe@agency.gov", set(), keyer) == "svc-grants"
    shared = {(app, "jdoe@agency.gov")}
    assert account_name(app, "jdoe@agency.gov", "jane.doe@agency.gov", shared, keyer) == "jdoe@agency.gov"
