"""The three-way merge of an office's changes: one-sided changes apply, two-sided differing ones conflict,
stage moves become requests."""

from __future__ import annotations

from dataclasses import replace

from caio_tui.domain.office_merge import (
    Change,
    Conflict,
    FieldKey,
    PilotSide,
    StageRequest,
    plan_merge,
    side_json,
    side_of_json,
)

BASE = PilotSide(
    fields={"name": "Benefits assistant", "office": "OBA", "owner": "Ana", "high_impact": False, "description": ""},
    coverage={"access.roles": ("gap", "no roles yet", "")},
    open_blockers={"shared-service-account": "runs as svc-benefits"},
    stage="pilot",
)


def with_fields(side: PilotSide, **fields: object) -> PilotSide:
    return replace(side, fields={**side.fields, **fields})


def test_a_field_only_the_office_changed_takes_the_office_value() -> None:
    plan = plan_merge({"P1": BASE}, {"P1": BASE}, {"P1": with_fields(BASE, owner="Bo")})
    assert plan.changes == [Change("P1", FieldKey("field", "owner"), "Bo")]
    assert plan.conflicts == [] and plan.requests == []


def test_a_field_only_the_caio_changed_stays_the_caios() -> None:
    plan = plan_merge({"P1": BASE}, {"P1": with_fields(BASE, owner="Cy")}, {"P1": BASE})
    assert plan.empty


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    both = with_fields(BASE, name="Benefits policy assistant")
    assert plan_merge({"P1": BASE}, {"P1": both}, {"P1": both}).empty


def test_different_changes_on_both_sides_are_a_conflict_applied_by_neither() -> None:
    plan = plan_merge({"P1": BASE}, {"P1": with_fields(BASE, owner="Cy")}, {"P1": with_fields(BASE, owner="Bo")})
    assert plan.changes == []
    assert plan.conflicts == [Conflict("P1", FieldKey("field", "owner"), "Ana", "Cy", "Bo")]


def test_coverage_items_and_blockers_merge_one_by_one() -> None:
    office = replace(
        BASE,
        coverage={"access.roles": ("met", "roles in the IdP", ""), "audit.activity": ("partial", "logs", "")},
        open_blockers={},
    )
    caio = replace(BASE, open_blockers={"shared-service-account": "runs as svc-benefits", "skills-gap": ""})
    plan = plan_merge({"P1": BASE}, {"P1": caio}, {"P1": office})
    assert plan.changes == [
        Change("P1", FieldKey("blocker", "shared-service-account"), None),
        Change("P1", FieldKey("coverage", "access.roles"), ("met", "roles in the IdP", "")),
        Change("P1", FieldKey("coverage", "audit.activity"), ("partial", "logs", "")),
    ]
    assert plan.conflicts == []  # the CAIO's new skills-gap blocker is not the office's business


def test_a_stage_move_by_the_office_is_a_request_not_a_change() -> None:
    plan = plan_merge({"P1": BASE}, {"P1": BASE}, {"P1": replace(BASE, stage="readiness")})
    assert plan.changes == [] and plan.conflicts == []
    assert plan.requests == [StageRequest("P1", "pilot", "readiness")]
    moved_by_caio = replace(BASE, stage="readiness")
    assert plan_merge({"P1": BASE}, {"P1": moved_by_caio}, {"P1": moved_by_caio}).requests == []


def test_pilots_the_office_created_are_added_and_two_creations_under_one_id_are_never_folded() -> None:
    other = with_fields(BASE, name="Another")
    plan = plan_merge({}, {}, {"NEW-1": BASE})
    assert plan.added == ["NEW-1"]
    clash = plan_merge({}, {"NEW-1": other}, {"NEW-1": BASE})
    assert clash.added == [] and clash.conflicts == [] and clash.clashes == ["NEW-1"]


def test_an_office_changing_the_office_or_high_impact_asks_the_caio_even_when_only_it_changed() -> None:
    office = with_fields(BASE, office="OCIO", high_impact=True, owner="Bo")
    plan = plan_merge({"P1": BASE}, {"P1": BASE}, {"P1": office})
    assert plan.changes == [Change("P1", FieldKey("field", "owner"), "Bo")]
    assert plan.conflicts == [
        Conflict("P1", FieldKey("field", "high_impact"), False, False, True),
        Conflict("P1", FieldKey("field", "office"), "OBA", "OBA", "OCIO"),
    ]
    agreed = with_fields(BASE, high_impact=True)
    assert plan_merge({"P1": BASE}, {"P1": agreed}, {"P1": agreed}).empty


def test_offices_touching_different_pilots_merge_the_same_in_either_order() -> None:
    base = {"P1": BASE, "P2": BASE}
    first = {"P1": with_fields(BASE, owner="Bo")}
    second = {"P2": replace(BASE, open_blockers={})}

    def in_order(one: dict[str, PilotSide], other: dict[str, PilotSide]) -> list[Change]:
        """Plan `one`, then `other` against the CAIO's pilots as `one` left them (its changes applied)."""
        done = plan_merge(base, base, one)
        caio = {**base, **one}  # every change of `one` applied: the CAIO's pilots hold the office's values
        then = plan_merge(base, caio, other)
        assert not done.conflicts and not then.conflicts  # the other office's pilots were not touched
        return done.changes + then.changes

    a, b = in_order(first, second), in_order(second, first)
    assert {str(c) for c in a} == {str(c) for c in b} and len(a) == 2


def test_a_side_kept_as_json_reads_back_the_same() -> None:
    import json

    assert side_of_json(json.loads(json.dumps(side_json(BASE)))) == BASE


def test_an_office_is_named_once_in_a_sentence() -> None:
    from caio_tui.domain.office_values import office_named

    assert office_named("Office of Human Capital") == "the Office of Human Capital"
    assert office_named("Grants Management Office") == "the Grants Management Office"
    assert office_named("Benefits") == "office Benefits"
    assert office_named("Officers' Club") == "office Officers' Club"  # only the word itself says it


def test_a_side_read_from_json_takes_odd_coverage_values_as_before() -> None:
    """The fast path (a list of three strings) and the general one give the same triples."""
    side = side_of_json(
        {
            "coverage": {"a": ["met", "memo", ""], "b": ["partial"], "c": ["", "x", "y"], "d": [1, 2, 3], "e": "gap"},
            "fields": {"name": "N"},
            "open_blockers": {"t": 5},
            "stage": "poc",
        }
    )
    assert side.coverage == {
        "a": ("met", "memo", ""),
        "b": ("partial", "", ""),
        "c": ("not_assessed", "x", "y"),
        "d": ("1", "2", "3"),
        "e": ("not_assessed", "", ""),
    }
    assert (side.fields, side.open_blockers, side.stage) == ({"name": "N"}, {"t": "5"}, "poc")
    assert side_of_json({"coverage": [], "fields": None}) == PilotSide({}, {}, {}, "")
