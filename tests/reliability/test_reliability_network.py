"""Nothing phones home: every command and the app run with the network cut off (any attempt to open an
internet socket fails the test), and no module of the tool imports a network library. Files the tool
writes are readable by their owner only."""

from __future__ import annotations

import ast
import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from caio_tui.cli import cli
from caio_tui.config import Settings
from caio_tui.tui.app import CaioApp
from caio_tui.tui.dialogs.questions import ConfirmScreen
from helpers import NOW, REPO
from helpers.tui import settle

SRC = REPO / "src" / "caio_tui"
NETWORK_MODULES = {"socket", "ssl", "urllib", "http", "requests", "httpx", "aiohttp", "smtplib", "ftplib", "webbrowser"}
INTERNET = (socket.AF_INET, socket.AF_INET6)


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every internet socket, connection or name lookup raises (and is recorded). Local socketpairs, which
    asyncio uses inside the app, still work."""
    seen: list[str] = []
    real_init = socket.socket.__init__

    def guarded_init(self: socket.socket, family: int = -1, *args: Any, **kwargs: Any) -> None:
        if family in INTERNET or (family == -1 and not args and "fileno" not in kwargs):
            seen.append(f"socket({family})")
            raise NetworkUsed(f"an internet socket was opened (family {family})")
        real_init(self, family, *args, **kwargs)

    def refuse(name: str) -> Any:
        def blocked(*args: Any, **kwargs: Any) -> Any:
            seen.append(f"{name}{args[:1]}")
            raise NetworkUsed(f"{name} was called with {args[:1]}")

        return blocked

    monkeypatch.setattr(socket.socket, "__init__", guarded_init)
    for name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex", "getfqdn"):
        monkeypatch.setattr(socket, name, refuse(name))
    yield seen
    assert seen == [], seen


def test_the_guard_catches_a_connection(attempts: list[str]) -> None:
    """The guard is not vacuous: the usual ways to reach the network all fail under it."""
    import urllib.request

    with pytest.raises(NetworkUsed):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(NetworkUsed):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises((NetworkUsed, OSError)):
        urllib.request.urlopen("http://example.com", timeout=1)
    local, other = socket.socketpair()  # what asyncio needs still works
    local.close()
    other.close()
    attempts.clear()  # the attempts above were the point of this test


def invoke(*args: str | Path) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], env={"COLUMNS": "120"})
    assert result.exit_code in (0, 3), (args, result.output, result.exception)
    assert not isinstance(result.exception, NetworkUsed), args
    return result.stdout


def test_every_command_works_without_the_network(attempts: list[str], tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    invoke("samples")
    invoke("--db", db, "init", "--sample", "civilian-agency")
    invoke("--db", db, "list")
    invoke("--db", db, "list", "--json", "--filter", "stage:pilot")
    invoke("--db", db, "show", "DCS-004")
    invoke("--db", db, "add", "--name", "Offline", "--office", "OCIO")
    invoke("--db", db, "tag", "DCS-004", "skills-gap", "--note", "n")
    invoke("--db", db, "untag", "DCS-004", "skills-gap")
    invoke("--db", db, "set-coverage", "DCS-004", "access.roles", "met")
    invoke("--db", db, "promote", "DCS-004")
    invoke("--db", db, "demote", "DCS-010")
    invoke("--db", db, "undo")
    invoke("--db", db, "history", "--verify")
    invoke("--db", db, "verify")
    exported = {}
    for fmt in ("snapshot", "csv", "markdown", "html", "omb-2025"):
        exported[fmt] = tmp_path / f"out.{fmt}"
        invoke("--db", db, "export", "--format", fmt, "-o", exported[fmt])
    invoke("--db", tmp_path / "copy.db", "import", exported["snapshot"])
    invoke("--db", db, "import", exported["omb-2025"])
    invoke("diff", exported["snapshot"], tmp_path / "copy.db")
    invoke("schema")
    invoke("--db", tmp_path / "big.db", "generate", "--pilots", "500")
    # Everything the commands wrote is readable by its owner only.
    written = [db, tmp_path / "copy.db", tmp_path / "big.db", *exported.values()]
    assert {f.name: oct(stat.S_IMODE(f.stat().st_mode)) for f in written} == {f.name: "0o600" for f in written}


async def test_the_app_works_without_the_network(attempts: list[str], tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    invoke("--db", db, "init", "--sample", "civilian-agency")
    app = CaioApp(db, Settings(actor="tester"), clock=lambda: NOW, watch_interval=0.5)
    async with app.run_test(size=(120, 40)) as pilot:
        for key in ("enter", "escape", "4", "1", "u"):
            await pilot.press(key)
            await pilot.pause()
        # u on the sample load asks first (the whole import): answer no, then the app is still.
        for _ in range(600):  # a bound for a stuck app, not a timing
            if isinstance(app.screen, ConfirmScreen):
                break
            await pilot.pause(0.05)
        await pilot.press("n")
        await pilot.pause(0.6)  # a round of the data_version watch
        await settle(pilot)


# `caio-tui serve` listens for the browser on this laptop (127.0.0.1 unless --unsafe-host); it connects nowhere.
LISTENS_ONLY = {"web.py"}


def test_no_module_imports_a_network_library() -> None:
    found = []
    for path in SRC.rglob("*.py"):
        if str(path.relative_to(SRC)) in LISTENS_ONLY:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.relative_to(SRC)}: {n}" for n in names if n.split(".")[0] in NETWORK_MODULES]
    assert found == []


# ---- files readable by their owner only -------------------------------------------------------------------------


def test_portfolio_files_and_their_side_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    from caio_tui.domain.pilots import PilotFields
    from caio_tui.store import Portfolio

    old = os.umask(0)  # the most permissive: nothing is taken away from what each file is created with
    try:
        path = tmp_path / "open" / "p.db"
        with Portfolio.open(path, actor="tester", create=True) as portfolio:
            portfolio.add_pilot(PilotFields(name="x"))
            side = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
            modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in [path, *side] if f.exists()}
        folder_mode = stat.S_IMODE(path.parent.stat().st_mode)
    finally:
        os.umask(old)
    assert modes == {name: 0o600 for name in modes} and "p.db" in modes and len(modes) == 3
    assert folder_mode == 0o700  # a folder made for the portfolio is private too
