"""The derived columns (domain.derived): the one computation every writer of a pilot row uses must agree
with the domain's own rules (readiness, territory, the most important blocker)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from caio_tui.domain.blockers import BUILTIN_TAGS, Blocker, BlockerTag
from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.defaults import default_catalog
from caio_tui.domain.derived import Derivation, OpenBlocker
from caio_tui.domain.scoring import readiness
from caio_tui.domain.territory import CATEGORY_WEIGHT, territory

CATALOG = default_catalog()
DERIVATION = Derivation(CATALOG)
START = datetime(2026, 1, 1, tzinfo=UTC)

statuses_strategy = st.dictionaries(
    st.sampled_from([i.id for i in CATALOG.items()]), st.sampled_from(list(CoverageStatus))
)
blockers_strategy = st.lists(
    st.tuples(st.sampled_from(BUILTIN_TAGS), st.integers(0, 5), st.booleans()), max_size=6
)  # (tag, days after START it was opened, still open)


@settings(max_examples=300)
@given(statuses=statuses_strategy, high_impact=st.booleans())
def test_readiness_is_the_domain_readiness(statuses: dict[str, CoverageStatus], high_impact: bool) -> None:
    expected = readiness(CATALOG, statuses, high_impact)
    as_text = {item: status.value for item, status in statuses.items()}
    assert DERIVATION.readiness(as_text, high_impact) == (round(expected.score, 4), expected.not_assessed)
    assert DERIVATION.readiness(statuses, high_impact) == (round(expected.score, 4), expected.not_assessed)
    overall, by_area = DERIVATION.by_area(as_text, high_impact)
    assert overall == expected.score
    assert set(by_area) == {a.area for a in expected.areas}  # only the areas that apply
    for area in expected.areas:
        assert by_area[area.area] == (area.score if area.counted else None)


@settings(max_examples=300)
@given(statuses=statuses_strategy, high_impact=st.booleans(), found=blockers_strategy)
def test_columns_follow_the_domain_rules(
    statuses: dict[str, CoverageStatus], high_impact: bool, found: list[tuple[BlockerTag, int, bool]]
) -> None:
    blockers = [
        Blocker(
            id=index,
            pilot_id="P-1",
            tag=tag.tag,
            category=tag.category,
            opened_at=START + timedelta(days=days),
            opened_by="x",
            resolved_at=None if still_open else START + timedelta(days=9),
        )
        for index, (tag, days, still_open) in enumerate(found, start=1)
    ]
    open_ = [b for b in blockers if b.is_open]
    stored = [OpenBlocker(b.tag, b.category, b.opened_at.isoformat()) for b in open_]
    columns = DERIVATION.columns(statuses, high_impact, stored, stage="intake", fields={})
    expected = readiness(CATALOG, statuses, high_impact)
    # The rule spelled independently of the derivation: by category weight, oldest, tag.
    best = min(open_, key=lambda b: (CATEGORY_WEIGHT[b.category], b.opened_at, b.tag), default=None)
    assert (columns.readiness, columns.not_assessed) == (round(expected.score, 4), expected.not_assessed)
    items = [i.id for i in CATALOG.items(high_impact=high_impact)]
    assessed = any(statuses.get(i, CoverageStatus.NOT_ASSESSED) is not CoverageStatus.NOT_ASSESSED for i in items)
    assert columns.territory is territory((b.category for b in open_), assessed=assessed)
    assert columns.open_blockers == len(open_)
    assert columns.top_blocker == (best.tag if best else "")
