"""`caio-tui serve`: the browser app is reachable only with this run's token, by its own address, from its
own pages; another host needs --unsafe-host."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from caio_tui.web import Guard, is_loopback
from helpers.cli import ok, run


def test_loopback_addresses_are_told_from_others() -> None:
    assert all(is_loopback(host) for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"))
    assert not any(is_loopback(host) for host in ("0.0.0.0", "192.168.1.4", "example.org", ""))


def test_guard_lets_through_only_the_token_by_the_served_address() -> None:
    guard = Guard("secret-token", "127.0.0.1", 8123)

    def refusal(**given: str | None) -> str | None:
        request = {"host": "127.0.0.1:8123", "origin": None, "token": None, "cookie": None} | given
        return guard.refusal(**request)

    assert refusal(token="secret-token") is None
    assert refusal(cookie="secret-token", host="localhost:8123", origin="http://localhost:8123") is None
    assert "no valid token" in (refusal() or "")
    assert "no valid token" in (refusal(token="secret-tokeN") or "")
    assert "wrong Host" in (refusal(token="secret-token", host="attacker.example:8123") or "")
    assert "wrong Host" in (refusal(token="secret-token", host="127.0.0.1:8124") or "")
    assert "wrong Host" in (refusal(token="secret-token", host=None) or "")
    assert "another origin" in (refusal(cookie="secret-token", origin="http://attacker.example") or "")
    assert "another origin" in (refusal(cookie="secret-token", origin="null") or "")


def test_another_host_is_refused_without_unsafe_host_and_every_address_always(tmp_path: Path) -> None:
    result = run("--db", tmp_path / "p.db", "serve", "--host", "192.168.1.4", "--port", "8765")
    assert result.exit_code == 1
    assert "--unsafe-host" in result.output
    for wildcard in ("0.0.0.0", "::"):
        result = run("--db", tmp_path / "p.db", "serve", "--host", wildcard, "--unsafe-host")
        assert result.exit_code == 1 and "name the one address" in result.output
    assert not (tmp_path / "p.db").exists()


def test_the_guard_knows_ipv6_and_port_80() -> None:
    v6 = Guard("t", "::1", 8000)
    assert v6.refusal(host="[::1]:8000", origin="http://[::1]:8000", token="t", cookie=None) is None
    web = Guard("t", "127.0.0.1", 80)
    assert web.refusal(host="127.0.0.1", origin="http://127.0.0.1", token="t", cookie=None) is None
    assert web.refusal(host="127.0.0.1:80", origin=None, token="t", cookie=None) is None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    def __init__(self, process: subprocess.Popen[str], port: int, url: str) -> None:
        self.process, self.port, self.url = process, port, url
        self.token = url.split("token=", 1)[1]

    def get(self, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request("GET", path, headers={"Host": f"127.0.0.1:{self.port}"} | (headers or {}))
        response = connection.getresponse()
        response.read()
        return response


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    db = tmp_path_factory.mktemp("serve") / "portfolio.db"
    ok(run("--db", db, "init", "--sample", "civilian-agency"))
    port = free_port()
    home = db.parent / "home"  # this fixture outlives each test's isolated HOME: the served app gets its own
    env = os.environ | {"HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home)}
    env.pop("CAIO_TUI_CONFIG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "caio_tui", "--db", str(db), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=db.parent,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("caio-tui in your browser: http://127.0.0.1:"), line
        server = Served(process, port, line.split(": ", 1)[1].strip())
        deadline = time.monotonic() + 60
        while True:  # the address is printed as the server starts: wait until it listens
            try:
                server.get("/")
                break
            except OSError:
                assert time.monotonic() < deadline, "the server never listened"
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_pages_need_the_token_and_then_the_cookie(served: Served) -> None:
    assert served.get("/").status == 403
    assert served.get("/static/js/textual.js").status == 403
    first = served.get(f"/?token={served.token}")
    assert first.status == 200
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    cookie_header = {"Cookie": cookie.split(";", 1)[0]}
    assert served.get("/static/js/textual.js", cookie_header).status == 200
    assert served.get("/static/js/textual.js", {"Cookie": "caio_tui_token=guess"}).status == 403
    # A wrong ?token= beside the right cookie passes on the cookie and does not overwrite it.
    wrong = served.get("/?token=guess", cookie_header)
    assert wrong.status == 200 and "Set-Cookie" not in wrong.headers


def test_another_host_name_is_refused_even_with_the_token(served: Served) -> None:
    assert served.get(f"/?token={served.token}", {"Host": f"attacker.example:{served.port}"}).status == 403


async def _until(websocket: aiohttp.ClientWebSocketResponse, wanted: bytes) -> None:
    """Read the socket until the screen shows `wanted`."""
    screen = b""
    while wanted not in screen:
        message = await asyncio.wait_for(websocket.receive(), timeout=60)
        assert message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT), message
        if message.type == aiohttp.WSMsgType.BINARY:
            screen += message.data


async def _connect(served: Served, origin: str, session_work: bool) -> int:
    url = f"ws://127.0.0.1:{served.port}/ws?width=100&height=30"
    async with aiohttp.ClientSession(cookies={"caio_tui_token": served.token}) as session:
        try:
            async with session.ws_connect(url, origin=origin) as websocket:
                if session_work:
                    await _export_as_a_download(served, session, websocket)
                return 101
        except aiohttp.WSServerHandshakeError as error:
            return error.status


async def _export_as_a_download(
    served: Served, session: aiohttp.ClientSession, websocket: aiohttp.ClientWebSocketResponse
) -> None:
    await _until(websocket, b"Portfolio")  # the app's first screen arrives over the socket
    await websocket.send_json(["stdin", "x"])
    await _until(websocket, b"Export the portfolio")
    await websocket.send_json(["stdin", "\r"])
    key = None
    while key is None:  # the browser is told a file is ready, then fetches it like any page
        message = await asyncio.wait_for(websocket.receive(), timeout=60)
        assert message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT), message
        if message.type == aiohttp.WSMsgType.TEXT and json.loads(message.data)[0] == "deliver_file_start":
            key = json.loads(message.data)[1]
    async with session.get(f"http://127.0.0.1:{served.port}/download/{key}") as response:
        assert response.status == 200
        assert "attachment" in response.headers["Content-Disposition"]
        snapshot = json.loads(await response.read())
    assert snapshot["portfolio"]["name"]


def test_the_websocket_refuses_another_origin_and_serves_the_app_to_its_own(served: Served) -> None:
    assert asyncio.run(_connect(served, "http://attacker.example", session_work=False)) == 403
    assert asyncio.run(_connect(served, f"http://127.0.0.1:{served.port}", session_work=True)) == 101


def test_a_download_needs_the_token_too(served: Served) -> None:
    assert served.get("/download/any-key").status == 403
