"""Pilot ids in natural order (`AI-2` before `AI-10`): the sort key of an id, written once in Python and
once in SQL, which must agree.

The key keeps an id's text up to its trailing number, then writes the number with its leading zeros
dropped and prefixed by its digit count (one character, '0' + count), so shorter numbers sort first and
`AI-007` sits with `AI-7` (the id itself breaks the tie). SQLite indexes the SQL form (migration 0009), so
sorting, keyset paging and counting positions by id walk an index as they did by the plain id. Only the
trailing number counts as a number: `AI-9x` still sorts after `AI-10x` (ids that end in letters are rare
and keep their text order).
"""

from __future__ import annotations

DIGITS = "0123456789"

# The same key as an SQL expression over the column `id`: the index of migration 0009 is on exactly this
# text, and SQLite uses an expression index only for a query that writes the expression the same way.
NATURAL_ID_SQL = (
    "rtrim(id, '0123456789') || iif(length(id) = length(rtrim(id, '0123456789')), '', "
    "char(48 + length(ltrim(substr(id, length(rtrim(id, '0123456789')) + 1), '0'))) || "
    "ltrim(substr(id, length(rtrim(id, '0123456789')) + 1), '0'))"
)


def natural_id_key(pilot_id: str) -> str:
    """The id's natural sort key, as NATURAL_ID_SQL computes it."""
    prefix = pilot_id.rstrip(DIGITS)
    if len(prefix) == len(pilot_id):
        return pilot_id
    number = pilot_id[len(prefix) :].lstrip("0")
    return prefix + chr(48 + len(number)) + number


__all__ = ["NATURAL_ID_SQL", "natural_id_key"]
