"""Blocker tags and blockers (the categories and the territory they make: domain/territory.py)."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, field_validator

from caio_tui.domain.territory import BlockerCategory

_TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")


class BlockerTag(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)
    tag: str
    category: BlockerCategory
    areas: tuple[str, ...] = ()
    description: str = ""
    builtin: bool = False

    @field_validator("tag")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _TAG_PATTERN.match(value):
            raise ValueError(f"tag {value!r} must be lower-case letters, digits and dashes (at most 48 characters)")
        return value


class Blocker(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)
    id: int
    pilot_id: str
    tag: str
    category: BlockerCategory
    note: str = ""
    opened_at: datetime
    opened_by: str
    resolved_at: datetime | None = None
    resolved_by: str = ""
    resolution: str = ""  # how it was resolved, as the person who resolved it wrote (blank: not said)

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


def _tag(tag: str, category: BlockerCategory, *areas: str, description: str) -> BlockerTag:
    return BlockerTag(tag=tag, category=category, areas=areas, description=description, builtin=True)


_I, _N, _G, _O = (
    BlockerCategory.IDENTITY,
    BlockerCategory.INFRASTRUCTURE,
    BlockerCategory.GOVERNANCE,
    BlockerCategory.ORGANIZATIONAL,
)

BUILTIN_TAGS: tuple[BlockerTag, ...] = (
    _tag("shared-service-account", _I, "access", description="Runs on an account several people share"),
    _tag("personal-credentials", _I, "access", "system_identity", description="Runs on someone's own login"),
    _tag("informal-access", _I, "access", description="Access granted informally, 'because it was a test'"),
    _tag("no-provisioning-model", _I, "access", description="No way to add the next hundred users"),
    _tag("no-deprovisioning", _I, "lifecycle", description="No way to remove someone who leaves"),
    _tag(
        "ungoverned-system-identity",
        _I,
        "system_identity",
        description="The system's own identity is ungoverned",
    ),
    _tag("debug-only-logging", _N, "audit", description="Logs good enough to debug, not to audit"),
    _tag("no-data-access-agreement", _N, "data", description="A data source connected with no agreement"),
    _tag("no-ato-pathway", _N, "ato", description="No path to an Authorization to Operate"),
    _tag("bespoke-architecture", _N, "scalability", description="A one-off build that cannot extend"),
    _tag("verbal-approval-only", _G, "governance", description="Approved in a conversation, not on paper"),
    _tag("no-governing-policy", _G, "governance", description="No policy governs its operation"),
    _tag("program-office-resistance", _O, description="The program office resists the change"),
    _tag("skills-gap", _O, description="The team lacks the skills to run it"),
    _tag("no-executive-sponsor", _O, description="Nobody senior owns it"),
    _tag("leadership-attention-moved", _O, description="Leadership's attention moved elsewhere"),
    _tag("budget-cycle-misaligned", _O, description="Funding does not line up with the budget cycle"),
)
