"""A snapshot's contents into an empty portfolio: frameworks, tags, gate rules and every pilot, through the
bulk load (store/bulk.py), in one transaction with one audit event."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from caio_tui.domain.blockers import BlockerTag
from caio_tui.domain.coverage import Catalog
from caio_tui.domain.derived import Derivation, OpenBlocker
from caio_tui.domain.gates import GateRules
from caio_tui.domain.territory import BlockerCategory
from caio_tui.store import bulk, seeding
from caio_tui.store.errors import StoreError
from caio_tui.store.insert_rows import BULK_COLUMNS, FlatPilotRows
from caio_tui.store.portfolio import Portfolio
from caio_tui.store.queries import STAGE_POSITION
from caio_tui.store.transfer import Progress, RulesRevision


def replace_contents(
    portfolio: Portfolio,
    *,
    name: str,
    catalog: Catalog,
    tags: Sequence[BlockerTag],
    rules: RulesRevision,
    pilots: Iterable[FlatPilotRows],
    source: str,
    summary: Callable[[int], str],
    total: int = 0,
    progress: Progress | None = None,
    then: Callable[[], None] | None = None,
    action: str = "import",
    event: Mapping[str, Any] | None = None,
) -> int:
    """Make an empty portfolio hold exactly this content: its name, frameworks, tags, gate rules and pilots
    (with coverage, blockers and stage history, times and actors kept). One transaction, one event whose
    summary is summary(pilots loaded); returns the number of pilots.

    `pilots` is consumed once, in batches, through the bulk load (store.bulk.loading): a caller can stream
    them from a file, and an exception it raises while they are read (e.g. a digest that does not match
    once the last pilot is read) rolls the whole import back. `total` (when known) is for progress.
    `then`, when given, writes the rest of the content in the same transaction (the commercial AI uses).
    `action` and `event` name the audit event and add to what it says (an office's send opened: office.init)."""

    def refuse(found: int) -> str:
        return (
            f"{portfolio.path}: holds {found} pilot(s); a snapshot imports only into an empty portfolio "
            "(create one with 'caio-tui --db NEW.db init'); nothing was imported"
        )

    with portfolio.session.lock, bulk.loading(portfolio, refuse=refuse):
        conn = portfolio.conn
        conn.execute("DELETE FROM item")
        conn.execute("DELETE FROM framework")
        for position, framework in enumerate(catalog.frameworks):
            seeding.insert_framework(portfolio, framework, position)
        conn.execute("DELETE FROM blocker_tag")
        for tag in tags:
            seeding.insert_tag(portfolio, tag)
        conn.execute("DELETE FROM gate_rules")
        conn.execute(
            "INSERT INTO gate_rules (version, rules, created_at, actor) VALUES (?, ?, ?, ?)",
            (rules.revision, rules.rules.model_dump_json(by_alias=True), rules.created_at, rules.actor),
        )
        conn.execute("UPDATE meta SET value = ? WHERE key = 'name'", (name,))
        portfolio.forget_catalog()
        portfolio.forget_rules()
        batcher = Batcher(catalog, rules.rules, {t.tag: t.category for t in tags}, "imported")
        loaded = 0
        for chunk in chunks(pilots, BATCH):
            bulk.insert_batch(portfolio, batcher.batch(chunk))
            loaded += len(chunk)
            if progress:
                progress(loaded, max(total, loaded))
        if then is not None:
            then()
        portfolio.append_event(
            action,
            None,
            None,
            {
                "summary": summary(loaded),
                "pilots": loaded,
                "name": name,
                "rules_revision": rules.revision,
                **(event or {}),
            },
            source=source,
        )
    return loaded


BATCH = 2000

# Where a value sits in a flat coverage or blocker row (store/insert_rows.py BULK_COLUMNS).
_COVERAGE_WIDTH = len(BULK_COLUMNS["coverage"])
_ITEM = BULK_COLUMNS["coverage"].index("item_id")
_STATUS = BULK_COLUMNS["coverage"].index("status")
_BLOCKER_WIDTH = len(BULK_COLUMNS["blocker"])
_TAG = BULK_COLUMNS["blocker"].index("tag")
_OPENED_AT = BULK_COLUMNS["blocker"].index("opened_at")
_RESOLVED_AT = BULK_COLUMNS["blocker"].index("resolved_at")


def chunks(pilots: Iterable[FlatPilotRows], size: int) -> Iterator[list[FlatPilotRows]]:
    iterator = iter(pilots)
    while chunk := list(islice(iterator, size)):
        yield chunk


class Batcher:
    """FlatPilotRows into the bulk load's batches, with the derived columns (domain.derived), checking the
    items and tags the foreign keys would (they are off during a bulk load)."""

    def __init__(
        self, catalog: Catalog, rules: GateRules, categories: Mapping[str, BlockerCategory], verb: str
    ) -> None:
        self.known_items = {i.id for i in catalog.items()}
        self.categories = categories
        self.derivation = Derivation(catalog, rules)
        self.verb = verb  # "nothing was {verb}" in errors

    def batch(self, chunk: Sequence[FlatPilotRows]) -> bulk.RowBatch:
        pilot_values: list[Any] = []
        coverage_values: list[Any] = []
        blocker_values: list[Any] = []
        move_values: list[Any] = []
        ends: list[tuple[int, int, int]] = []
        known_items, categories = self.known_items, self.categories
        for p, coverage, blockers, moves in chunk:
            pilot_id = p.id
            items = coverage[_ITEM::_COVERAGE_WIDTH]
            if not known_items.issuperset(items):
                unknown = next(i for i in items if i not in known_items)
                raise StoreError(f"{pilot_id}: unknown requirement item {unknown!r}; nothing was {self.verb}")
            statuses = dict(zip(items, coverage[_STATUS::_COVERAGE_WIDTH], strict=True))
            coverage_values += coverage
            open_blockers = []
            for at in range(0, len(blockers), _BLOCKER_WIDTH):
                tag = blockers[at + _TAG]
                category = categories.get(tag)
                if category is None:
                    raise StoreError(f"{pilot_id}: unknown blocker tag {tag!r}; nothing was {self.verb}")
                if blockers[at + _RESOLVED_AT] is None:
                    open_blockers.append(OpenBlocker(tag, category, blockers[at + _OPENED_AT]))
            blocker_values += blockers
            move_values += moves
            fields = {"name": p.name, "office": p.office, "owner": p.owner, "description": p.description}
            d = self.derivation.columns(statuses, p.high_impact, open_blockers, stage=p.stage, fields=fields)
            pilot_values += (
                *p[:5],
                STAGE_POSITION[p.stage],
                int(p.high_impact),
                *p[6:],
                d.readiness,
                d.not_assessed,
                d.territory.value,
                d.open_blockers,
                d.top_blocker,
                int(d.below_gate),
                int(d.ready),
            )
            ends.append((len(coverage_values), len(blocker_values), len(move_values)))
        return bulk.RowBatch(len(chunk), pilot_values, coverage_values, blocker_values, move_values, ends)
