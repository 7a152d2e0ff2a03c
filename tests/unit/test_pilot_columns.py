"""The portfolio table's columns at a width: the name gets the width, the rest give way in the stated order."""

from __future__ import annotations

import pytest

from caio_tui.config import TABLE_COLUMNS
from caio_tui.tui.widgets.pilot_columns import NAME_WANT, NARROWING, blockers_cell, layout_for
from caio_tui.tui.widgets.virtual_table import GUTTER_WIDTH, SEPARATOR_WIDTH


def total(width: int, **kwargs: object) -> int:
    layout = layout_for(width, **kwargs)  # type: ignore[arg-type]
    return GUTTER_WIDTH + sum(c.width for c in layout.columns) + SEPARATOR_WIDTH * (len(layout.columns) - 1)


@pytest.mark.parametrize("width", [64, 69, 79, 99, 119, 159])
def test_columns_fill_the_width_and_the_name_keeps_its_room(width: int) -> None:
    layout = layout_for(width)
    assert total(width) == width
    assert layout.width("name") >= NAME_WANT
    assert {"id", "name", "stage", "readiness", "days"} <= set(layout.keys)


def test_at_80_columns_the_office_goes_first_and_the_territory_is_abbreviated() -> None:
    layout = layout_for(79)  # the table keeps a column for its scrollbar
    assert layout.keys == ("id", "name", "stage", "readiness", "territory", "blockers", "days")
    assert layout.forms == {"territory": "short", "readiness": "percent", "blockers": "short"}
    full = layout_for(119)
    assert full.keys == TABLE_COLUMNS and "territory" not in full.forms and "readiness" not in full.forms


def test_columns_give_way_in_the_stated_order() -> None:
    seen: list[tuple[str, str | None]] = []
    for width in range(160, 50, -1):
        layout = layout_for(width)
        for key, form, _ in NARROWING:
            now = layout.forms.get(key, "full") if key in layout.keys else None
            if now == form and (key, form) not in seen:
                seen.append((key, form))
    # (a narrow office column shows the short names whatever the width: it is no step of its own there)
    stated = [(key, form) for key, form, _ in NARROWING]
    assert [step for step in seen if step != ("office", "short")] == [s for s in stated if s != ("office", "short")]


def test_too_narrow_for_every_step_the_name_shrinks_and_the_table_scrolls() -> None:
    layout = layout_for(50)
    assert layout.width("name") >= 10
    assert total(50) >= 50


def test_the_id_column_is_as_wide_as_the_longest_id_and_the_user_chooses_columns() -> None:
    layout = layout_for(119, id_width=12, shown=("name", "id", "blockers"))
    assert layout.keys == ("name", "id", "blockers")
    assert layout.width("id") == 12
    assert total(119, id_width=12, shown=("name", "id", "blockers")) == 119


@pytest.mark.parametrize(
    ("tags", "width", "cell"),
    [
        (["shared-service-account"], 30, "1 shared-service-account"),
        (["informal-access", "skills-gap", "no-ato-pathway"], 40, "3 informal-access skills-gap +1"),
        (["informal-access", "skills-gap"], 14, "2 informal… +1"),
        (["informal-access"], 3, "1"),
        ([], 10, "2"),
    ],
)
def test_the_blockers_cell_shows_the_count_and_the_tags_that_fit(tags: list[str], width: int, cell: str) -> None:
    count = len(tags) or 2
    assert blockers_cell(count, tags, width) == cell
    assert len(cell) <= max(width, 1)
