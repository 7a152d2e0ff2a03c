"""The filter line of a pilot view: an input for free text and tokens, the reason under it when a token is
wrong, a hint while typing, and the pace of the queries it asks for.

A view yields one `FilterBar` and answers its messages:

- `FilterBar.Applied` (a new filter to show): start the load, and tell the bar when the load is over with
  `release()` (call `hold()` when a load starts for another reason, e.g. a sort, so typing waits for it);
- `FilterBar.Done` (enter or down with a valid filter) and `FilterBar.Cleared` (escape): focus the results.

Typing queries at once when no load is running; while one is, only the latest text waits, and it is
applied when the load is released. So a slow query never queues up one query per keystroke, and a quick
one is never delayed by a fixed pause. A wrong token is said under the input after a short pause (not at
every keystroke of `stage:pi…`), or at once on enter.

The bar puts its state on its screen as classes, so the screen's CSS can lay out around it: `-filtering`
(the input has the focus), `-filtered` (a filter is applied), `-filter-error` (the reason shows).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Label, Static

from caio_tui.domain.filters import TOKENS, FilterVocabulary, Misspelt, PilotFilter, parse_filter, take_near
from caio_tui.domain.text import clip, printable

ERROR_AFTER_S = 0.15  # a wrong token is said once typing pauses this long (or at once on enter)
BURST_S = 0.01  # keys this close together (a paste, key repeat, a fast burst) make one query
PLACEHOLDER = "text, stage:pilot,poc, blocker:TAG, category:identity, -stalled, ready, … (? for the grammar)"
HINT = (
    "enter: results · esc: clear · a,b either · -x not · stage: blocker: category: territory: office: "
    "stalled high-impact stale below-gate ready"
)
# The grammar as the help screen and the README list it: (what is typed, what it keeps).
GRAMMAR = (
    ("words", 'pilots whose id, name, office or owner contain every word ("in quotes": a phrase)'),
    ("stage:pilot", 'at that stage (an id or a label: stage:"Proof of concept")'),
    ("blocker:TAG", "with that blocker open (tag: too)"),
    ("category:NAME", "with an open blocker of that category: identity, infrastructure, governance, organizational"),
    ("territory:NAME", "in that territory: clear, infrastructure, organizational, both, unassessed"),
    ("office:NAME", "whose office contains NAME"),
    ("stalled", "in pilot or readiness past the stalled threshold (stalled_days)"),
    ("high-impact", "high-impact use cases"),
    ("stale", "whose last gate approval is stale"),
    ("below-gate", "standing at a stage whose gates they would fail today"),
    ("ready", "passing the gate into their next stage today"),
    ("waiting", "with an office's conflict or stage request waiting (after a merge: key 8)"),
    ("a,b", "either value: blocker:a,b  stage:pilot,readiness (tokens: all must hold)"),
    ("-token", "not: -blocker:skills-gap  -stalled  -category:identity"),
    ("a typo", "is an error with a 'did you mean' (stalld, blocker:shared-service-acount)"),
)

__all__ = [
    "BURST_S",
    "ERROR_AFTER_S",
    "GRAMMAR",
    "HINT",
    "PLACEHOLDER",
    "FilterBar",
    "FilterInput",
    "typed_so_far",
]

_TOKEN_KEYS = frozenset(token for token in (*TOKENS, "tag:") if token.endswith(":"))


def typed_so_far(text: str) -> str:
    """`text` without what is still being typed at its end: a token key waiting for its value (`stage:`)
    is the start of a token, not words to search for; and a lone first letter of a word matches most
    pilots (the slowest search there is) while saying little, so the search waits for a second one."""
    head, _, last = text.rpartition(" ")
    return head if last.lower().removeprefix("-") in _TOKEN_KEYS or len(last) == 1 else text


class FilterInput(Input):
    """The filter line: free text and tokens, applied as you type. (A view that wants other key names in
    its footer or help subclasses it with its own BINDINGS.)"""

    class Done(Message):
        """enter or down: apply now and go to the results."""

    class Cleared(Message):
        """escape: clear the filter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter", "done", "Results", tooltip="Apply the filter and go to the results", id="portfolio.filter.results"
        ),
        Binding(
            "down",
            "done",
            "Results",
            show=False,
            tooltip="Apply the filter and go to the results",
            id="portfolio.filter.down",
        ),
        Binding("escape", "clear", "Clear", tooltip="Clear the filter", id="portfolio.filter.clear"),
        Binding(
            "tab",
            "take_near",
            "Take it",
            show=False,
            tooltip="Take the 'did you mean' (else: the next field)",
            id="portfolio.filter.take",
        ),
    ]

    def action_take_near(self) -> None:
        # Only while a "did you mean" shows; else tab moves the focus on, as everywhere.
        if not self.query_ancestor(FilterBar).take_near():
            raise SkipAction()

    def action_done(self) -> None:
        self.post_message(self.Done())

    def action_clear(self) -> None:
        self.post_message(self.Cleared())


class FilterBar(Vertical):
    """The filter input with its error and hint lines, parsing what is typed and pacing the queries.

    `prefix` names the parts, so a screen's CSS and tests can reach them: the bar is `#{prefix}-area`, the
    input `#{prefix}`, the reason `#{prefix}-error`, the hint `#{prefix}-hint`. With `on_applied`, a new
    filter calls it directly instead of posting `Applied` (a few ms sooner after a burst of keys).
    """

    # Unscoped: the rules below start from the Screen's classes, which scoped CSS (every selector put under
    # FilterBar) could never match.
    SCOPED_CSS = False

    DEFAULT_CSS = """
    FilterBar {
        display: none;
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    Screen.-filtering FilterBar, Screen.-filtered FilterBar { display: block; }
    FilterBar > .filter-bar--line { height: 1; }
    FilterBar .filter-bar--label { color: $text-accent; text-style: bold; }
    FilterBar .filter-bar--input { width: 1fr; }
    FilterBar > .filter-bar--error, FilterBar > .filter-bar--hint {
        display: none;
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    /* Two lines: a "did you mean" and its "tab: take it" must not be cut at 80 columns. */
    FilterBar > .filter-bar--error {
        color: $text-error;
        height: auto;
        max-height: 2;
        text-wrap: wrap;
        text-overflow: clip;
    }
    FilterBar > .filter-bar--hint { color: $text-muted; }
    Screen.-filter-error FilterBar > .filter-bar--error { display: block; }
    Screen.-filtering FilterBar > .filter-bar--hint { display: block; }
    Screen.-filtering.-filter-error FilterBar > .filter-bar--hint { display: none; }
    """

    class Applied(Message):
        """A new filter to show. `cleared`: escape cleared it (a view may keep its cursor's pilot then)."""

        def __init__(self, bar: FilterBar, pilot_filter: PilotFilter, text: str, *, cleared: bool = False) -> None:
            super().__init__()
            self.bar = bar
            self.filter = pilot_filter
            self.text = text
            self.cleared = cleared

        @property
        def control(self) -> FilterBar:
            return self.bar

    class _BarMessage(Message):
        def __init__(self, bar: FilterBar) -> None:
            super().__init__()
            self.bar = bar

        @property
        def control(self) -> FilterBar:
            return self.bar

    class Done(_BarMessage):
        """enter or down with a valid filter: the filter line closed, go to the results."""

    class Cleared(_BarMessage):
        """escape: the filter line is empty and closed, go to the results."""

    def __init__(
        self,
        *,
        prefix: str = "filter",
        hint: str = HINT,
        placeholder: str = PLACEHOLDER,
        input_type: type[FilterInput] = FilterInput,
        on_applied: Callable[[FilterBar.Applied], None] | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=f"{prefix}-area", classes=classes)
        self.prefix = prefix
        self._hint = hint
        self._placeholder = placeholder
        self._input_type = input_type
        self._on_applied = on_applied
        self.applied_text = ""  # the text of the filter shown now
        self.applied = PilotFilter()
        self._holding = False  # a load is running: typing waits for it
        self._pending: tuple[PilotFilter, str, bool] | None = None  # the latest text waiting for it
        self._error_timer: Timer | None = None
        self._burst_timer: Timer | None = None
        self._near: Misspelt | None = None  # the "did you mean" the error line shows, taken with tab
        self.burst_s = BURST_S

    def compose(self) -> ComposeResult:
        with Horizontal(id=f"{self.prefix}-bar", classes="filter-bar--line"):
            yield Label("Filter ", id=f"{self.prefix}-label", classes="filter-bar--label")
            yield self._input_type(
                placeholder=self._placeholder,
                id=self.prefix,
                classes="filter-bar--input",
                compact=True,
                select_on_focus=False,
            )
        yield Static("", id=f"{self.prefix}-error", classes="filter-bar--error")
        yield Static(self._hint, id=f"{self.prefix}-hint", classes="filter-bar--hint")

    # ---- what the view asks --------------------------------------------------------------------------

    @property
    def input(self) -> FilterInput:
        return self.query_one(f"#{self.prefix}", FilterInput)

    @property
    def is_open(self) -> bool:
        """The user is typing in the filter line."""
        return self.screen.has_class("-filtering")

    @property
    def is_filtered(self) -> bool:
        return bool(self.applied_text.strip())

    def open(self) -> None:
        """Show the filter line and put the focus in it."""
        self.screen.add_class("-filtering")
        self.input.focus()

    def close(self) -> None:
        self.screen.remove_class("-filtering")

    def clear(self) -> None:
        """Empty the input and apply the empty filter (at once, or after the running load)."""
        field = self.input
        with field.prevent(Input.Changed):
            field.value = ""
        self._submit("", now=True, cleared=True)
        self.close()

    def hold(self) -> None:
        """A load is running: keep the next texts until `release()`."""
        self._holding = True

    def release(self) -> bool:
        """The load is over: apply the latest text typed meanwhile, if any. True when that posted a new
        filter (the view may then skip showing the result it just read: the next load replaces it)."""
        self._holding = False
        if self._pending is None:
            return False
        pilot_filter, text, cleared = self._pending
        self._pending = None
        return self._post_applied(pilot_filter, text, cleared)

    # ---- typing --------------------------------------------------------------------------------------

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._burst_timer is not None:
            self._burst_timer.stop()
            self._burst_timer = None
        text = typed_so_far(event.value)
        if self.burst_s <= 0 or self._holding:
            self._submit(text, now=False)  # (while a load runs, the text waits for it anyway)
        else:
            # Not at once: the first key of a burst would start a query for a one-letter prefix (the
            # slowest kind), and the burst's last text would wait for it.
            self._burst_timer = self.set_timer(self.burst_s, lambda: self._typed_burst(text))

    def _typed_burst(self, text: str) -> None:
        self._burst_timer = None
        self._submit(text, now=False)

    @on(FilterInput.Done)
    def _done(self, event: FilterInput.Done) -> None:
        event.stop()
        if self._submit(self.input.value, now=True):
            self.close()
            self.post_message(self.Done(self))

    @on(FilterInput.Cleared)
    def _cleared(self, event: FilterInput.Cleared) -> None:
        event.stop()
        self.clear()
        self.post_message(self.Cleared(self))

    def _submit(self, text: str, *, now: bool, cleared: bool = False) -> bool:
        """Parse `text` and apply it (coalesced with a running load); False when a token is wrong, whose
        reason shows at once with `now`, else after a pause in the typing."""
        if now and self._burst_timer is not None:
            self._burst_timer.stop()
            self._burst_timer = None
        self._stop_error_timer()
        try:
            pilot_filter = parse_filter(text, self._vocabulary(text))
        except ValueError as exc:
            self._pending = None  # the user moved past the last valid text: do not load it
            near = exc if isinstance(exc, Misspelt) and take_near(text, exc) is not None else None
            reason = clip(printable(f"{near.head} tab: take it{near.tail}" if near else str(exc)), 200)
            if now:
                self._show_error(reason, near)
            else:
                self._error_timer = self.set_timer(ERROR_AFTER_S, lambda: self._show_error(reason, near))
            return False
        self._show_error("")
        if self._holding:
            self._pending = (pilot_filter, text, cleared)
        else:
            self._post_applied(pilot_filter, text, cleared)
        return True

    def _vocabulary(self, text: str) -> FilterVocabulary | None:
        """The portfolio's tags (and its offices, only when an office is named: reading them walks an index
        of every pilot), remembered by the store until the next write; None outside the app."""
        portfolio = getattr(self.app, "portfolio", None)
        if portfolio is None:
            return None
        words: FilterVocabulary = portfolio.filter_vocabulary(offices="office:" in text.lower())
        return words

    def _post_applied(self, pilot_filter: PilotFilter, text: str, cleared: bool) -> bool:
        self.applied_text = text
        self.screen.set_class(bool(text.strip()), "-filtered")
        if pilot_filter == self.applied:
            return False
        self.applied = pilot_filter
        self._holding = True  # until the view releases the load this starts
        applied = self.Applied(self, pilot_filter, text, cleared=cleared)
        if self._on_applied is not None:
            # Called at once: the message would queue behind what the burst of keys left for the screen.
            self._on_applied(applied)
        else:
            self.post_message(applied)
        return True

    def take_near(self) -> bool:
        """Replace the misspelt value in the input with the one the error line suggests, and apply the
        filter; False when no suggestion shows."""
        if self._near is None or not self.screen.has_class("-filter-error"):
            return False
        corrected = take_near(self.input.value, self._near)
        if corrected is None:
            return False
        field = self.input
        with field.prevent(Input.Changed):
            field.value = corrected
        field.cursor_position = len(corrected)
        self._submit(corrected, now=True)
        return True

    def _show_error(self, reason: str, near: Misspelt | None = None) -> None:
        self._near = near if reason else None
        self._error_timer = None
        self.query_one(f"#{self.prefix}-error", Static).update(Content(reason))
        self.screen.set_class(bool(reason), "-filter-error")

    def _stop_error_timer(self) -> None:
        if self._error_timer is not None:
            self._error_timer.stop()
            self._error_timer = None
