"""The app in a browser on the same laptop: textual-serve behind a token, a Host check and an Origin check.

textual-serve starts one app process per browser tab and relays the terminal over a websocket. It has no
authentication and does not check where its websocket is opened from, so on its own any page the browser
visits could drive the portfolio (a cross-site websocket), and any program on the network could if it bound
to all interfaces. `GuardedServer` adds what it lacks:

- it binds to 127.0.0.1 unless the caller allows another host (the CLI asks for `--unsafe-host`);
- every request needs the random token of this run: the URL the CLI prints carries it as `?token=`, the
  first page sets it as an HttpOnly, SameSite=Strict cookie, and the page's own requests (static files,
  the websocket, downloads) send the cookie back;
- the Host header must name the address served (so a DNS-rebinding page cannot reach it by another name);
- a request that carries an Origin (every websocket opened by a browser does) must come from the served
  origin itself.

A refused request gets 403 and a one-line reason; nothing of the app starts.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware
from textual_serve.server import Server

TOKEN_COOKIE = "caio_tui_token"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, ::1 and the name localhost: addresses no other machine can reach."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(24)


def url_host(host: str) -> str:
    """A host as it goes in a URL: an IPv6 address in brackets."""
    bare = host.strip("[]")
    return f"[{bare}]" if ":" in bare else bare


def is_wildcard(host: str) -> bool:
    """0.0.0.0 or ::, every address of this machine: the page could not know which one to call back."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


class Guard:
    """Decides whether one request may reach textual-serve (kept apart from aiohttp to be tested plainly)."""

    def __init__(self, token: str, host: str, port: int, on_tab: Callable[[], None] = lambda: None) -> None:
        self.token = token
        self.on_tab = on_tab  # a browser tab passed the guard and starts its app
        names = {host, *LOOPBACK_NAMES} if is_loopback(host) else {host}
        # The Host header a browser sends for each name (without the port when it is 80).
        self.hosts = {f"{url_host(name)}:{port}".lower() for name in names}
        self.hosts |= {url_host(name).lower() for name in names} if port == 80 else set()

    def refusal(self, *, host: str | None, origin: str | None, token: str | None, cookie: str | None) -> str | None:
        """Why the request is refused, or None when it may pass."""
        if not host or host.lower() not in self.hosts:
            return "wrong Host: open the address caio-tui serve printed"
        if origin is not None and origin.lower() != f"http://{host}".lower():
            return "a page of another origin may not use this app"
        if not (self.matches(token) or self.matches(cookie)):
            return "no valid token: open the full address caio-tui serve printed (with ?token=)"
        return None

    def matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())


def guard_middleware(guard: Guard) -> Middleware:
    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        token = request.query.get("token")
        refusal = guard.refusal(
            host=request.headers.get("Host"),
            origin=request.headers.get("Origin"),
            token=token,
            cookie=request.cookies.get(TOKEN_COOKIE),
        )
        if refusal is not None:
            return web.Response(status=403, text=f"caio-tui serve: {refusal}\n")
        if request.path == "/ws":
            guard.on_tab()
        response = await handler(request)
        if guard.matches(token) and not response.prepared:  # a wrong ?token= beside a good cookie sets nothing
            response.set_cookie(TOKEN_COOKIE, guard.token, httponly=True, samesite="Strict", path="/")
        return response

    return check


class GuardedServer(Server):
    """textual-serve's server with the guard in front of every route."""

    def __init__(self, command: str, *, host: str, port: int, token: str, title: str) -> None:
        shown = f"http://{url_host(host)}" + ("" if port == 80 else f":{port}")
        super().__init__(command, host=host, port=port, title=title, public_url=shown)
        self.guard = Guard(token, host, port, on_tab=lambda: self.console.print("A browser tab opened the app."))

    @property
    def url(self) -> str:
        return f"{self.public_url}/?token={self.token}"

    @property
    def token(self) -> str:
        return self.guard.token

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(guard_middleware(self.guard))
        return app

    async def on_startup(self, app: web.Application) -> None:
        """Say where to go, without textual-serve's banner (its URL lacks the token)."""
        self.console.print(f"caio-tui in your browser: {self.url}", highlight=False, soft_wrap=True)
        self.console.print("Only this address works (it carries this run's token). Press Ctrl+C to stop.")
