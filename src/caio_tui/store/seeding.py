"""A new portfolio file seeded (its name, the default frameworks, blocker tags and gate rules), an older
file sealed whole at its first open, and the rows that hold the portfolio's definitions: a framework and
its items, a blocker tag, a version of the gate rules (new rules judge every pilot again)."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING

from caio_tui.store import audit, derived_upkeep
from caio_tui.store.errors import PortfolioError
from caio_tui.store.lazy import LazyModule

if TYPE_CHECKING:
    from caio_tui.domain.blockers import BlockerTag
    from caio_tui.domain.coverage import Framework
    from caio_tui.domain.gates import GateRules
    from caio_tui.store import models
    from caio_tui.store.portfolio import Portfolio
else:
    models = LazyModule("caio_tui.store.models")


def seed(portfolio: Portfolio, name: str) -> None:
    """A new portfolio: its name, the default frameworks, blocker tags and gate rules."""
    now = portfolio.timestamp()
    with portfolio.session.transaction():
        if portfolio.meta("name") is not None:
            return  # another program seeded it first
        portfolio.conn.execute("INSERT INTO meta VALUES ('name', ?), ('created_at', ?)", (name, now))
        for position, framework in enumerate(models.default_catalog().frameworks):
            insert_framework(portfolio, framework, position)
        for tag in models.BUILTIN_TAGS:
            insert_tag(portfolio, tag)
        insert_rules(portfolio, models.default_rules())
        audit.append(
            portfolio.conn,
            at=now,
            actor=portfolio.actor,
            action="portfolio.create",
            pilot_id=None,
            before=None,
            after={"name": name, "summary": f"created portfolio {name!r}"},
        )


def seal_if_never_sealed(portfolio: Portfolio) -> None:
    """A portfolio from before schema 4 has events but no state seal: seal what it holds now, as an
    event of its own, so verify checks every row from here on. A read-only file stays as it is (verify
    then says the state is not sealed)."""
    head = portfolio.session.one("SELECT state FROM audit_event ORDER BY id DESC LIMIT 1")
    if head is None or head["state"] is not None:
        return
    with contextlib.suppress(PortfolioError), portfolio.session.transaction():
        portfolio.seal.seal_everything()
        portfolio.append_event(
            "state.seal",
            None,
            None,
            {"summary": "sealed the portfolio's rows: from here on verify checks each of them"},
        )


# ---- the definitions' rows ---------------------------------------------------------------------------


def insert_framework(portfolio: Portfolio, framework: Framework, position: int) -> None:
    portfolio.db.table("framework").insert(
        {"id": framework.id, "position": position, "definition": framework.model_dump_json()}
    )
    for area in framework.areas:
        for index, item in enumerate(area.items):
            portfolio.db.table("item").insert(
                {"id": item.id, "framework_id": framework.id, "area_id": area.id, "position": index}
            )


def insert_tag(portfolio: Portfolio, tag: BlockerTag) -> None:
    portfolio.db.table("blocker_tag").insert(
        {
            "tag": tag.tag,
            "category": tag.category.value,
            "areas": json.dumps(list(tag.areas)),
            "description": tag.description,
            "builtin": int(tag.builtin),
        }
    )


def insert_rules(portfolio: Portfolio, rules: GateRules) -> None:
    version = portfolio.rules_version() + 1
    portfolio.db.table("gate_rules").insert(
        {
            "version": version,
            "rules": rules.model_dump_json(by_alias=True),
            "created_at": portfolio.timestamp(),
            "actor": portfolio.actor,
        }
    )
    portfolio.forget_rules()
    # New rules move the gates every pilot stands at: each is judged again in this transaction.
    derived_upkeep.rederive_all(portfolio)
