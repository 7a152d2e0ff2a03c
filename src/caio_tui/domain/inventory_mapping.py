"""The inventory mapping: which answers of an OMB inventory derive which coverage statuses, blockers, dates
and flags. Data, not code (domain/data/omb_mapping.toml is the default; a CAIO loads their own), parsed
and checked here: a file with a problem is refused with one line naming the key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.stages import Stage

# How an answer is read: the kinds a rule maps from.
AnswerKind = Literal["yes", "no", "in_progress", "waived", "not_applicable", "other"]
ANSWER_KINDS: tuple[str, ...] = ("yes", "no", "in_progress", "waived", "not_applicable", "other")


# The key of pilot.extra that keeps what an inventory reads where a person's status says otherwise:
# item -> "status: provenance" (the import writes it, the detail screen shows it beside the person's).
REPORTED_KEY = "omb_reported"


class MappingError(ValueError):
    """A mapping that cannot be used: one line, naming the key."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: tuple[str, ...] = Field(min_length=1)

    @field_validator("columns")
    @classmethod
    def _named(cls, columns: tuple[str, ...]) -> tuple[str, ...]:
        if any(not c.strip() for c in columns):
            raise ValueError("a column name is blank")
        return columns


class CoverageRule(_Rule):
    """An item's status from the first of `columns` the row gives, by the kind of its answer."""

    item: str
    answers: dict[AnswerKind, CoverageStatus] = Field(min_length=1)
    # Answers read by how they start (case and dashes aside), before their kind: the 2024 multiple
    # choices whose text says more than yes or no ("Benchmark evaluation: ...").
    starts: dict[str, CoverageStatus] = Field(default_factory=dict)
    given: str = ""  # a column that must hold an answer too (has_pii with a pia_url)
    high_impact: bool = False  # only on high-impact use cases
    blank: CoverageStatus | None = None  # a blank answer on a use case required to have the practice


class ReviewRule(_Rule):
    """Answers worth a person's look that derive no status: reported with the import."""

    item: str
    answers: tuple[AnswerKind, ...] = Field(min_length=1)
    missing: str = ""  # ...when this column is blank
    note: str = Field(min_length=1)


class BlockerRule(BaseModel):
    """A blocker opened by the import: from an answer (`columns` and `answers`) or from derived statuses
    (`items` and `statuses`), on a pilot at one of `stages`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tag: str
    stages: tuple[Stage, ...] = Field(min_length=1)
    high_impact: bool = False
    columns: tuple[str, ...] = ()
    answers: tuple[AnswerKind, ...] = ()
    items: tuple[str, ...] = ()
    statuses: tuple[CoverageStatus, ...] = ()
    note: str = ""


class DateRule(_Rule):
    """When a pilot at one of `stages` entered it: the first of `columns` the row gives."""

    stages: tuple[Stage, ...] = Field(min_length=1)


class FlagRule(_Rule):
    """A pilot at one of `stages` whose `columns` are all blank (when the file has them) is reported."""

    stages: tuple[Stage, ...] = Field(min_length=1)
    note: str = Field(min_length=1)


class MappingHead(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "OMB inventory"
    required_stages: tuple[Stage, ...] = (Stage.PRODUCTION, Stage.SCALED)


class InventoryMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mapping: MappingHead = MappingHead()
    coverage: tuple[CoverageRule, ...] = ()
    review: tuple[ReviewRule, ...] = ()
    blocker: tuple[BlockerRule, ...] = ()
    date: tuple[DateRule, ...] = ()
    flag: tuple[FlagRule, ...] = ()

    def items(self) -> set[str]:
        return (
            {r.item for r in self.coverage} | {r.item for r in self.review} | {i for b in self.blocker for i in b.items}
        )

    def tags(self) -> set[str]:
        return {b.tag for b in self.blocker}


def _place(loc: Iterable[int | str]) -> str:
    parts: list[str] = []
    for part in loc:
        if part == "[key]":  # pydantic's mark for a dict's key: the key itself names the place
            continue
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part + 1}]" if parts else f"[{part + 1}]"
        else:
            parts.append(part)
    return ".".join(parts)


def parse_mapping(text: str, source: str) -> InventoryMapping:
    """A mapping from TOML text; MappingError names the first problem's key (or the syntax error's line)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{source}: not TOML ({exc})") from None
    try:
        mapping = InventoryMapping.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        raise MappingError(f"{source}: {_place(first['loc'])}: {message}") from None
    for index, rule in enumerate(mapping.blocker, start=1):
        if not (rule.columns and rule.answers) and not (rule.items and rule.statuses):
            raise MappingError(f"{source}: blocker[{index}]: needs columns and answers, or items and statuses")
    return mapping


def check_mapping(mapping: InventoryMapping, source: str, *, items: Iterable[str], tags: Iterable[str]) -> None:
    """Refuse a mapping that names an item or a tag the portfolio does not have."""
    known_items, known_tags = set(items), set(tags)
    named = [("coverage", i, r.item) for i, r in enumerate(mapping.coverage, 1)]
    named += [("review", i, r.item) for i, r in enumerate(mapping.review, 1)]
    for kind, index, item in named:
        if item not in known_items:
            raise MappingError(f"{source}: {kind}[{index}].item: unknown requirement item {item!r}")
    for index, blocker in enumerate(mapping.blocker, start=1):
        if blocker.tag not in known_tags:
            raise MappingError(f"{source}: blocker[{index}].tag: unknown blocker tag {blocker.tag!r}")
        for item in blocker.items:
            if item not in known_items:
                raise MappingError(f"{source}: blocker[{index}].items: unknown requirement item {item!r}")


def default_mapping_text() -> str:
    return resources.files("caio_tui.domain").joinpath("data/omb_mapping.toml").read_text(encoding="utf-8")


def default_mapping() -> InventoryMapping:
    return parse_mapping(default_mapping_text(), "omb_mapping.toml")
