"""Gate rules as a file: a valid file reads back as the rules it says, a broken one is refused with the
file, the line and the reason of every problem, and rules of an agency's own evaluate as written."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import files

import pytest

from caio_tui.domain.blockers import BUILTIN_TAGS, Blocker
from caio_tui.domain.coverage import Coverage, CoverageStatus
from caio_tui.domain.defaults import default_catalog, default_rules
from caio_tui.domain.gate_file import read_rules, rules_toml
from caio_tui.domain.gates import (
    CoverageRule,
    FieldRule,
    GateRules,
    GateRulesError,
    HighImpactRule,
    NoBlockerRule,
    describe_rule,
    evaluate,
)
from caio_tui.domain.pilots import Pilot, PilotFields, PilotRecord
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.gates import replace_rules, rules_history

S = CoverageStatus
TAGS = [t.tag for t in BUILTIN_TAGS]
CATEGORY = {t.tag: t.category for t in BUILTIN_TAGS}
WHEN = datetime(2026, 6, 1, tzinfo=UTC)


def problems(text: str, *, references: bool = False) -> list[str]:
    extra = {"catalog": default_catalog(), "known_tags": TAGS} if references else {}
    with pytest.raises(GateRulesError) as caught:
        read_rules(text, "agency.toml", **extra)  # type: ignore[arg-type]
    assert str(caught.value) == caught.value.problems[0]
    return caught.value.problems


# ---- valid files ----------------------------------------------------------------------------------------


def test_the_shipped_rules_file_reads_as_the_default_rules() -> None:
    text = (files("caio_tui.domain") / "data" / "gates.toml").read_text(encoding="utf-8")
    assert read_rules(text, "gates.toml", catalog=default_catalog(), known_tags=TAGS) == default_rules()


def test_written_rules_read_back_unchanged_with_awkward_text() -> None:
    rules = GateRules.model_validate(
        {
            "version": 1,
            "gate": [
                {
                    "to": "pilot",
                    "rules": [
                        {"kind": "field", "field": "description", "description": 'The "why" — \\ {braces} ]\nline'},
                    ],
                },
                {
                    "to": "scaled",
                    "rules": [
                        {"kind": "coverage", "items": ["ato.granted"], "at_least": "met", "accept_waived": False},
                        {"kind": "no_blocker", "tags": ["skills-gap"], "categories": ["governance"]},
                        {"kind": "high_impact_practices", "accept": ["met"]},
                    ],
                },
            ],
        }
    )
    text = rules_toml(rules, heading="made by a test\nsecond line")
    assert text.startswith("# made by a test\n# second line\nversion = 1\n")
    assert read_rules(text, "round.toml", catalog=default_catalog(), known_tags=TAGS) == rules
    assert read_rules(rules_toml(default_rules()), "d.toml") == default_rules()


def test_rules_as_tables_and_as_inline_arrays_mean_the_same() -> None:
    tables = """
[[gate]]
to = "readiness"

[[gate.rules]]
kind = "no_blocker"
tags = ["shared-service-account"]
description = "No shared account"
"""
    inline = """
[[gate]]
to = "readiness"
rules = [ { kind = "no_blocker", tags = ["shared-service-account"], description = "No shared account" } ]
"""
    assert read_rules(tables, "a.toml") == read_rules(inline, "b.toml")


def test_an_empty_file_means_no_gates() -> None:
    rules = read_rules("", "empty.toml")
    assert rules.gates == ()
    assert rules.for_stage(Stage.PRODUCTION).rules == ()


# ---- broken files: file, line, reason ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('version = 1\n[[gate]]\nto = "pilot"\nrules = [\n  { kind = "field", field = },\n]\n', 5, "Invalid value"),
        ('[[gate]]\nto = "pilot"\nto = "poc"\n', 3, "Cannot overwrite a value"),
        ('[[gate]]\nto = "pilot\n', 2, "Illegal character"),
        ('[[gate]]\nrules = [\n  { kind = "field",\n    field = "owner" },\n]\n', 3, "Invalid initial character"),
    ],
)
def test_a_syntax_error_names_the_file_and_line(text: str, line: int, reason: str) -> None:
    (problem,) = problems(text)
    assert problem.startswith(f"agency.toml:{line}: not valid TOML: ")
    assert reason.lower() in problem.lower()


def test_a_file_cut_short_names_its_last_line() -> None:
    (problem,) = problems('version = 1\n[[gate]]\nto = "pilot"\nrules = [\n  { kind = "field", field = "owner" },\n')
    assert problem.startswith("agency.toml:5: not valid TOML: ")


BROKEN = """version = 1

[[gate]]
to = "pilot"
rules = [
  { kind = "field", field = "owner" },
  { kind = "field", field = "budget" },
]

[[gate]]
to = "production"
rules = [
  # a comment with { braces ] and "quotes
  { kind = "coverage", items = ["ato.granted"], at_least = "excellent", description = "x } ]" },
  { kind = "no_blocker" },
  { kind = "eval", code = "__import__('os').system('rm -rf ~')" },
  {kind="field",field="owner",colour="red"},
  { field = "owner" },
  { kind = "coverage", areas = ["ato"] },
]

[[gate]]
to = "intake"

[[gate]]
to = "scaled"

[[gate.rules]]
kind = "coverage"
areas = ["scalability"]
at_least = "met"

[[gate.rules]]
kind = "high_impact_practices"
accept = []
"""


def test_every_problem_of_a_file_is_named_with_its_line_in_order() -> None:
    assert problems(BROKEN) == [
        "agency.toml:7: gate 1 (into pilot), rule 2, field: Input should be 'name', 'office', 'owner' or 'description'",
        "agency.toml:14: gate 2 (into production), rule 1, at_least: Input should be 'partial' or 'met'",
        "agency.toml:15: gate 2 (into production), rule 2: a no_blocker rule needs tags or categories",
        "agency.toml:16: gate 2 (into production), rule 3: unknown rule kind 'eval'; "
        "expected one of coverage, field, high_impact_practices, no_blocker",
        "agency.toml:17: gate 2 (into production), rule 4: unknown key 'colour'",
        "agency.toml:18: gate 2 (into production), rule 5: a rule needs a kind "
        "(coverage, field, high_impact_practices, no_blocker)",
        "agency.toml:19: gate 2 (into production), rule 6: missing key 'at_least'",
        "agency.toml:23: gate 3 (into intake), to: no move passes a gate into intake; "
        "gates lead into poc, pilot, readiness, production, scaled",
        "agency.toml:35: gate 4 (into scaled), rule 2, accept: a high_impact_practices rule needs at least one "
        "accepted status",
    ]


def test_a_gate_into_retired_is_refused() -> None:
    (problem,) = problems('[[gate]]\nto = "retired"\n')
    assert problem.startswith("agency.toml:2: gate 1 (into retired), to: no move passes a gate into retired")


def test_an_unknown_top_level_key_is_named() -> None:
    assert problems("version = 1\ngates = []\n") == ["agency.toml:2: unknown key 'gates'"]


def test_names_the_portfolio_does_not_know_and_a_stage_gated_twice_are_refused() -> None:
    text = """[[gate]]
to = "pilot"
rules = [
  { kind = "coverage", areas = ["acess"], items = ["ato.grnted"], at_least = "met" },
  { kind = "no_blocker", tags = ["ghost"], categories = ["identity"] },
]

[[gate]]
to = "pilot"
"""
    # Without a portfolio's names the file is well formed...
    assert len(read_rules(text, "agency.toml").gates) == 2
    # ...against them it is not.
    assert problems(text, references=True) == [
        "agency.toml:4: gate 1 (into pilot), rule 1, areas: unknown area 'acess'",
        "agency.toml:4: gate 1 (into pilot), rule 1, items: unknown item 'ato.grnted'",
        "agency.toml:5: gate 1 (into pilot), rule 2, tags: unknown tag 'ghost'",
        "agency.toml:9: gate 2 (into pilot), to: a second gate into pilot (the first is gate 1); merge them",
    ]


# ---- rules of an agency's own, evaluated -----------------------------------------------------------------


AGENCY = """
[[gate]]
to = "poc"
rules = [{ kind = "field", field = "description", description = "Say what it does" }]

[[gate]]
to = "pilot"
rules = [
  { kind = "coverage", items = ["data.access_agreements", "governance.approver"], at_least = "partial",
    accept_waived = false },
  { kind = "no_blocker", categories = ["organizational"], description = "Sponsored and staffed" },
]
"""


def record(
    stage: Stage,
    coverage: dict[str, CoverageStatus],
    *,
    blockers: tuple[str, ...] = (),
    description: str = "",
) -> PilotRecord:
    pilot = Pilot(
        id="P-9",
        name="Grants screener",
        office="Grants",
        owner="J. Ruiz",
        stage=stage,
        description=description,
        created_at=WHEN,
        stage_entered_at=WHEN,
    )
    return PilotRecord(
        pilot=pilot,
        coverage={
            i: Coverage(item=i, status=s, justification="CAIO waiver" if s.needs_justification else "")
            for i, s in coverage.items()
        },
        blockers=tuple(
            Blocker(id=n, pilot_id="P-9", tag=t, category=CATEGORY[t], opened_at=WHEN, opened_by="a")
            for n, t in enumerate(blockers)
        ),
    )


def test_a_multi_line_inline_table_is_not_toml() -> None:
    # TOML inline tables are one line; the agency file above breaks one across two: refused with its line.
    (problem,) = problems(AGENCY)
    assert problem.startswith("agency.toml:9: not valid TOML")


def agency_rules() -> GateRules:
    return read_rules(AGENCY.replace('"partial",\n    accept_waived', '"partial", accept_waived'), "agency.toml")


def test_an_agency_rule_set_evaluates_as_written() -> None:
    rules = agency_rules()
    catalog = default_catalog()
    assert evaluate(
        record(Stage.INTAKE, {}, description="Screens grant applications"), Stage.POC, rules, catalog
    ).passed

    refused = evaluate(
        record(Stage.POC, {"data.access_agreements": S.WAIVED, "governance.approver": S.MET}, blockers=("skills-gap",)),
        Stage.PILOT,
        rules,
        catalog,
    )
    assert [f.rule for f in refused.failures] == ["pilot #1", "pilot #2"]
    assert refused.failures[0].reason.endswith("1 item(s) below partial (waivers not accepted): data.access_agreements")
    assert refused.failures[1].reason == "Sponsored and staffed: open blocker(s): skills-gap"
    assert [(c.kind, c.target, c.to) for c in refused.least_changes] == [
        ("set_coverage", "data.access_agreements", "partial"),
        ("resolve_blocker", "skills-gap", ""),
    ]


def test_a_skipped_gate_of_an_agency_set_counts_and_least_changes_merge() -> None:
    rules = agency_rules()
    result = evaluate(record(Stage.INTAKE, {"governance.approver": S.GAP}), Stage.PILOT, rules, default_catalog())
    assert [f.rule for f in result.failures] == ["poc #1", "pilot #1"]
    assert [(c.kind, c.target) for c in result.least_changes] == [
        ("set_field", "description"),
        ("set_coverage", "data.access_agreements"),
        ("set_coverage", "governance.approver"),
    ]
    # An organizational blocker holds nothing under the default rules: the rule set decides.
    default = evaluate(record(Stage.POC, {}, blockers=("skills-gap",)), Stage.PILOT, default_rules(), default_catalog())
    assert default.passed


def test_rules_describe_what_they_ask_in_words() -> None:
    assert describe_rule(FieldRule(kind="field", field="owner")) == "the owner is recorded"
    assert (
        describe_rule(
            CoverageRule(kind="coverage", areas=("audit", "ato"), items=("data.access_agreements",), at_least="met")
        )
        == "every item of the audit and ato areas and data.access_agreements at least met "
        "(waived or not applicable accepted)"
    )
    assert (
        describe_rule(NoBlockerRule(kind="no_blocker", tags=("skills-gap",), categories=(BlockerCategory.IDENTITY,)))
        == "no open blocker tagged skills-gap, and no open identity blocker"
    )
    assert (
        describe_rule(HighImpactRule(kind="high_impact_practices"))
        == "high-impact use cases: every M-25-21 practice met or waived"
    )


# ---- in a portfolio -------------------------------------------------------------------------------------------


def test_replacing_the_rules_is_versioned_audited_and_seen_by_every_connection(portfolio: Portfolio) -> None:
    other = Portfolio.open(portfolio.path, actor="someone else", clock=portfolio.clock)
    try:
        pid = portfolio.add_pilot(PilotFields(name="Grants screener", owner="Jo"), stage=Stage.POC)
        assert other.check_gate(pid).failures[0].reason == "A program office is recorded: no office recorded"
        stricter = read_rules(
            '[[gate]]\nto = "pilot"\nrules = [{ kind = "field", field = "description" }]\n', "strict.toml"
        )
        assert replace_rules(portfolio, stricter, "strict.toml") == 2
        # The other program's next check reads the new version, not its cached copy.
        assert [f.reason for f in other.check_gate(pid).failures] == ["no description recorded"]
        assert replace_rules(other, stricter, "again.toml") == 2  # the same rules: nothing new
        assert [(v.version, v.gates, v.rules, v.actor) for v in rules_history(portfolio)] == [
            (1, 4, 10, "tester"),
            (2, 1, 1, "tester"),
        ]
        (event,) = [e for e in portfolio.history() if e.action == "rules.replace"]
        assert (event.before["version"], event.after["version"], event.source) == (1, 2, "strict.toml")
        assert event.summary() == "gate rules version 2 (1 gates, 1 rules) from strict.toml"
        assert portfolio.verify_chain()[1] is None
    finally:
        other.close()


def test_rules_naming_what_the_portfolio_does_not_know_are_refused_by_the_store(portfolio: Portfolio) -> None:
    ghost = read_rules('[[gate]]\nto = "pilot"\nrules = [{ kind = "no_blocker", tags = ["ghost"] }]\n', "g.toml")
    with pytest.raises(StoreError, match=r"^g.toml: gate 1, rule 1: unknown tag 'ghost'; the rules were not changed$"):
        replace_rules(portfolio, ghost, "g.toml")
    assert portfolio.rules_version() == 1
    assert [e.action for e in portfolio.history()] == ["portfolio.create"]
