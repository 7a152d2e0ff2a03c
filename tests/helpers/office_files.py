"""Office files in tests: a send, the office's portfolio opened from it, its bundle, a bundle edited and
signed again (as someone who knows the layout would)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from caio_tui.io.offices import open_send_file, write_bundle, write_send
from caio_tui.store import Portfolio
from helpers import NOW


@contextmanager
def opened(path: Path, actor: str = "tester", *, create: bool = False) -> Iterator[Portfolio]:
    with Portfolio.open(path, actor=actor, create=create, clock=lambda: NOW) as portfolio:
        yield portfolio


def copy_of(portfolio: Portfolio, path: Path) -> Path:
    """A copy of an open portfolio through SQLite's backup: copying its file with another handle, then
    closing that handle, would drop this process's POSIX locks on the file (SQLite's "how to corrupt")."""
    target = sqlite3.connect(path)
    try:
        portfolio.conn.backup(target)
    finally:
        target.close()
    return path


def send(caio: Portfolio, office: str, tmp_path: Path) -> Path:
    out = tmp_path / f"send-{office[:6]}.json"
    with out.open("wb") as stream:
        write_send(caio, office, stream)
    return out


@contextmanager
def office_portfolio(caio: Portfolio, office: str, tmp_path: Path) -> Iterator[Portfolio]:
    """The office's own portfolio, opened from a fresh send."""
    sent = send(caio, office, tmp_path)
    with opened(tmp_path / f"office-{office[:6]}.db", "office-lead", create=True) as own:
        open_send_file(own, sent, source=sent.name)
        yield own


def bundle(office: Portfolio, tmp_path: Path, name: str = "bundle.json") -> Path:
    out = tmp_path / name
    with out.open("wb") as stream:
        write_bundle(office, stream)
    return out


def signed(text: str) -> str:
    """The bundle's text signed again after an edit."""
    body = "".join(text.splitlines(keepends=True)[:-2])
    digest = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    return body + f'  "digest": "{digest}"\n}}\n'
