"""`make browser-check`: drive `caio-tui serve` once in headless Chromium (Debian's `chromium` package).

Not part of `make test` (Chromium is not on a fresh machine). It serves the civilian-agency sample and
drives headless Chromium over its DevTools protocol: a page without the token must not open the app; the
printed address must show the Portfolio, and the key `2` typed into the page must bring the Pipeline board.
Screenshots of both land in build/ to look at. Exit 0 when all hold."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
CAIO = [sys.executable, "-m", "caio_tui"]
OPENED = "A browser tab opened the app."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Page:
    """One Chromium tab, driven over the DevTools protocol."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self.websocket = websocket
        self.ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self.ids)
        await self.websocket.send_json({"id": ident, "method": method, "params": params})
        while True:
            message = json.loads((await self.websocket.receive()).data)
            if message.get("id") == ident:
                return dict(message.get("result", {}))

    async def key(self, char: str) -> None:
        for kind in ("mousePressed", "mouseReleased"):  # focus the terminal first, as a user's click does
            await self.call("Input.dispatchMouseEvent", type=kind, x=640, y=300, button="left", clickCount=1)
        for kind in ("keyDown", "keyUp"):
            await self.call("Input.dispatchKeyEvent", type=kind, text=char if kind == "keyDown" else "", key=char)

    async def screenshot(self, target: Path) -> bytes:
        shot = await self.call("Page.captureScreenshot", format="png")
        target.write_bytes(base64.b64decode(shot["data"]))
        return target.read_bytes()


async def drive(debug_port: int, url: str, log: Path) -> list[str]:
    failures: list[str] = []
    with urllib.request.urlopen(f"http://127.0.0.1:{debug_port}/json/list") as answer:
        tab = next(t for t in json.load(answer) if t["type"] == "page")
    async with aiohttp.ClientSession() as session, session.ws_connect(tab["webSocketDebuggerUrl"]) as websocket:
        page = Page(websocket)
        await page.call("Page.enable")
        await page.call("Page.navigate", url=url.split("?", 1)[0])
        await asyncio.sleep(3)
        if OPENED in log.read_text():
            failures.append("a page without the token opened the app")
        await page.call("Page.navigate", url=url)
        build = ROOT / "build"
        build.mkdir(exist_ok=True)
        if not await until(lambda: OPENED in log.read_text()):
            return [*failures, "Chromium never opened the app's websocket"]
        await asyncio.sleep(4)  # the app process starts and draws its first screen
        portfolio = await page.screenshot(build / "browser-portfolio.png")
        await page.key("2")
        await asyncio.sleep(3)
        if await page.screenshot(build / "browser-pipeline.png") == portfolio:
            failures.append("the key 2 typed in the page did not change the screen")
    return failures


async def until(check: Any, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.2)
    return True


def main() -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("browser-check: Chromium is not installed (Debian: apt install chromium)")
        return 1
    work = Path(tempfile.mkdtemp(prefix="caio-browser-check-"))
    db = work / "portfolio.db"
    subprocess.run([*CAIO, "--db", str(db), "init", "--sample", "civilian-agency"], check=True)
    port, debug_port, log = free_port(), free_port(), work / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([*CAIO, "--db", str(db), "serve", "--port", str(port)], stdout=out, cwd=work)
    flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800"]
    chrome = subprocess.Popen(
        [browser, *flags, f"--remote-debugging-port={debug_port}", f"--user-data-dir={work / 'profile'}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while "token=" not in log.read_text() or not listening(debug_port):
            time.sleep(0.2)
        url = log.read_text().split("browser: ", 1)[1].split()[0]
        failures = asyncio.run(drive(debug_port, url, log))
    finally:
        chrome.terminate()
        server.terminate()
        server.wait(timeout=20)
    for failure in failures:
        print(f"browser-check: FAIL: {failure}")
    if not failures:
        print("browser-check: ok: the token opened the app in Chromium; screenshots build/browser-*.png")
    return 1 if failures else 0


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


if __name__ == "__main__":
    sys.exit(main())
