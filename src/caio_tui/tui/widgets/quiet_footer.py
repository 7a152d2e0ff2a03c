"""A Footer that rebuilds its keys only when what they show has changed.

Textual's Footer (8.2.8) recomposes, removing and mounting every key widget, on each refresh of the
screen's bindings: every focus change and every return to a screen, even when the keys shown are the same.
Each rebuild costs tens of milliseconds, and the several a view switch sets off run before the frame that
shows the view, so they sat between a view key and its frame. This one remembers what its keys were drawn
from (key, the key as shown, label, action, enabled, tooltip, group) and skips a rebuild that would draw
the same; a change (a key enabled or disabled, another screen's keys) still rebuilds.

It also shows only the keys that fit, the keys that matter first: Textual's footer lets keys run on under
the command palette key, which left pieces of words beside it at 80 columns, and it dropped `> Promote`,
`r Resolve` and `u Undo` there. A screen names the actions it wants first (`FOOTER_FIRST`, e.g. promote,
resolve, undo); its other keys follow in their order, then the app-wide ones (undo, help, quit, export);
keys are dropped from the end. The help screen (`?`) lists every key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input
from textual.widgets._footer import FooterKey

# The app-wide keys in the footer, after the screen's own: the ones a user reaches for first, first.
APP_ORDER = ("undo", "help", "quit_or_back", "export")

Shown = tuple[tuple[str, str, str, str, bool, str, str], ...]


class QuietFooter(Footer):
    """Footer, without the rebuilds that would change nothing."""

    def __init__(self, *, compact: bool = False) -> None:
        super().__init__(compact=compact)
        self._shown: Shown | None = None  # what the keys were last composed from

    def shown_keys(self) -> Shown:
        """What the keys are drawn from, as Footer.compose reads it (the command palette key included)."""
        found = []
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show or binding.action == "command_palette":
                group = binding.group.description if binding.group is not None else ""
                display = self.app.get_key_display(binding)
                found.append((binding.key, display, binding.description, binding.action, enabled, tooltip, group))
        found.append(("", "", "", "", False, "", str(self.app.size.width)))  # the width they were fitted to
        return tuple(found)

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        palette = [w for w in widgets if w.has_class("-command-palette")]
        room = self.app.size.width - sum(self._width(w) for w in palette)
        kept: list[Widget] = []
        keys = [w for w in widgets if not w.has_class("-command-palette")]
        for widget in sorted(keys, key=self._rank()):
            room -= self._width(widget)
            if room < 0:
                break
            kept.append(widget)
        self.styles.grid_size_columns = len(kept)
        yield from kept
        yield from palette

    def _rank(self) -> Callable[[Widget], int]:
        """Where a key goes in the footer: the screen's FOOTER_FIRST in its order, then the screen's other
        keys (a stable sort keeps their order), then the app-wide ones in APP_ORDER."""
        first: tuple[str, ...] = getattr(self.screen, "FOOTER_FIRST", ())
        app_actions = {b.action for node, b, _e, _t in self.screen.active_bindings.values() if node is self.app}

        typing = {b.action for node, b, _e, _t in self.screen.active_bindings.values() if isinstance(node, Input)}

        def rank(widget: Widget) -> int:
            action = getattr(widget, "action", "")
            if action in typing:  # a line being typed in (the filter): its own keys are what matter now
                return -1
            if action in first:
                return first.index(action)
            if action in app_actions:
                return 2000 + (APP_ORDER.index(action) if action in APP_ORDER else len(APP_ORDER))
            return 1000

        return rank

    def _width(self, widget: Widget) -> int:
        """The cells a key takes in the footer (key, description and their padding)."""
        if not isinstance(widget, FooterKey):
            return 12  # a group of keys: rare here, counted roughly
        # As drawn by Textual 8.2: two cells around a compact key, four around a full one; the palette key
        # has its own bar and margin.
        padding = 2 if self.compact else 4
        if widget.has_class("-command-palette"):
            padding += 2
        return cell_len(widget.key_display) + cell_len(widget.description) + padding

    def on_resize(self) -> None:
        self.call_after_refresh(self._recompose_if_changed)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if not self.is_attached:
            return
        shown = self.shown_keys()
        if shown == self._shown:
            return
        self._shown = shown
        await self.recompose()


__all__ = ["QuietFooter"]
