"""Gate rules as a TOML file: read one with every problem named by file, line and reason, and write one.

tomllib reports syntax errors with their line. Validation errors come from pydantic as a path into the
data (gate 1, rule 2, key at_least); a small scanner of the text finds the line each table, array element
and key starts on, so those name their line too. The file is data: nothing in it is evaluated.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from caio_tui.domain.coverage import Catalog
from caio_tui.domain.gates import Gate, GateRules, GateRulesError

_TOML_PLACE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_RULE_KINDS = frozenset({"field", "coverage", "no_blocker", "high_impact_practices"})


@dataclass
class _Node:
    """Where a value starts in the text, with the places of its keys (tables) or elements (arrays)."""

    line: int
    keys: dict[str, _Node] = field(default_factory=dict)
    items: list[_Node] = field(default_factory=list)


class _Scanner:
    """Positions of the values of a TOML text that tomllib has already accepted (so it is valid TOML)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 1

    # -- characters ------------------------------------------------------------------------------------

    def _peek(self, ahead: int = 0) -> str:
        at = self.i + ahead
        return self.text[at] if at < len(self.text) else ""

    def _advance(self, count: int = 1) -> None:
        for _ in range(count):
            if self._peek() == "\n":
                self.line += 1
            self.i += 1

    def _skip_blank(self, *, newlines: bool) -> None:
        """Spaces and tabs; with `newlines`, also line ends and comments."""
        while self.i < len(self.text):
            char = self._peek()
            if char in " \t\r" or (newlines and char == "\n"):
                self._advance()
            elif newlines and char == "#":
                while self.i < len(self.text) and self._peek() != "\n":
                    self._advance()
            else:
                return

    def _skip_string(self) -> str:
        quote = self._peek()
        triple = self.text.startswith(quote * 3, self.i)
        delimiter = quote * 3 if triple else quote
        start = self.i + len(delimiter)
        self._advance(len(delimiter))
        while self.i < len(self.text):
            if quote == '"' and self._peek() == "\\":
                self._advance(2)
            elif self.text.startswith(delimiter, self.i):
                # A closing triple quote may carry up to two more quotes of the content before it.
                extra = 0
                while triple and extra < 2 and self._peek(len(delimiter) + extra) == quote:
                    extra += 1
                body = self.text[start : self.i + extra]
                self._advance(len(delimiter) + extra)
                return body
            else:
                self._advance()
        return self.text[start:]

    # -- keys and values -------------------------------------------------------------------------------

    def _key(self) -> list[str]:
        parts: list[str] = []
        while True:
            self._skip_blank(newlines=False)
            if self._peek() in "\"'":
                raw = self._skip_string()
                parts.append(json.loads(f'"{raw}"') if self.text[self.i - 1] == '"' else raw)
            else:
                start = self.i
                while self._peek() and (self._peek().isalnum() or self._peek() in "_-"):
                    self._advance()
                parts.append(self.text[start : self.i])
            self._skip_blank(newlines=False)
            if self._peek() != ".":
                return parts
            self._advance()

    def _value(self) -> _Node:
        node = _Node(self.line)
        char = self._peek()
        if char in "\"'":
            self._skip_string()
        elif char == "[":
            self._advance()
            while True:
                self._skip_blank(newlines=True)
                if self._peek() in ("]", ""):
                    self._advance()
                    break
                node.items.append(self._value())
                self._skip_blank(newlines=True)
                if self._peek() == ",":
                    self._advance()
        elif char == "{":
            self._advance()
            while True:
                self._skip_blank(newlines=False)
                if self._peek() in ("}", ""):
                    self._advance()
                    break
                self._key_value(node)
                self._skip_blank(newlines=False)
                if self._peek() == ",":
                    self._advance()
        else:
            while self._peek() and self._peek() not in ",]}\n#":
                self._advance()
        return node

    def _key_value(self, table: _Node) -> None:
        line = self.line
        *path, last = self._key()
        self._skip_blank(newlines=False)
        self._advance()  # the "="
        self._skip_blank(newlines=False)
        value = self._value()
        value.line = line  # a key's problem is reported on the line of the key
        _descend(table, path, line).keys[last] = value

    # -- the document ----------------------------------------------------------------------------------

    def scan(self) -> _Node:
        root = _Node(1)
        table = root
        while True:
            self._skip_blank(newlines=True)
            if self.i >= len(self.text):
                return root
            line = self.line
            if self.text.startswith("[[", self.i):
                self._advance(2)
                *path, last = self._key()
                self._advance(2)
                array = _descend(root, path, line).keys.setdefault(last, _Node(line))
                table = _Node(line)
                array.items.append(table)
            elif self._peek() == "[":
                self._advance()
                *path, last = self._key()
                self._advance()
                table = _descend(root, path, line).keys.setdefault(last, _Node(line))
            else:
                self._key_value(table)


def _descend(node: _Node, path: Sequence[str], line: int) -> _Node:
    """The table at a dotted path below node; through an array of tables, its last table."""
    for part in path:
        node = node.keys.setdefault(part, _Node(line))
        if node.items:
            node = node.items[-1]
    return node


def _line_of(root: _Node, loc: Sequence[int | str]) -> int:
    """The line of the deepest part of a validation path found in the text."""
    node = root
    for part in loc:
        if isinstance(part, int) and 0 <= part < len(node.items):
            node = node.items[part]
        elif isinstance(part, str) and part in node.keys:
            node = node.keys[part]
    return node.line


def _place(loc: Sequence[int | str], rules: Any) -> str:
    """A validation path in the user's words: `gate 2 (into production), rule 1, at_least`."""
    words: list[str] = []
    parts = list(loc)
    index = 0
    while index < len(parts):
        part = parts[index]
        following = parts[index + 1] if index + 1 < len(parts) else None
        if part == "gate" and isinstance(following, int):
            words.append(f"gate {following + 1}" + _gate_target(rules, following))
            index += 2
            continue
        if part == "rules" and isinstance(following, int):
            words.append(f"rule {following + 1}")
            index += 2
            if index < len(parts) and parts[index] in _RULE_KINDS:
                index += 1  # the rule kind pydantic adds to the path of a tagged union
            continue
        words.append(str(part))
        index += 1
    return ", ".join(words)


def _reason(err: Any, data: Any) -> str:
    """One validation error in the user's words, after its place."""
    loc = list(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden" and loc:
        return f"{_place(loc[:-1], data)}: unknown key {loc[-1]!r}".lstrip(": ")
    if kind == "missing" and loc:
        return f"{_place(loc[:-1], data)}: missing key {loc[-1]!r}".lstrip(": ")
    if kind == "union_tag_invalid":
        found = err.get("ctx", {}).get("tag", "")
        return f"{_place(loc, data)}: unknown rule kind {found!r}; expected one of {', '.join(sorted(_RULE_KINDS))}"
    if kind == "union_tag_not_found":
        return f"{_place(loc, data)}: a rule needs a kind ({', '.join(sorted(_RULE_KINDS))})"
    return f"{_place(loc, data)}: {str(err['msg']).removeprefix('Value error, ')}"


def _gate_target(data: Any, gate: int) -> str:
    try:
        target = data["gate"][gate]["to"]
    except (KeyError, IndexError, TypeError):
        return ""
    return f" (into {target})" if isinstance(target, str) else ""


def _syntax_problem(exc: tomllib.TOMLDecodeError, text: str, source: str) -> str:
    message = str(exc)
    found = _TOML_PLACE.search(message)
    if found:
        reason = message[: found.start()]
        return f"{source}:{found.group(1)}: not valid TOML: {reason} (column {found.group(2)})"
    lines = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
    return f"{source}:{lines}: not valid TOML: {message.replace(' (at end of document)', '')} (at the end)"


def read_rules(
    text: str,
    source: str,
    *,
    catalog: Catalog | None = None,
    known_tags: Sequence[str] | None = None,
) -> GateRules:
    """Rules from the text of a TOML file. With a catalog and the tags of a portfolio, names the rules
    refer to are checked too. GateRulesError lists every problem as `source:line: place: reason`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = _syntax_problem(exc, text, source)
        raise GateRulesError(problem) from None
    root = _Scanner(text).scan()
    try:
        rules = GateRules.model_validate(data)
    except ValidationError as exc:
        located = [(_line_of(root, err["loc"]), _reason(err, data)) for err in exc.errors()]
        _refuse(located, source)
    if catalog is not None:
        problems = rules.problems(catalog, known_tags or ())
        located = []
        for p in problems:
            loc: list[int | str] = ["gate", p.gate]
            if p.rule is not None:
                loc += ["rules", p.rule]
            loc += [p.key] if p.key else []
            located.append((_line_of(root, loc), f"{_place(loc, data)}: {p.message}"))
        if located:
            _refuse(located, source)
    return rules


def _refuse(located: list[tuple[int, str]], source: str) -> None:
    lines = [f"{source}:{line}: {reason}" for line, reason in sorted(located, key=lambda x: x[0])]
    raise GateRulesError(lines[0], lines)


# ---- writing -----------------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # A JSON string is a TOML basic string: the same quotes and escapes.
    return json.dumps(str(value), ensure_ascii=False)


def _inline(values: dict[str, Any]) -> str:
    return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in values.items()) + " }"


def _gate_toml(gate: Gate) -> list[str]:
    lines = ["[[gate]]", f"to = {_toml_value(gate.to.value)}", "rules = ["]
    for rule in gate.rules:
        values = rule.model_dump(mode="json", exclude_defaults=True)
        description = values.pop("description", None)
        ordered = {"kind": values.pop("kind"), **values}
        if description is not None:
            ordered["description"] = description  # last: the what first, then the why
        lines.append(f"  {_inline(ordered)},")
    lines.append("]")
    return lines


def rules_toml(rules: GateRules, *, heading: str = "") -> str:
    """The rules as a TOML file that read_rules gives back unchanged (for editing and `gates load`)."""
    lines = [f"# {line}".rstrip() for line in heading.splitlines()]
    lines.append(f"version = {rules.version}")
    lines.append(f"override_min_length = {rules.override_min_length}")
    for gate in rules.gates:
        lines += ["", *_gate_toml(gate)]
    return "\n".join(lines) + "\n"


__all__ = ["read_rules", "rules_toml"]
