"""The caio-tui terminal app: the views of a portfolio, the keys that work anywhere, and app-wide state.

Each view of tui/navigation.py's VIEWS is a Textual mode with its own screen stack; `1` to `5` switch between
them. The app owns what every view shares: the open Portfolio, the pilots marked for comparison, undo,
reload, the theme (remembered in the config file) and the watch for changes made by other programs.

Start-up time is a promise (issue 8: at most 1.5x a bare Textual app), so this module does not import
help, the command palette's provider, the pilot detail screen or the other views: each is imported when
first used (tests/test_startup.py guards this; tui/speed.py lists every such device and its figure).
Work the first screen does not need (the audit chain walk, a theme warning) waits until the start view
has read its rows.

What screens, dialogs and the palette may ask of the app is declared in tui/host.py (CaioHost), so none
of them imports this module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen

from caio_tui.config import Settings, save_setting
from caio_tui.domain.text import printable
from caio_tui.store import Portfolio, StoreError
from caio_tui.tui.host import CaioHost
from caio_tui.tui.navigation import START_VIEW, VIEWS, View, view
from caio_tui.tui.speed import CHECK_S, IdleCollector, InstantSwitch, imported
from caio_tui.tui.widgets.chain_banner import ChainGuard

if TYPE_CHECKING:
    from textual.command import Provider
    from textual.theme import Theme

    from caio_tui.domain.history import AuditEvent
    from caio_tui.tui.screens.detail import PilotDetailScreen

WATCH_INTERVAL_S = 1.0  # how often the app looks for changes committed by another program (seen within 2 s)
START_WAIT_S = 2.0  # the longest the chain check waits for the start view's first rows
DETAIL_MODULE = "caio_tui.tui.screens.detail"

# Changes that undo reverts as one step of many rows: the app asks before reverting them.
WHOLE_STEPS = {
    "import": "import",
    "cots.import": "commercial AI import",
    "rules.replace": "gate rules load",
    "generate": "generated portfolio",
}

# The workers (by group) whose work quitting would cut short, in the user's words: q asks first.
LONG_WORK = {
    "commands.transfer": "an import",
    "export": "an export",
    "commands.sample": "a sample load",
}

# What an undone change was, in the user's words.
UNDONE: dict[str, str] = {
    "pilot.create": "creation",
    "pilot.edit": "edit",
    "coverage.set": "coverage change",
    "blocker.open": "new blocker",
    "blocker.resolve": "blocker resolution",
    "stage.move": "stage move",
    "tag.create": "new tag",
    "import": "import",
    "cots.import": "commercial AI import",
    "rules.replace": "gate rules load",
    "office.resolve": "conflict resolution",
    "office.request": "stage request decision",
}


def undone_message(event: AuditEvent) -> str:
    what = UNDONE.get(event.action, event.action)
    subject = f"{event.pilot_id} " if event.pilot_id else ""
    summary = event.summary()
    return printable(f"Undid {subject}{what}" + (f": {summary}" if summary else ""))


def caio_commands() -> type[Provider]:
    """The command palette's provider, imported when the palette first opens (Textual's COMMANDS takes a
    callable that returns a provider class for this)."""
    from caio_tui.tui.palette import CaioCommands

    return CaioCommands


class CaioApp(InstantSwitch, CaioHost):
    """caio-tui. `clock` fixes the portfolio's "now" (tests and snapshots); `watch_interval` is how often
    to look for changes by other programs (None: never)."""

    TITLE = "caio-tui"
    CSS_PATH = Path(__file__).parent / "styles" / "app.tcss"  # absolute: subclasses live elsewhere
    COMMANDS: ClassVar[set[Any]] = {caio_commands}  # which yields Textual's system commands after its own
    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority, so they work over dialogs too; a focused input still gets `q` and `?` as text.
        Binding(
            "q", "quit_or_back", "Quit", priority=True, tooltip="Quit; over a dialog or a pilot: back", id="app.quit"
        ),
        Binding(
            "ctrl+q",
            "quit_now",
            "Quit",
            show=False,
            priority=True,
            tooltip="Quit (over a dialog: close it)",
            id="app.quit_now",
        ),
        Binding("question_mark,f1", "help", "Help", priority=True, tooltip="These keys", id="app.help"),
        Binding("u", "undo", "Undo", tooltip="Undo your last change", id="app.undo"),
        Binding(
            "x",
            "export",
            "Export",
            tooltip="Export the portfolio (snapshot, CSV, Markdown, HTML briefing, OMB 2025 CSV)",
            id="app.export",
        ),
        Binding("ctrl+r", "reload", "Reload", show=False, tooltip="Reload from disk", id="app.reload"),
        Binding("i", "lint", "Lint", show=False, tooltip="Lint the inventory as an OMB 2025 submission", id="app.lint"),
        *(
            Binding(v.key, f"view('{v.id}')", v.title, show=False, tooltip=f"The {v.title} view", id=f"app.view_{v.id}")
            for v in VIEWS
        ),
        # Terminal users quit with ctrl+c; a focused input still copies with it (its own binding comes first).
        Binding("ctrl+c", "quit_now", "Quit", show=False, tooltip="Quit, as ctrl+q", id="app.quit_ctrl_c"),
    ]

    def __init__(
        self,
        path: Path,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        watch_interval: float | None = WATCH_INTERVAL_S,
        start_view: str = START_VIEW,
    ) -> None:
        super().__init__()
        self.start_view = start_view  # `caio-tui --view VIEW`
        self.settings = settings
        extra: dict[str, Any] = {} if clock is None else {"clock": clock}
        self.portfolio = Portfolio.open(path, actor=settings.actor, stalled_days=settings.stalled_days, **extra)
        self.marked: dict[str, None] = {}  # pilots marked for comparison, in the order they were marked
        self.waiting = 0  # conflicts and stage requests from office bundles, shown in the view bar
        self.views: dict[str, Screen[Any]] = {}  # the view screens made so far, by view id
        self._watch_interval = watch_interval
        self.idle_gc = IdleCollector()
        self._data_version: int | None = None
        # Undos run one at a time in key order: `u u u` undoes three changes (an exclusive worker would
        # cancel the first two presses while they wait for the store, and drop them).
        self._undo_lock = asyncio.Lock()
        self._saved_theme = settings.theme
        self._unknown_theme = settings.theme not in self.available_themes
        if settings.keymap:  # checked before the app was made (tui/keymap.py)
            self.set_keymap(settings.keymap)
        if not self._unknown_theme:
            self.theme = settings.theme
        for v in VIEWS:
            self.add_mode(v.id, lambda v=v: self._make_view(v))  # type: ignore[misc]

    # ---- views ---------------------------------------------------------------------------------------

    def _make_view(self, v: View) -> Screen[Any]:
        # A view's screen is built from the portfolio alone (see navigation.py).
        make: Callable[[Portfolio], Screen[Any]] = v.screen_class()
        screen = make(self.portfolio)
        self.views[v.id] = screen
        return screen

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self._switch(self.start_view, mask=False)  # nothing is on the terminal yet to hide
        self.chain_guard = ChainGuard(self, self.portfolio)  # a red banner while the audit trail does not verify
        if self._watch_interval:
            try:  # the first look now (a PRAGMA, well under a ms): a change made from now on is seen
                self._data_version = self.portfolio.data_version()
            except StoreError:
                self._data_version = None
            self.set_interval(self._watch_interval, self._watch)
        self.set_interval(CHECK_S, self.idle_gc.tick)

    def on_ready(self) -> None:
        """The first frame is on the terminal: what the start view does not need waits for its rows."""
        self._after_start(waited=0.0)

    def _after_start(self, waited: float) -> None:
        # The chain walk holds the portfolio's lock (tens of thousands of events: a fraction of a second),
        # so it waits for the start view's first load rather than delaying its rows.
        start_view = self.views.get(self.start_view)
        loading = start_view is None or not start_view.is_mounted  # its first load starts once it is mounted
        loading = loading or any(worker.node is start_view and not worker.is_finished for worker in self.workers)
        if loading and waited < START_WAIT_S:
            self.set_timer(0.05, lambda: self._after_start(waited + 0.05))
            return
        self.chain_guard.start()
        self.count_waiting()
        # The first screen listed pilots without pydantic; the models it left out are imported now, in the
        # background, so the first pilot opened does not wait ~110 ms for them.
        self.run_worker(self._warm_up, thread=True, group="app.warm_up", exit_on_error=False)
        if self._unknown_theme:
            self.notify(
                f"Unknown theme {self.settings.theme!r} in the config file; using {self.theme}",
                severity="warning",
                markup=False,
            )

    def _warm_up(self) -> None:
        """In a worker thread, once the first rows are shown."""
        import caio_tui.store.models  # noqa: F401 (imported for its side effect: the modules are loaded)

        self.idle_gc.start()  # what is alive now lives as long as the app (see speed.py)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.idle_gc.input_seen()
        await super().on_event(event)

    def on_unmount(self) -> None:
        self.idle_gc.stop()
        self.portfolio.close()

    def show_view(self, view_id: str) -> None:
        """Switch to a view; asking for the view already shown goes back to its first screen."""
        if self.current_mode == view_id:
            while len(self.screen_stack) > 1 and not isinstance(self.screen, ModalScreen):
                self.pop_screen()
            return
        # A view shown before is already composed: its frame can go out at once (60 -> 10 ms to the board).
        self._switch(view_id, mask=view_id not in self.views)

    def _switch(self, view_id: str, *, mask: bool) -> None:
        """Without `mask` the frame goes out at once (tui/speed.py: InstantSwitch)."""
        self.switch_mode_now(view_id, mask=mask)

    def action_view(self, view_id: str) -> None:
        self.show_view(view(view_id).id)

    def set_busy(self, busy: bool) -> None:
        """Show (or hide) the loading indicator of every view that has one, during long work."""
        for screen in self.views.values():
            set_busy = getattr(screen, "set_busy", None)
            if callable(set_busy):
                set_busy(busy)

    # ---- changes -------------------------------------------------------------------------------------

    def portfolio_changed(self, *, source: Screen[Any] | None = None, details: bool = False) -> None:
        """Tell every view (but `source`) that the store changed; with `details`, open pilot screens too."""
        self.count_waiting()
        for screen in self.views.values():
            if screen is not source and hasattr(screen, "portfolio_changed"):
                screen.portfolio_changed()
        if details:
            for screen in self._detail_screens():
                screen.reload()

    @work(exclusive=True, group="app.waiting")
    async def count_waiting(self) -> None:
        """Count what office bundles left waiting (two indexed counts) and show it in every view bar."""
        from caio_tui.store.office_queue import waiting_count
        from caio_tui.tui.widgets.view_bar import ViewBar

        try:
            self.waiting = await asyncio.to_thread(waiting_count, self.portfolio)
        except StoreError:
            return
        for screen in self.views.values():
            for bar in screen.query(ViewBar):
                bar.show_waiting(self.waiting)

    def _detail_screens(self) -> Iterator[PilotDetailScreen]:
        """The pilot screens open on the current view. Until the detail module is imported (the first
        pilot opened), there are none: looking must not import it."""
        detail = imported(DETAIL_MODULE)
        if detail is None:
            return
        for screen in self.screen_stack:
            if isinstance(screen, detail.PilotDetailScreen):
                yield screen

    def on_pilot_detail_screen_changed(self, _message: PilotDetailScreen.Changed) -> None:
        self.portfolio_changed()

    def action_undo(self) -> None:
        if isinstance(self.screen, ModalScreen):
            return  # keys wait while a dialog is open (u reached the app under a gate dialog)
        self._undo()

    @work(group="app.undo")
    async def _undo(self) -> None:
        async with self._undo_lock:
            await self._undo_one()

    async def _undo_one(self) -> None:
        try:
            target = await asyncio.to_thread(self.portfolio.next_undo)
            expected = None
            if target is not None and target.action in WHOLE_STEPS:
                # One key would revert a whole import or rules load (a demo's whole sample): ask first.
                from caio_tui.tui.dialogs.questions import ConfirmScreen

                question = f"Undo the whole {WHOLE_STEPS[target.action]}?"
                if not await self.push_screen_wait(ConfirmScreen(question, printable(target.summary()))):
                    return
                expected = target.id
            event = await asyncio.to_thread(self.portfolio.undo, expected)
        except StoreError as exc:
            self.notify(str(exc), title="Nothing was undone", severity="error", markup=False)
            return
        if event is None:
            self.notify("Nothing to undo", markup=False)
            return
        self.notify(undone_message(event), markup=False)
        self.portfolio_changed(details=True)

    def action_reload(self) -> None:
        self.portfolio_changed(details=True)
        self.notify("Reloaded from disk")

    @work(exclusive=True, group="app.watch")
    async def _watch(self) -> None:
        """Another program (the CLI, a second window) committed a change: show it."""
        try:
            version = await asyncio.to_thread(self.portfolio.data_version)
        except StoreError:
            return
        if self._data_version is not None and version != self._data_version:
            self.portfolio_changed(details=True)
            self.chain_guard.check()
        self._data_version = version

    # ---- keys that work anywhere ---------------------------------------------------------------------

    def action_help(self) -> None:
        from caio_tui.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
        else:
            self.push_screen(HelpScreen())

    def action_export(self) -> None:
        """x: the export dialog (snapshot, CSV, Markdown, HTML briefing, OMB 2025 CSV)."""
        from caio_tui.tui.palette import open_export_dialog

        open_export_dialog(self)

    def action_lint(self) -> None:
        """i: the inventory lint (tui/screens/lint.py)."""
        from caio_tui.tui.palette import open_lint

        open_lint(self)

    def action_quit_or_back(self) -> None:
        """q: close a dialog, leave a screen opened over a view (a pilot, help), or quit from a view."""
        if len(self.screen_stack) > 1:
            self._back()
        else:
            self._quit()

    def action_quit_now(self) -> None:
        """ctrl+q, ctrl+c: quit from anywhere but a dialog, which it closes."""
        if isinstance(self.screen, ModalScreen):
            self._back()
        else:
            self._quit()

    def running_work(self) -> str | None:
        """The long work under way (an import, an export, a sample load) that quitting would cut short."""
        for worker in self.workers:
            if not worker.is_finished and worker.group in LONG_WORK:
                return LONG_WORK[worker.group]
        return None

    @work(exclusive=True, group="app.quit")
    async def _quit(self) -> None:
        """Quit; while long work runs, only once the user says so (what it has not committed is lost)."""
        work_running = self.running_work()
        if work_running is not None:
            from caio_tui.tui.dialogs.questions import ConfirmScreen

            question = f"Quit while {work_running} is running?"
            detail = "It stops where it is: nothing of it is written (it commits all at once or not at all)."
            if not await self.push_screen_wait(ConfirmScreen(question, detail)):
                return
        self.exit()

    def _back(self) -> None:
        # The screen's own way back, so a dialog's caller hears that it was cancelled.
        screen = self.screen
        for name in ("action_cancel", "action_back", "action_close"):
            leave = getattr(screen, name, None)
            if callable(leave):
                leave()
                return
        screen.dismiss()

    # ---- theme ---------------------------------------------------------------------------------------

    def _remember_theme(self, theme: Theme) -> None:
        if theme.name == self._saved_theme:
            return
        try:
            save_setting("theme", theme.name)
        except OSError as exc:
            self.notify(f"The theme could not be remembered: {exc}", severity="warning", markup=False)
            return
        self._saved_theme = theme.name


__all__ = ["CaioApp", "undone_message"]
