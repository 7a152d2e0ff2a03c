"""Snapshots: export, import into an empty portfolio, the digest, and every way a snapshot can be broken."""

from __future__ import annotations

import copy
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory
from caio_tui.io.snapshot import (
    PILOT_LINE,
    Snapshot,
    SnapshotError,
    SnapshotPilot,
    digest_of,
    import_snapshot,
    import_snapshot_file,
    parse,
    schema_text,
    snapshot_bytes,
    snapshot_of,
    to_bytes,
    write_snapshot,
)
from caio_tui.io.snapshot import document as snapshot_module
from caio_tui.store import Portfolio, StoreError, writes
from caio_tui.store.transfer import read_records
from helpers import NOW, REPO

DOCS = REPO / "docs"


def fresh(path: Path, actor: str = "importer") -> Portfolio:
    return Portfolio.open(path, actor=actor, create=True, clock=lambda: NOW)


def resign(data: dict[str, Any]) -> dict[str, Any]:
    """A hand-edited snapshot with a digest that matches its content (to reach the checks after it)."""
    data["digest"] = digest_of(data)
    return data


def as_bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=1).encode("utf-8")


# ---- export ----------------------------------------------------------------------------------------


def test_export_holds_the_whole_portfolio(sample_portfolio: Portfolio) -> None:
    data = snapshot_of(sample_portfolio)
    snapshot = Snapshot.model_validate(data)
    assert snapshot.format == "caio-tui-snapshot" and snapshot.version == 1
    assert snapshot.taken_by == "tester" and snapshot.taken_at == "2026-11-01T12:00:00+00:00"
    assert snapshot.portfolio.name == sample_portfolio.name
    assert [f.id for f in snapshot.frameworks] == ["production", "m-25-21"]
    assert {t.tag for t in snapshot.tags} == {t.tag for t in sample_portfolio.tags()}
    assert len(snapshot.pilots) == 30
    records = {r.pilot.id: r for r in read_records(sample_portfolio)}
    for pilot in snapshot.pilots:
        record = records[pilot.id]
        assert pilot.stage is record.pilot.stage
        assert {c.item: c.status for c in pilot.coverage} == {i: c.status for i, c in record.coverage.items()}
        assert [(b.tag, b.resolved_at is None) for b in pilot.blockers] == [(b.tag, b.is_open) for b in record.blockers]
        assert [m.to for m in pilot.stage_history] == [m.to_stage for m in record.stage_history]
    resolved = [b for p in snapshot.pilots for b in p.blockers if b.resolved_at]
    overrides = [m for p in snapshot.pilots for m in p.stage_history if m.override]
    assert resolved and overrides, "the sample has resolved blockers and a gate override; both must be kept"


def test_digest_is_sha256_of_the_canonical_content(sample_portfolio: Portfolio) -> None:
    data = snapshot_of(sample_portfolio)
    content = {k: v for k, v in data.items() if k not in ("taken_at", "taken_by", "audit", "digest")}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert data["digest"] == "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_digest_ignores_who_and_when_but_not_content(sample_portfolio: Portfolio) -> None:
    data = snapshot_of(sample_portfolio)
    other = copy.deepcopy(data)
    other["taken_at"], other["taken_by"] = "2030-01-01T00:00:00+00:00", "someone else"
    assert digest_of(other) == data["digest"]
    other["pilots"][0]["name"] += "!"
    assert digest_of(other) != data["digest"]


def test_streamed_file_equals_the_document(sample_portfolio: Portfolio) -> None:
    data = snapshot_of(sample_portfolio)
    buffer = io.BytesIO()
    digest = write_snapshot(sample_portfolio, buffer)
    assert digest == data["digest"]
    assert buffer.getvalue() == to_bytes(data)
    assert json.loads(buffer.getvalue()) == data


def test_file_has_one_pilot_per_line(sample_portfolio: Portfolio) -> None:
    lines = snapshot_bytes(sample_portfolio).decode("utf-8").splitlines()
    pilot_lines = [line for line in lines if line.startswith('    {"blockers":')]
    assert len(pilot_lines) == 30
    assert json.loads(pilot_lines[3].rstrip(","))["id"] == "DCS-004"


def test_empty_portfolio_exports_and_imports(portfolio: Portfolio, tmp_path: Path) -> None:
    data = snapshot_of(portfolio)
    assert data["pilots"] == []
    snapshot = parse(to_bytes(data), "empty.json")
    with fresh(tmp_path / "copy.db") as target:
        assert import_snapshot(target, snapshot, source="empty.json") == 0
        assert target.count() == 0


# ---- round trip ------------------------------------------------------------------------------------


def test_export_import_export_is_identical_but_for_time_and_actor(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    first = snapshot_of(sample_portfolio)
    later = datetime(2027, 3, 1, tzinfo=UTC)
    with Portfolio.open(tmp_path / "copy.db", actor="importer", create=True, clock=lambda: later) as target:
        assert import_snapshot(target, parse(to_bytes(first), "snap.json"), source="snap.json") == 30
        second = snapshot_of(target)
        assert target.name == sample_portfolio.name
        # The derived columns the table sorts by are rebuilt exactly as the store computes them.
        assert target.pilots() == sample_portfolio.pilots()
        before = target.pilots()
        for pilot in before:
            with target.session.transaction():
                writes.refresh(target, pilot.id)
        assert target.pilots() == before
    # The audit head is the copy's own trail (its import event), a note outside the signed content.
    assert {k for k in first if first[k] != second[k]} == {"taken_at", "taken_by", "audit"}
    assert second["taken_by"] == "importer"
    assert second["digest"] == first["digest"]
    same_notes = {"taken_at": first["taken_at"], "taken_by": first["taken_by"], "audit": first["audit"]}
    assert to_bytes({**second, **same_notes}) == to_bytes(first)


def test_custom_frameworks_tags_and_rules_survive(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    sample_portfolio.create_tag(
        "vendor-lock-in", BlockerCategory.INFRASTRUCTURE, areas=("scalability",), description="One vendor"
    )
    sample_portfolio.open_blocker("DCS-003", "vendor-lock-in", note="Only one supplier")
    data = snapshot_of(sample_portfolio)
    data["frameworks"].append(
        {
            "id": "privacy",
            "name": "Privacy",
            "applies_to": "all",
            "met_needs_evidence": True,
            "areas": [
                {"id": "pia", "name": "PIA", "items": [{"id": "pia.done", "text": "PIA done", "omb_column": None}]}
            ],
        }
    )
    data["gate_rules"]["revision"] = 4
    data["gate_rules"]["rules"]["gate"][0]["rules"].append(
        {
            "description": "PIA",
            "kind": "coverage",
            "areas": [],
            "items": ["pia.done"],
            "at_least": "partial",
            "accept_waived": True,
        }
    )
    data["pilots"][0]["coverage"].append(
        {
            "item": "pia.done",
            "status": "waived",
            "evidence": "",
            "justification": "No personal data",
            "updated_at": "2026-10-01T00:00:00+00:00",
            "updated_by": "caio",
        }
    )
    resign(data)
    with fresh(tmp_path / "copy.db") as target:
        import_snapshot(target, parse(to_bytes(data), "custom.json"), source="custom.json")
        assert target.catalog().has_item("pia.done")
        assert target.tag("vendor-lock-in").areas == ("scalability",)
        assert any(r.description == "PIA" for r in target.rules().for_stage(Stage.PILOT).rules)
        assert target.record("DCS-001").coverage["pia.done"].status is CoverageStatus.WAIVED
        again = snapshot_of(target)
    assert again["gate_rules"]["revision"] == 4
    assert {k for k in data if data[k] != again[k]} == {"taken_by", "audit"}  # the copy's own trail


def test_import_is_one_event_naming_the_file(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    snapshot = parse(snapshot_bytes(sample_portfolio), "q3.json")
    with fresh(tmp_path / "copy.db") as target:
        events_before = len(target.history())
        import_snapshot(target, snapshot, source="q3.json")
        events = target.history()
        assert len(events) == events_before + 1
        assert events[-1].action == "import" and events[-1].source == "q3.json"
        assert "30 pilots" in events[-1].summary()
        assert target.verify_chain()[1] is None


def test_times_in_other_offsets_are_stored_in_utc(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    data = snapshot_of(sample_portfolio)
    data["pilots"][0]["created_at"] = "2026-01-01T09:00:00-05:00"
    data["pilots"][0]["stage_entered_at"] = "2026-01-02T14:00:00Z"
    resign(data)
    with fresh(tmp_path / "copy.db") as target:
        import_snapshot(target, parse(to_bytes(data), "tz.json"), source="tz.json")
        pilot = target.get("DCS-001")
    assert pilot.created_at == datetime(2026, 1, 1, 14, 0, tzinfo=UTC)
    assert pilot.stage_entered_at == datetime(2026, 1, 2, 14, 0, tzinfo=UTC)


# ---- refusals --------------------------------------------------------------------------------------


def test_import_into_a_non_empty_portfolio_is_refused(sample_portfolio: Portfolio) -> None:
    snapshot = parse(snapshot_bytes(sample_portfolio), "snap.json")
    events = len(sample_portfolio.history())
    with pytest.raises(StoreError, match=r"holds 30 pilot.*only into an empty portfolio.*nothing was imported"):
        import_snapshot(sample_portfolio, snapshot, source="snap.json")
    assert sample_portfolio.count() == 30
    assert len(sample_portfolio.history()) == events


def refused(data: bytes, match: str) -> str:
    with pytest.raises(SnapshotError, match=match) as caught:
        parse(data, "q3.json")
    message = str(caught.value)
    assert message.startswith("q3.json"), message
    assert "\n" not in message
    return message


def test_changed_content_is_refused_by_the_digest(sample_portfolio: Portfolio) -> None:
    data = snapshot_of(sample_portfolio)
    data["pilots"][5]["stage"] = "production"
    refused(to_bytes(data), r"^q3.json: the digest does not match the content: the file was changed")


def test_a_changed_digest_is_refused(sample_portfolio: Portfolio) -> None:
    data = snapshot_of(sample_portfolio)
    data["digest"] = "sha256:" + "0" * 64
    refused(to_bytes(data), "the digest does not match")


def test_a_missing_or_malformed_digest_is_refused(sample_portfolio: Portfolio) -> None:
    data = snapshot_of(sample_portfolio)
    del data["digest"]
    refused(as_bytes(data), r"q3.json: digest: Field required")
    data["digest"] = "md5:abc"
    refused(as_bytes(data), r"q3.json: digest: String should match pattern")


def test_bad_json_names_line_and_column(sample_portfolio: Portfolio) -> None:
    text = snapshot_bytes(sample_portfolio).decode("utf-8")
    lines = text.splitlines()
    assert lines[10].startswith('    "name": ')
    lines[10] = lines[10].replace('": ', '" ', 1)  # a missing colon on line 11
    refused("\n".join(lines).encode("utf-8"), r"^q3.json:11:\d+: not valid JSON \(Expecting ':' delimiter\)$")
    refused(b"", r"^q3.json:1:1: not valid JSON")
    refused(b"\xff\xfe{", r"^q3.json: not UTF-8 text")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"format": "caio-tui-sample"}, r"^q3.json: not a caio-tui snapshot \(format 'caio-tui-sample'"),
        ({"version": 2}, r"^q3.json: snapshot version 2 is newer than this caio-tui reads \(up to 1\); upgrade"),
        ({"version": "1"}, r"^q3.json: unsupported snapshot version '1'"),
    ],
)
def test_wrong_format_or_version_is_refused(sample_portfolio: Portfolio, change: dict[str, Any], match: str) -> None:
    data = {**snapshot_of(sample_portfolio), **change}
    refused(as_bytes(data), match)


def test_a_json_array_is_not_a_snapshot() -> None:
    refused(b"[1, 2]", r"not a caio-tui snapshot \(the file holds an array; a snapshot is a JSON object with")


def test_a_json_object_of_another_kind_is_not_reported_as_format_none() -> None:
    refused(b'{"pilots": []}', r'not a caio-tui snapshot \(a JSON object with no "format"; a snapshot is a JSON object')
    refused(b"null", r"not a caio-tui snapshot \(the file holds null;")


def pilot_change(data: dict[str, Any], index: int, **fields: Any) -> bytes:
    data["pilots"][index].update(fields)
    return to_bytes(resign(data))


def test_an_invalid_pilot_is_named_by_index_and_id(sample_portfolio: Portfolio) -> None:
    data = snapshot_of(sample_portfolio)
    refused(pilot_change(data, 2, stage="stuck"), r"^q3.json: pilot 3 \(DCS-003\): stage: Input should be 'intake'")
    data = snapshot_of(sample_portfolio)
    refused(pilot_change(data, 4, name=""), r"^q3.json: pilot 5 \(DCS-005\): name: String should have at least 1")
    data = snapshot_of(sample_portfolio)
    refused(pilot_change(data, 0, colour="red"), r"^q3.json: pilot 1 \(DCS-001\): colour: Extra inputs")
    data = snapshot_of(sample_portfolio)
    refused(
        pilot_change(data, 1, created_at="yesterday"), r"^q3.json: pilot 2 \(DCS-002\): created_at: String should match"
    )


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            lambda p: p["coverage"].append({**p["coverage"][0], "item": "access.nope"}),
            r"pilot 4 \(DCS-004\): coverage item 'access.nope' is not in the snapshot's frameworks",
        ),
        (
            lambda p: p["coverage"].append(dict(p["coverage"][0])),
            r"pilot 4 \(DCS-004\): coverage item 'access.governed_iam' is listed twice",
        ),
        (
            lambda p: p["coverage"][0].update(status="waived", justification=" "),
            r"pilot 4 \(DCS-004\): coverage access.governed_iam: status waived needs a justification",
        ),
        (
            lambda p: p["blockers"][0].update(tag="not-a-tag"),
            r"pilot 4 \(DCS-004\): blocker tag 'not-a-tag' is not in the snapshot's tags",
        ),
        (
            lambda p: p.update(id="DCS-001"),
            r"pilot 4 \(DCS-001\): id repeats pilot 1",
        ),
        (
            lambda p: p.update(created_at="2026-13-45T00:00:00+00:00"),
            r"pilot 4 \(DCS-004\): created_at: not a valid time \('2026-13-45",
        ),
    ],
)
def test_inconsistent_pilots_are_refused(sample_portfolio: Portfolio, edit: Any, match: str) -> None:
    data = snapshot_of(sample_portfolio)
    edit(data["pilots"][3])
    refused(to_bytes(resign(data)), "^q3.json: " + match)


def test_rules_naming_unknown_items_are_refused(sample_portfolio: Portfolio) -> None:
    data = snapshot_of(sample_portfolio)
    data["gate_rules"]["rules"]["gate"][0]["rules"].append({"kind": "coverage", "items": ["x.y"], "at_least": "met"})
    refused(to_bytes(resign(data)), r"^q3.json: gate_rules: gate pilot: unknown item 'x.y'")


def test_a_refused_snapshot_writes_nothing(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    data = snapshot_of(sample_portfolio)
    data["pilots"][29]["coverage"].append({**data["pilots"][29]["coverage"][0], "item": "nope"})
    with fresh(tmp_path / "copy.db") as target:
        events = len(target.history())
        with pytest.raises(SnapshotError):
            import_snapshot(target, parse(to_bytes(resign(data)), "bad.json"), source="bad.json")
        assert target.count() == 0
        assert len(target.history()) == events


# ---- streaming import from a file ------------------------------------------------------------------


def import_file(target: Portfolio, path: Path, **kwargs: Any) -> int:
    return import_snapshot_file(target, path, source=str(path), event_source=path.name, **kwargs)


@pytest.fixture
def no_whole_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """The exporter's files are read pilot by pilot: the whole-document parse must not be needed."""

    def refuse(data: bytes, source: str) -> Snapshot:
        raise AssertionError(f"{source} was parsed as a whole")

    monkeypatch.setattr(snapshot_module, "parse", refuse)


def test_streamed_import_round_trips(sample_portfolio: Portfolio, tmp_path: Path, no_whole_parse: None) -> None:
    first = snapshot_of(sample_portfolio)
    path = tmp_path / "q3.json"
    path.write_bytes(snapshot_bytes(sample_portfolio))
    with fresh(tmp_path / "copy.db") as target:
        assert import_file(target, path) == 30
        assert target.pilots() == sample_portfolio.pilots()  # derived columns included
        second = snapshot_of(target)
        events = target.history()
        assert events[-1].action == "import" and events[-1].source == "q3.json"
        assert "imported 30 pilots from the snapshot q3.json" in events[-1].summary()
        assert target.verify_chain()[1] is None
    assert {k for k in first if first[k] != second[k]} == {"taken_by", "audit"}  # the copy's own trail


def test_streamed_import_of_an_empty_portfolio(portfolio: Portfolio, tmp_path: Path, no_whole_parse: None) -> None:
    path = tmp_path / "empty.json"
    path.write_bytes(snapshot_bytes(portfolio))
    with fresh(tmp_path / "copy.db") as target:
        assert import_file(target, path) == 0
        assert target.count() == 0 and target.history()[-1].action == "import"


def test_windows_line_ends_and_a_byte_order_mark_still_stream(
    sample_portfolio: Portfolio, tmp_path: Path, no_whole_parse: None
) -> None:
    path = tmp_path / "q3.json"
    path.write_bytes(b"\xef\xbb\xbf" + snapshot_bytes(sample_portfolio).replace(b"\n", b"\r\n"))
    with fresh(tmp_path / "copy.db") as target:
        assert import_file(target, path) == 30
        assert target.pilots() == sample_portfolio.pilots()


def test_a_file_in_another_layout_imports_the_same(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    """Any JSON formatting of a valid snapshot imports (read as a whole when it is not the exporter's)."""
    data = snapshot_of(sample_portfolio)
    for name, text in (("indented.json", json.dumps(data, indent=1)), ("one-line.json", json.dumps(data))):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with fresh(tmp_path / f"{name}.db") as target:
            assert import_file(target, path) == 30
            assert target.pilots() == sample_portfolio.pilots()


def test_a_pilot_line_in_another_form_still_verifies(
    sample_portfolio: Portfolio, tmp_path: Path, no_whole_parse: None
) -> None:
    """A pilot line re-serialised (other key order, spaces) is the same content: the digest, which covers
    the canonical form, still holds."""
    lines = snapshot_bytes(sample_portfolio).decode("utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith('    {"blockers":'))
    pilot = json.loads(lines[at].rstrip(","))
    lines[at] = "    " + json.dumps(dict(reversed(pilot.items())), indent=None) + ","
    path = tmp_path / "edited.json"
    path.write_text("\n".join(lines), encoding="utf-8")
    with fresh(tmp_path / "copy.db") as target:
        assert import_file(target, path) == 30


def refused_file(target: Portfolio, path: Path, match: str) -> str:
    events = len(target.history())
    with pytest.raises(SnapshotError, match=match) as caught:
        import_file(target, path)
    assert target.count() == 0 and len(target.history()) == events, "a refused snapshot writes nothing"
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message
    return message


def test_a_changed_pilot_is_refused_after_streaming_and_nothing_stays(
    sample_portfolio: Portfolio, tmp_path: Path, no_whole_parse: None
) -> None:
    lines = snapshot_bytes(sample_portfolio).decode("utf-8").split("\n")
    last = max(i for i, line in enumerate(lines) if line.startswith('    {"blockers":'))
    lines[last] = lines[last].replace('"stage":"', '"stage":"production","x":"', 1)  # still one pilot per line
    lines[last] = lines[last].replace(',"x":"' + json.loads(lines[last])["x"] + '"', "", 1)
    path = tmp_path / "q3.json"
    path.write_text("\n".join(lines), encoding="utf-8")
    with fresh(tmp_path / "copy.db") as target:
        refused_file(target, path, "the digest does not match the content")


def test_an_invalid_pilot_line_names_the_line(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    data = snapshot_of(sample_portfolio)
    data["pilots"][2]["stage"] = "stuck"
    text = to_bytes(resign(data)).decode("utf-8")
    line = next(n for n, t in enumerate(text.split("\n"), start=1) if '"id":"DCS-003"' in t)
    path = tmp_path / "q3.json"
    path.write_text(text, encoding="utf-8")
    with fresh(tmp_path / "copy.db") as target:
        refused_file(target, path, rf"^{path}:{line}: pilot 3 \(DCS-003\): stage: Input should be 'intake'")


def test_an_inconsistent_pilot_line_names_the_line(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    data = snapshot_of(sample_portfolio)
    data["pilots"][3]["id"] = "DCS-001"
    text = to_bytes(resign(data)).decode("utf-8")
    path = tmp_path / "q3.json"
    path.write_text(text, encoding="utf-8")
    with fresh(tmp_path / "copy.db") as target:
        refused_file(target, path, rf"^{path}:\d+: pilot 4 \(DCS-001\): id repeats pilot 1$")


def test_broken_json_in_a_pilot_line_names_line_and_column(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    lines = snapshot_bytes(sample_portfolio).decode("utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith('    {"blockers":'))
    lines[at] = lines[at].replace('":', '"', 1)
    path = tmp_path / "q3.json"
    path.write_text("\n".join(lines), encoding="utf-8")
    with fresh(tmp_path / "copy.db") as target:
        refused_file(target, path, rf"^{path}:{at + 1}:\d+: not valid JSON \(Expecting ':' delimiter\)$")


def test_a_wrong_version_is_refused_before_any_pilot(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    text = snapshot_bytes(sample_portfolio).decode("utf-8").replace('"version": 1,', '"version": 2,', 1)
    path = tmp_path / "q3.json"
    path.write_text(text, encoding="utf-8")
    with fresh(tmp_path / "copy.db") as target:
        refused_file(target, path, "snapshot version 2 is newer than this caio-tui reads")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with fresh(tmp_path / "copy.db") as target:
        refused_file(target, tmp_path / "nowhere.json", "cannot read")


def test_a_dry_run_checks_the_whole_file_and_writes_nothing(sample_portfolio: Portfolio, tmp_path: Path) -> None:
    path = tmp_path / "q3.json"
    path.write_bytes(snapshot_bytes(sample_portfolio))
    with fresh(tmp_path / "copy.db") as target:
        events = len(target.history())
        assert import_file(target, path, dry_run=True) == 30
        assert target.count() == 0 and len(target.history()) == events
    data = snapshot_of(sample_portfolio)
    data["pilots"][29]["coverage"].append({**data["pilots"][29]["coverage"][0], "item": "nope"})
    path.write_bytes(to_bytes(resign(data)))
    with fresh(tmp_path / "copy2.db") as target, pytest.raises(SnapshotError, match="'nope' is not in the snapshot"):
        import_file(target, path, dry_run=True)


def test_the_line_validator_has_the_pilot_model_s_shape() -> None:
    """Pilot lines are validated by a TypedDict twin of SnapshotPilot (faster): the same fields, the same
    required ones and the same types at every level, so both accept and refuse the same pilots."""

    def shape(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
        if "$ref" in schema:
            return shape(defs[schema["$ref"].split("/")[-1]], defs)
        kept = {k: v for k, v in schema.items() if k not in ("title", "description", "default", "$defs")}
        if "enum" in kept:  # an enum (the model) and a Literal (the twin) of the same values
            return {"enum": sorted(kept["enum"])}
        if "const" in kept:
            return {"enum": [kept["const"]]}
        return {
            k: (
                {name: shape(v, defs) for name, v in value.items()}
                if k == "properties"
                else [shape(v, defs) for v in value]
                if k == "anyOf"
                else shape(value, defs)
                if isinstance(value, dict)
                else sorted(value)
                if k == "required"
                else value
            )
            for k, value in kept.items()
        }

    model = SnapshotPilot.model_json_schema(by_alias=True)
    twin = PILOT_LINE.json_schema(by_alias=True)
    assert shape(twin, twin.get("$defs", {})) == shape(model, model.get("$defs", {}))


# ---- schema ----------------------------------------------------------------------------------------


def test_committed_schema_matches_the_models() -> None:
    """docs/snapshot.schema.json is `caio-tui schema`; regenerate it with that command when models change."""
    assert (DOCS / "snapshot.schema.json").read_text(encoding="utf-8") == schema_text()


def test_schema_describes_the_document() -> None:
    schema = json.loads(schema_text())
    assert schema["title"] == "caio-tui portfolio snapshot"
    assert schema["properties"]["format"]["const"] == "caio-tui-snapshot"
    assert set(schema["required"]) >= {"format", "version", "taken_at", "pilots", "digest", "gate_rules"}
    pilot = schema["$defs"]["SnapshotPilot"]["properties"]
    assert pilot["created_at"]["format"] == "date-time"
    assert "from" in schema["$defs"]["SnapshotMove"]["properties"]
