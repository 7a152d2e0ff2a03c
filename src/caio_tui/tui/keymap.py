"""The keys a user can change: the config file's `[keymap]` checked against every screen's bindings (the
help screen's list, screens/help.py) before the app takes the screen.

A keymap maps binding ids (`app.undo`, `portfolio.promote`; docs/keys.md lists them all) to keys, and
Textual's `App.set_keymap` applies it to every screen. A keymap is refused in one line, like any bad
setting, when it names an id no binding has, or when it gives a key that another binding of the same
screen also answers to (the screen's own keys, its lists' and the app-wide ones): one key, one action.
Overlaps that come with the default keys (escape that closes and clears) are the app's design, not the
user's, so only a key the keymap gives is checked.

Importing this module imports every screen: only a non-empty keymap and the help screen do.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

from textual.app import App

from caio_tui.config import ConfigError, config_path
from caio_tui.tui.screens.help import BindingGroup, binding_groups, keys_of


def keymap_problem(keymap: Mapping[str, str], groups: Sequence[BindingGroup]) -> str | None:
    """What is wrong with a keymap, in one line naming the id or the key; None for a good one."""
    known = {b.id for g in groups for b in (*g.bindings, *g.also) if b.id}
    for binding_id in keymap:
        if binding_id not in known:
            near = difflib.get_close_matches(binding_id, sorted(known), n=1)
            hint = f" (did you mean {near[0]}?)" if near else " (docs/keys.md lists the ids)"
            return f"{binding_id}: not a binding id{hint}"
    for group in groups:
        answering = _answering(group, keymap)
        by_default = _answering(group, {})
        for binding in group.bindings + group.also:
            if binding.id not in keymap:
                continue
            for key in keys_of(binding, keymap):
                shared = by_default.get(key, set()) if binding.id in by_default.get(key, set()) else set()
                others = sorted(answering[key] - shared - {binding.id})
                if others:
                    return f'key "{key}" is given to {binding.id} and also answers {others[0]} in {group.title}'
    return None


def keys_markdown(app_class: type[App[Any]]) -> str:
    """docs/keys.md: every binding id with its default keys and what it does, screen by screen (a test
    keeps the file current)."""
    lines = [
        "# Keys and their binding ids",
        "",
        "Every key of every screen, by the id that `[keymap]` in `config.toml` uses to change it, e.g.:",
        "",
        "```toml",
        "[keymap]",
        'app.undo = "ctrl+z"           # instead of u',
        'portfolio.promote = "P,>"     # two keys, comma-separated',
        "```",
        "",
        "A keymap that names an unknown id, or gives a key another binding of the same screen answers to,",
        "stops the app with one line naming the key. Generated from the code (`tests/cli/test_cli_keymap.py`).",
    ]
    for group in binding_groups(app_class):
        rows = [b for b in group.bindings if b.id]
        if not rows:
            continue
        lines += ["", f"## {group.title}", "", "| id | keys | does |", "|---|---|---|"]
        seen: set[str] = set()
        for binding in rows:
            if binding.id in seen or binding.id is None:
                continue
            seen.add(binding.id)
            keys = ", ".join(f"`{b.key}`" for b in rows if b.id == binding.id)
            does = " ".join((binding.tooltip or binding.description or binding.action).split())
            lines.append(f"| `{binding.id}` | {keys} | {does.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def _answering(group: BindingGroup, keymap: Mapping[str, str]) -> dict[str, set[str]]:
    """Each key of a group, and the binding ids (an action, for a binding with none) that answer it."""
    answering: dict[str, set[str]] = {}
    for binding in (*group.bindings, *group.also):
        for key in keys_of(binding, keymap):
            answering.setdefault(key, set()).add(binding.id or binding.action)
    return answering


def check_keymap(keymap: Mapping[str, str], app_class: type[App[Any]]) -> None:
    """Refuses (ConfigError: one line, exit 1) a keymap with an unknown id or a key two bindings share."""
    if not keymap:
        return
    problem = keymap_problem(keymap, binding_groups(app_class))
    if problem:
        raise ConfigError(f"{config_path()}: keymap: {problem}")


__all__ = ["check_keymap", "keymap_problem", "keys_markdown"]
