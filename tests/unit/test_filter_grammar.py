"""The filter grammar of issue 17: category tokens, OR with commas, negation with `-`, `ready`, and the
"did you mean" for every token value and for a bare word one slip away from a flag."""

from __future__ import annotations

import pytest

from caio_tui.domain import gates
from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.filters import FilterVocabulary, PilotFilter, parse_filter
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.domain.territory import BlockerCategory
from caio_tui.store import Portfolio
from caio_tui.store.office_decisions import resolve_conflict
from helpers.offices import Waiting, seed_waiting

WORDS = FilterVocabulary(
    tags=("personal-credentials", "shared-service-account", "skills-gap"),
    offices=("Human Capital", "Office of the Chief Financial Officer"),
)

# ---- parsing -------------------------------------------------------------------------------------------


def test_commas_or_values_and_tokens_and() -> None:
    f = parse_filter("blocker:shared-service-account,skills-gap blocker:personal-credentials stage:pilot,readiness")
    assert f.blockers == (("shared-service-account", "skills-gap"), ("personal-credentials",))
    assert f.stages == (Stage.PILOT, Stage.READINESS)


def test_category_and_ready() -> None:
    f = parse_filter("category:identity,Governance ready")
    assert f.categories == ((BlockerCategory.IDENTITY, BlockerCategory.GOVERNANCE),)
    assert f.ready


def test_a_leading_minus_excludes_a_token_or_a_flag() -> None:
    f = parse_filter("-blocker:skills-gap -stalled -category:identity -stage:pilot claims")
    assert f.text == ("claims",)
    assert f.excluded == PilotFilter(
        stages=(Stage.PILOT,), blockers=(("skills-gap",),), categories=((BlockerCategory.IDENTITY,),), stalled=True
    )
    assert parse_filter("-foo").text == ("-foo",)  # a word that is not a token searches as typed


def test_a_quoted_office_value_may_hold_a_comma() -> None:
    assert parse_filter('office:"Finance, Budget",Human').offices == (("Finance, Budget", "Human"),)
    assert parse_filter("smith,john").text == ("smith,john",)


@pytest.mark.parametrize(
    ("query", "hint"),
    [
        ("blocker:shared-service-acount", "did you mean 'shared-service-account'?"),
        ("blocker:identity", "did you mean category:identity"),
        ("-blocker:skils-gap", "did you mean 'skills-gap'?"),
        ("stage:piolt", "did you mean 'pilot'?"),
        ("territory:infra", "did you mean 'infrastructure'?"),
        ("category:identiy", "did you mean 'identity'?"),
        ("office:huamn", "did you mean 'Human Capital'?"),
        ("office:Cheif", "did you mean 'Office of the Chief Financial Officer'?"),
        ("stalld", "did you mean stalled?"),
        ("hi-impact", "did you mean high-impact?"),
        ("-belowgate", "did you mean -below-gate?"),
    ],
)
def test_a_misspelt_value_or_flag_is_an_error_with_a_hint(query: str, hint: str) -> None:
    with pytest.raises(ValueError, match=f"; {hint}".replace("?", r"\?")) as caught:
        parse_filter(query, WORDS)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("query", ["state", "read", "stal", "steady", '"stalld"', "office:hum", "office:CHIEF"])
def test_plain_text_partial_words_and_quoted_words_are_no_error(query: str) -> None:
    parse_filter(query, WORDS)


def test_without_a_vocabulary_tags_and_offices_are_not_checked() -> None:
    assert parse_filter("blocker:whatever office:nowhere").blockers == (("whatever",),)


def test_a_value_near_nothing_names_what_there_is() -> None:
    with pytest.raises(ValueError, match="the portfolio's tags are personal-credentials, shared-service-account"):
        parse_filter("blocker:zzz", WORDS)
    with pytest.raises(ValueError, match=r"^no office contains 'zzz'$"):
        parse_filter("office:zzz", WORDS)


# ---- the store's answers -------------------------------------------------------------------------------


def found(p: Portfolio, query: str) -> set[str]:
    f = parse_filter(query, p.filter_vocabulary())
    listed = {x.id for x in p.pilots(f)}
    assert p.count(f) == len(listed)
    return listed


def open_tags(p: Portfolio) -> dict[str, set[str]]:
    return {x.id: set(p.open_blocker_tags([x.id]).get(x.id, [])) for x in p.pilots()}


def test_category_or_and_negation_in_the_store(sample_portfolio: Portfolio) -> None:
    p = sample_portfolio
    tags = open_tags(p)
    identity = {t.tag for t in p.tags() if t.category is BlockerCategory.IDENTITY}
    assert found(p, "category:identity") == {i for i, t in tags.items() if t & identity}
    assert found(p, "category:identity") and found(p, "category:identity") != set(tags)
    a, b = "shared-service-account", "no-ato-pathway"
    assert found(p, f"blocker:{a},{b}") == {i for i, t in tags.items() if a in t or b in t}
    assert found(p, f"blocker:{a} blocker:{b}") == {i for i, t in tags.items() if a in t and b in t}
    assert found(p, f"-blocker:{a}") == {i for i, t in tags.items() if a not in t}
    assert found(p, "-category:identity") == set(tags) - found(p, "category:identity")
    assert found(p, "-stalled") == set(tags) - found(p, "stalled")
    assert found(p, "stage:pilot,readiness") == found(p, "stage:pilot") | found(p, "stage:readiness")
    assert found(p, "-stage:pilot stage:pilot") == set()
    one, two = sorted({x.office for x in p.pilots()})[:2]
    assert found(p, f'office:"{one}","{two}"') == found(p, f'office:"{one}"') | found(p, f'office:"{two}"')


def test_ready_is_the_next_gate_passed_today(sample_portfolio: Portfolio) -> None:
    p = sample_portfolio
    rules, catalog = p.rules(), p.catalog()
    expected = set()
    for pilot in p.pilots():
        nxt = pilot.stage.next()
        if nxt is not None and gates.evaluate(p.record(pilot.id), nxt, rules, catalog).passed:
            expected.add(pilot.id)
    assert found(p, "ready") == expected
    assert expected and found(p, "-ready") == {x.id for x in p.pilots()} - expected


def test_ready_follows_every_write(portfolio: Portfolio) -> None:
    pid = portfolio.add_pilot(PilotFields(name="Triage", office="", owner=""), stage=Stage.POC)
    assert pid not in found(portfolio, "ready")  # into pilot: an owner and an office are needed
    portfolio.edit_pilot(pid, owner="Ann Lee", office="Human Capital")
    assert pid in found(portfolio, "ready")
    portfolio.undo()
    assert pid not in found(portfolio, "ready")
    item = portfolio.catalog().areas(False)[0].items[0].id
    portfolio.set_coverage(pid, item, CoverageStatus.MET, evidence="Role catalog RC-1", justification=None)
    assert portfolio.get(pid).stage is Stage.POC


def test_waiting_keeps_the_pilots_an_office_merge_left_a_conflict_or_request_on(sample_portfolio: Portfolio) -> None:
    p = sample_portfolio
    one, two, *_ = sorted(x.id for x in p.pilots())
    assert found(p, "waiting") == set()
    waiting = Waiting().conflict(one, "field", "owner", "Ann", "Bo", "Cy").request(two, "pilot", "readiness")
    conflicts, _ = seed_waiting(p, waiting)
    assert found(p, "waiting") == {one, two}
    assert found(p, "-waiting") == {x.id for x in p.pilots()} - {one, two}
    resolve_conflict(p, conflicts[0], "caio")
    assert found(p, "waiting") == {two}  # settled: no longer waits
