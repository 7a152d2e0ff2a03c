"""The pane under the Conflicts view's lists: the highlighted row of the focused list in full, since the
list's cells are cut. A conflict shows its three values side by side (base / CAIO / office), each
labelled and wrapped; a stage request shows the office, the move it asks and the office's own words for it.
User text is shown as typed (Content, never markup)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Static

from caio_tui.domain.office_values import describe, office_named, stage_title
from caio_tui.domain.text import printable
from caio_tui.tui.styles.content import MUTED, user_text

if TYPE_CHECKING:
    from caio_tui.store.office_queue import WaitingConflict, WaitingRequest

SIDES = (("base", "Base (as sent)"), ("caio", "CAIO's"), ("office", "Office's"))


def request_text(request: WaitingRequest) -> Content:
    """A request in full: who asks for what, in the office's own words, and the move."""
    named = office_named(request.office_name)
    parts: list[Content | str | tuple[str, str]] = [
        named[0].upper(),
        user_text(named[1:]),
        " asks to move ",
        (printable(request.pilot_id), "bold"),
        " to ",
        (stage_title(request.requested), "bold"),
    ]
    if request.note:
        parts += [": ‘", user_text(request.note), "’"]
    name = f"{request.pilot_name} · " if request.pilot_name else ""
    move = f"{stage_title(request.current)} → {stage_title(request.requested)}"
    parts += ["\n", (printable(name) + move, MUTED)]
    return Content.assemble(*parts)


class ConflictPane(Vertical):
    """Shows one conflict (`show_conflict`), one request (`show_request`), or nothing (`clear`)."""

    DEFAULT_CSS = """
    ConflictPane {
        height: auto;
        max-height: 8;
        padding: 0 1;
        border-top: solid $panel;
    }
    ConflictPane #pane-sides {
        height: auto;
    }
    ConflictPane .pane-side {
        width: 1fr;
        height: auto;
        padding-right: 1;
    }
    ConflictPane #pane-what {
        height: auto;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="pane-what")
        with Horizontal(id="pane-sides"):
            for key, _ in SIDES:
                yield Static("", id=f"pane-{key}", classes="pane-side")

    def show_conflict(self, conflict: WaitingConflict) -> None:
        title = Content.assemble(
            user_text(f"{conflict.pilot_id} {conflict.pilot_name}".strip()),
            (" · ", MUTED),
            user_text(str(conflict.key)),
            (" · ", MUTED),
            user_text(office_named(conflict.office_name)),
        )
        self.query_one("#pane-what", Static).update(title)
        values = {"base": conflict.base, "caio": conflict.caio, "office": conflict.office}
        for key, label in SIDES:
            text = Content.assemble((label, "bold"), "\n", user_text(describe(conflict.kind, values[key])))
            self.query_one(f"#pane-{key}", Static).update(text)
        self.query_one("#pane-sides").display = True

    def show_request(self, request: WaitingRequest) -> None:
        self.query_one("#pane-what", Static).update(request_text(request))
        self.query_one("#pane-sides").display = False

    def clear(self) -> None:
        self.query_one("#pane-what", Static).update("")
        self.query_one("#pane-sides").display = False

    def shown_text(self) -> str:
        """What the pane says, as plain text (for tests and the help of a screen reader)."""
        parts = [str(self.query_one("#pane-what", Static).content)]
        if self.query_one("#pane-sides").display:
            parts += [str(self.query_one(f"#pane-{key}", Static).content) for key, _ in SIDES]
        return "\n".join(parts)


__all__ = ["ConflictPane", "request_text"]
