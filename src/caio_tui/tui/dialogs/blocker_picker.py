"""The blocker picker: choose a tag (built-in or custom) for a pilot, filtered as you type, with a note.

Typing text that names no tag offers to create it: the new tag needs a category (identity,
infrastructure, governance or organizational), since the category decides the pilot's territory.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from caio_tui.domain.blockers import BlockerTag
from caio_tui.domain.territory import BlockerCategory
from caio_tui.domain.text import printable
from caio_tui.store import Portfolio, StoreError
from caio_tui.tui.dialogs.base import Dialog
from caio_tui.tui.styles.content import MUTED, category_style

CREATE_ID = "create"
_TAG_PREFIX = "tag:"
_CATEGORIES: tuple[BlockerCategory, ...] = tuple(BlockerCategory)
_CATEGORY_HELP: dict[BlockerCategory, str] = {
    BlockerCategory.IDENTITY: "accounts, credentials, provisioning",
    BlockerCategory.INFRASTRUCTURE: "logging, data agreements, ATO, architecture",
    BlockerCategory.GOVERNANCE: "approval, policy, oversight",
    BlockerCategory.ORGANIZATIONAL: "people, sponsorship, budget, adoption",
}


def ask_blocker(screen: Screen[Any], portfolio: Portfolio, pilot_id: str, opened: Callable[[], None]) -> None:
    """Open a blocker on the pilot through the picker; once one is opened, say so and run `opened()`."""

    def done(tag: str | None) -> None:
        if tag:
            screen.notify(f"{pilot_id}: blocker {tag} opened", markup=False)
            opened()

    screen.app.push_screen(BlockerPicker(portfolio, pilot_id), done)


def slug(text: str) -> str:
    """The tag a typed text would create: lower case, words joined by dashes, at most 48 characters."""
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")[:48].rstrip("-")


def matches(tag: BlockerTag, query: str) -> bool:
    """Every typed word appears in the tag, its category, its areas or its description."""
    haystack = " ".join((tag.tag, tag.category.value, *tag.areas, tag.description)).lower()
    return all(word in haystack for word in query.lower().split())


class BlockerPicker(Dialog[str | None]):
    """Opens a blocker on pilot_id; dismisses with the tag applied, or None when cancelled."""

    DEFAULT_CSS = """
    BlockerPicker > #picker-dialog {
        width: 84;
    }
    BlockerPicker #picker-heading {
        text-style: bold;
        margin-bottom: 1;
    }
    BlockerPicker #picker-tags {
        height: auto;
        max-height: 50vh;
        min-height: 3;
        border: none;
        background: $boost;
        margin-top: 1;
    }
    BlockerPicker #picker-about {
        color: $text-muted;
        height: auto;
        min-height: 1;
        margin-bottom: 1;
    }
    BlockerPicker OptionList > .option-list--option-highlighted {
        /* A lighter cursor than the default, so the status and category colours stay legible on it. */
        background: $primary 40%;
        color: $foreground;
    }
    BlockerPicker Input {
        background: $foreground 7%;
    }
    BlockerPicker .modal-field-label {
        color: $text-muted;
    }
    BlockerPicker #picker-categories, BlockerPicker #picker-category-label {
        display: none;
    }
    BlockerPicker.-choosing-category #picker-categories, BlockerPicker.-choosing-category #picker-category-label {
        display: block;
    }
    BlockerPicker.-choosing-category #picker-categories {
        height: auto;
    }
    BlockerPicker #picker-error {
        color: $text-error;
        height: auto;
    }
    BlockerPicker #picker-hints {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "apply", "Apply", id="blocker_picker.apply"),
        Binding("escape", "cancel", "Cancel", id="blocker_picker.cancel"),
        Binding("up", "move(-1)", "Previous tag", show=False, id="blocker_picker.up"),
        Binding("down", "move(1)", "Next tag", show=False, id="blocker_picker.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="blocker_picker.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="blocker_picker.page_down"),
        *(
            Binding(str(n), f"category({n - 1})", category.value, show=False, id=f"blocker_picker.category_{n}")
            for n, category in enumerate(_CATEGORIES, start=1)
        ),
    ]

    def __init__(self, portfolio: Portfolio, pilot_id: str) -> None:
        super().__init__()
        self.portfolio = portfolio
        self.pilot_id = pilot_id
        self._tags: list[BlockerTag] = []
        self._open: set[str] = set()
        self._pilot_name = ""
        self._applying = False

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-dialog", classes="dialog-frame"):
            yield Static("", id="picker-heading")
            yield Input(placeholder="type to filter tags, or a new tag's name", id="picker-filter", compact=True)
            yield _TagList(id="picker-tags", markup=False)
            yield Static("", id="picker-about")
            yield Label("Note (optional): what exactly blocks it", classes="modal-field-label")
            yield Input(placeholder="e.g. runs as svc-app, a shared account", id="picker-note", compact=True)
            yield Label("", id="picker-category-label")
            yield OptionList(
                *[
                    Option(
                        Content.assemble(
                            (f"{n} ", "bold"),
                            (c.value.ljust(16), category_style(c)),
                            (_CATEGORY_HELP[c], MUTED),
                        ),
                        id=c.value,
                    )
                    for n, c in enumerate(_CATEGORIES, start=1)
                ],
                id="picker-categories",
                markup=False,
            )
            yield Static("", id="picker-error")
            yield Static("", id="picker-hints")
        yield Footer()

    def on_mount(self) -> None:
        self._load()
        self.query_one("#picker-filter", Input).focus()

    def _load(self) -> None:
        try:
            record = self.portfolio.record(self.pilot_id)
            self._tags = self.portfolio.tags()
        except StoreError as exc:
            self._show_error(str(exc))
            return
        self._open = {b.tag for b in record.open_blockers}
        self._pilot_name = record.pilot.name
        self.query_one("#picker-heading", Static).update(
            Content.assemble("Add a blocker to ", (self.pilot_id, "bold"), " ", Content(printable(self._pilot_name)))
        )
        self._rebuild(self.query_one("#picker-filter", Input).value)
        self._update_hints()

    # ---- the tag list ----------------------------------------------------------------------------------

    @property
    def query_text(self) -> str:
        return self.query_one("#picker-filter", Input).value

    def _rebuild(self, query: str) -> None:
        tags = self.query_one("#picker-tags", OptionList)
        shown = [t for t in self._tags if matches(t, query)]
        options = [Option(self._tag_prompt(t), id=_TAG_PREFIX + t.tag, disabled=t.tag in self._open) for t in shown]
        new = slug(query)
        if new and all(t.tag != new for t in self._tags):
            create = Content.assemble(("+ Create tag ", "$text-success"), (f"'{new}'", "bold"), "…")
            options.append(Option(create, id=CREATE_ID))
        if not options:
            options.append(Option(Content("No tag matches."), disabled=True))
        tags.set_options(options)
        first = next((i for i, o in enumerate(options) if not o.disabled), None)
        tags.highlighted = first
        self._describe()

    def _tag_prompt(self, tag: BlockerTag) -> Content:
        is_open = tag.tag in self._open
        areas = ", ".join(tag.areas) if tag.areas else "—"
        width = max((len(t.tag) for t in self._tags), default=0) + 2
        return Content.assemble(
            (tag.tag.ljust(width), "" if is_open else "bold"),
            (tag.category.value.ljust(16), category_style(tag.category)),
            (areas, MUTED),
            ("  (open)" if is_open else "", "$text-warning"),
            ("  custom" if not tag.builtin else "", "$text-accent"),
        )

    def _describe(self) -> None:
        """A line about the highlighted tag: its description, or what creating it does."""
        option = self.query_one("#picker-tags", OptionList).highlighted_option
        text = Content("")
        if option is not None and option.id == CREATE_ID:
            text = Content(f"A new custom tag '{slug(self.query_text)}': you choose its category next.")
        elif option is not None and option.id:
            tag = self._tag(option.id.removeprefix(_TAG_PREFIX))
            if tag is not None:
                text = Content(printable(tag.description) or "(no description)")
        self.query_one("#picker-about", Static).update(text)

    def _tag(self, name: str) -> BlockerTag | None:
        return next((t for t in self._tags if t.tag == name), None)

    @on(Input.Changed, "#picker-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._show_error("")
        self._rebuild(event.value)

    @on(OptionList.OptionHighlighted, "#picker-tags")
    def _highlighted(self) -> None:
        self._describe()

    def action_move(self, step: int) -> None:
        tags = self.query_one("#picker-tags", OptionList)
        tags.action_cursor_down() if step > 0 else tags.action_cursor_up()

    def action_page(self, step: int) -> None:
        tags = self.query_one("#picker-tags", OptionList)
        # OptionList's page actions lack annotations.
        tags.action_page_down() if step > 0 else tags.action_page_up()  # type: ignore[no-untyped-call]

    # ---- applying --------------------------------------------------------------------------------------

    @property
    def choosing_category(self) -> bool:
        return self.has_class("-choosing-category")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "category":
            return self.choosing_category
        if action in ("move", "page"):
            return not self.choosing_category
        return True

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_apply()

    @on(OptionList.OptionSelected, "#picker-tags")
    def _clicked(self) -> None:
        self.action_apply()

    @on(OptionList.OptionSelected, "#picker-categories")
    def _category_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_category(event.option_index)

    def action_apply(self) -> None:
        if self.choosing_category:
            categories = self.query_one("#picker-categories", OptionList)
            if categories.highlighted is not None:
                self.action_category(categories.highlighted)
            return
        option = self.query_one("#picker-tags", OptionList).highlighted_option
        if option is None or option.disabled or not option.id:
            self._show_error("No tag highlighted: type to filter, ↑/↓ to choose.")
            return
        if option.id == CREATE_ID:
            self._choose_category()
            return
        self._apply(option.id.removeprefix(_TAG_PREFIX), None)

    def _choose_category(self) -> None:
        self.add_class("-choosing-category")
        self.query_one("#picker-category-label", Label).update(
            Content.assemble("Category of the new tag ", (f"'{slug(self.query_text)}'", "bold"), " (1-4 or ↑/↓ enter):")
        )
        categories = self.query_one("#picker-categories", OptionList)
        categories.highlighted = 0
        categories.focus()
        self._update_hints()
        self.refresh_bindings()

    def action_category(self, index: int) -> None:
        if self.choosing_category:
            self._apply(slug(self.query_text), _CATEGORIES[index])

    def _apply(self, tag: str, new_category: BlockerCategory | None) -> None:
        if self._applying:
            return
        self._applying = True
        self._open_blocker(tag, new_category, self.query_one("#picker-note", Input).value.strip())

    @work(group="blocker_picker.apply")
    async def _open_blocker(self, tag: str, new_category: BlockerCategory | None, note: str) -> None:
        # A write waits on the file lock when another program writes: keep it off the event loop.
        try:
            if new_category is not None:
                await asyncio.to_thread(self.portfolio.create_tag, tag, new_category)
            await asyncio.to_thread(self.portfolio.open_blocker, self.pilot_id, tag, note=note)
        except (StoreError, ValueError) as exc:
            # ValueError: the tag name fails the tag rules (pydantic's ValidationError is one).
            self._applying = False
            self._leave_category()
            self._load()
            self._show_error(_one_line(exc))
            return
        self.dismiss(tag)

    # ---- leaving ---------------------------------------------------------------------------------------

    def _leave_category(self) -> None:
        self.remove_class("-choosing-category")
        self.query_one("#picker-filter", Input).focus()
        self._update_hints()
        self.refresh_bindings()

    def action_cancel(self) -> None:
        if self.choosing_category:
            self._leave_category()
            return
        self.dismiss(None)

    def _show_error(self, message: str) -> None:
        self.query_one("#picker-error", Static).update(Content(message))

    def _update_hints(self) -> None:
        if self.choosing_category:
            text = "1-4 or ↑/↓ + enter choose the category · escape back to the tags"
        else:
            text = "type to filter · ↑/↓ choose · tab note · enter apply · escape cancel"
        self.query_one("#picker-hints", Static).update(text)


class _TagList(OptionList):
    """The tag list follows the filter field: arrows move it from there, so tab skips it (filter ⇄ note)."""

    can_focus = False


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
