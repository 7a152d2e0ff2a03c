"""Errors the store raises. Each message is one line a user can act on."""


class StoreError(Exception):
    """A request the portfolio refuses: unknown pilot, invalid value, ..."""


class PortfolioError(StoreError):
    """The portfolio file cannot be used: not SQLite, another program's, newer schema, read-only, ..."""


class PortfolioBusy(StoreError):
    """Another process held the write lock longer than the busy timeout."""
