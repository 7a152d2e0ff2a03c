"""The app's tests: every SVG snapshot is taken once its view has settled, whatever ran before it, with
no cursor blinking."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from helpers.tui import still


@pytest.fixture
def snap_compare(snap_compare: Callable[..., bool]) -> Callable[..., bool]:
    """pytest-textual-snapshot's `snap_compare`, its `run_before` followed by `still`: a view whose first
    load started late (a worker begun on mount, after the test's last wait) is never drawn half loaded.
    Blinking cursors are stopped (shown): otherwise the picture depends on the moment it is taken, which
    a loaded machine moves (a typed filter's cursor was seen both ways)."""

    def compare(app: Any, *args: Any, run_before: Callable[[Pilot[Any]], Any] | None = None, **kwargs: Any) -> bool:
        async def then_still(pilot: Pilot[Any]) -> None:
            if run_before is not None:
                result = run_before(pilot)
                if inspect.isawaitable(result):
                    await result
            for node in pilot.app.screen.walk_children(with_self=False):
                if hasattr(node, "cursor_blink"):
                    node.cursor_blink = False
            await still(pilot)

        return snap_compare(app, *args, run_before=then_still, **kwargs)

    return compare
