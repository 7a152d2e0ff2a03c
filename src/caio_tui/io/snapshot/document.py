"""A snapshot read whole into memory (for diff, and for an import of a file not in the exporter's layout):
parsed, validated, its digest and consistency checked."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from caio_tui.io.snapshot.checks import check_format, consistency_problems, digest_mismatch, first_error
from caio_tui.io.snapshot.digest import digest_of
from caio_tui.io.snapshot.schema import Snapshot, SnapshotError
from caio_tui.store.bulk import no_cycle_collection


def looks_like_snapshot(data: bytes) -> bool:
    """A JSON object (a snapshot, or a broken one): the import sends it here rather than to the CSV reader."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def parse(data: bytes, source: str) -> Snapshot:
    """A validated snapshot, whole in memory (for diff); SnapshotError names the file, the line or pilot,
    and the reason. An import streams the file instead: import_snapshot_file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SnapshotError(f"{source}: not UTF-8 text (byte {exc.start}); not a caio-tui snapshot") from None
    try:
        with no_cycle_collection():
            raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{source}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    check_format(raw, source)
    try:
        with no_cycle_collection():
            snapshot = Snapshot.model_validate(raw)
    except ValidationError as exc:
        raise SnapshotError(f"{source}: {first_error(exc, raw)}") from None
    expected = digest_of(raw)
    if snapshot.digest != expected:
        raise SnapshotError(digest_mismatch(source, snapshot.digest, expected))
    problems = consistency_problems(snapshot, raw["pilots"])
    if problems:
        raise SnapshotError(
            f"{source}: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        )
    return snapshot


def read_file(path: Path, source: str | None = None) -> Snapshot:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SnapshotError(f"{source or path}: cannot read ({exc.strerror})") from None
    return parse(data, source or str(path))
