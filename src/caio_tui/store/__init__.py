"""The portfolio store: the only code that speaks SQL."""

from caio_tui.store.errors import PortfolioBusy, PortfolioError, StoreError
from caio_tui.store.portfolio import Portfolio

__all__ = ["Portfolio", "PortfolioBusy", "PortfolioError", "StoreError"]
