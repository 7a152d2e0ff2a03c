"""Errors the store raises. Each message is one line a user can act on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caio_tui.domain.gates import GateResult


class StoreError(Exception):
    """A request the portfolio refuses: unknown pilot, invalid value, ..."""


class PortfolioError(StoreError):
    """The portfolio file cannot be used: not SQLite, another program's, newer schema, read-only, ..."""


class PortfolioBusy(StoreError):
    """Another process held the write lock longer than the busy timeout."""


class GateRefused(StoreError):
    """A move the gate refused; carries the result with every failing rule."""

    def __init__(self, result: GateResult) -> None:
        super().__init__(f"the gate into {result.to_stage.value} refused {result.pilot_id}")
        self.result = result
