"""Bundles merged into the CAIO's portfolio (`caio-tui merge FILE...`): each bundle in its own transaction
with its own audit event (store/office_apply.merge), fed step by step from its verification (verify.py),
so a refusal at any line of a bundle leaves nothing of it merged.

One file (merge_file) is verified in this process as it merges. Several (merge_files) are verified by the
verifier's process (verifier.py) ahead of the merge, bundle k+1 while bundle k is applied, unless they are
small: then starting a process costs more than it saves, and they are verified here by the same function.
This process reads the portfolio and never the files; the verifier reads the files and never the
portfolio."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path

from caio_tui.io.offices.format import OfficeFileError
from caio_tui.io.offices.read import open_office_file
from caio_tui.io.offices.verifier import Job, Verifier, VerifierStopped
from caio_tui.io.offices.verify import Read, Step, Verified, verified_bundle
from caio_tui.store import Portfolio
from caio_tui.store.bulk import no_cycle_collection
from caio_tui.store.office_apply import MergeOutcome, last_merged, merge
from caio_tui.store.office_seal import BundleRefused, sealed_columns
from caio_tui.store.office_sides import Carried
from caio_tui.store.open_files import is_open_here

# Files smaller than this in all are verified in this process. Measured: the verifier starts in ~0.4 s (a
# new interpreter importing the reader), which the merge waits for, and then takes ~0.05 s per MB off it
# (verifying costs ~0.06 s per MB here, unpickling what the verifier sent ~0.007): it pays from ~8 MB.
WORKER_FROM = 8_000_000
# Bundles that large merged between two checkpoints: the WAL grows to about 70 MB a bundle of 5,000 pilots
# before one copies it into the file (store/session.checkpoint_every).
CHECKPOINT_EVERY = 4


def merge_file(portfolio: Portfolio, path: Path, *, source: str) -> MergeOutcome:
    """Verify the bundle at `path` and merge it, in this process: one transaction, one audit event.
    OfficeFileError (the file) or BundleRefused (its chain, seal or rows) in one line when it does not hold
    together."""
    return merge_files(portfolio, [path], sources=[source], worker_from=None)[0]


def merge_files(
    portfolio: Portfolio,
    paths: Sequence[Path],
    *,
    sources: Sequence[str],
    merged: Callable[[MergeOutcome], None] | None = None,
    worker_from: int | None = WORKER_FROM,
) -> list[MergeOutcome]:
    """Merge the bundles at `paths` in order, each as merge_file would; `merged` is told of each once it is
    committed. The first that fails raises its one-line OfficeFileError: those before it stay merged,
    nothing of it or after it is. `worker_from`: the size in bytes of all the files from which they are
    verified in the verifier's process (None: never)."""
    if len(paths) != len(sources):
        raise ValueError("one source for each path")
    _all_bundles(paths, sources)
    job = Job(list(paths), list(sources), sealed_columns(portfolio.conn))
    pays = bool(paths) and worker_from is not None and _can_start() and _size(paths) >= worker_from
    verifier = None
    try:
        verifier = _started(job) if pays else None
        steps = verifier.steps() if verifier is not None else _here(job)
        outcomes: list[MergeOutcome] = []
        with contextlib.closing(steps), _checkpoints(portfolio, pays) as written:
            for source in sources:
                with no_cycle_collection():  # a bundle at a time: what the merges keep is collected between
                    outcomes.append(_merge_next(portfolio, steps, source))
                written()
                if merged is not None:
                    merged(outcomes[-1])
        return outcomes
    finally:
        if verifier is not None:  # whatever happened: it never outlives the call
            verifier.close()


@contextlib.contextmanager
def _checkpoints(portfolio: Portfolio, large: bool) -> Iterator[Callable[[], None]]:
    """Large bundles: one checkpoint every CHECKPOINT_EVERY merges rather than one in each merge's commit."""
    if not large:
        yield lambda: None
        return
    with portfolio.session.checkpoint_every(CHECKPOINT_EVERY) as written:
        yield written


def _all_bundles(paths: Sequence[Path], sources: Sequence[str]) -> None:
    """Each file readable and a bundle (its head read), before the first is merged: a missing file or a send
    at the end of a list must not be found once the bundles before it are committed. The portfolio itself is
    never opened outside SQLite (closing that handle would drop this process's locks on it)."""
    for path, source in zip(paths, sources, strict=True):
        if is_open_here(path):
            raise OfficeFileError(f"{source}: the portfolio itself, not a bundle")
        stream, _ = open_office_file(path, source, "bundle")
        stream.close()


def _can_start() -> bool:
    """Whether this interpreter can start another of itself (not a frozen build, whose executable is the
    app; not an embedded one, which has none)."""
    return bool(sys.executable) and not getattr(sys, "frozen", False)


def _started(job: Job) -> Verifier | None:
    try:
        return Verifier(job)
    except OSError:  # no process to be had (none left, no interpreter): verified here, the same way
        return None


def _size(paths: Sequence[Path]) -> int:
    """The files' bytes in all (one that cannot be read counts nothing: reading it says why)."""
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):
            total += path.stat().st_size
    return total


def _here(job: Job) -> Generator[Step]:
    for path, source in zip(job.paths, job.sources, strict=True):
        yield from verified_bundle(path, source, job.ours, batch=job.batch)


def _merge_next(portfolio: Portfolio, steps: Iterator[Step], source: str) -> MergeOutcome:
    """The next bundle's steps merged: its chain first, then its batches inside the merge's transaction."""
    try:
        verified = next(steps)
        assert isinstance(verified, Verified), verified
        # Known only now: an earlier file of this call may have been of the same send.
        last = last_merged(portfolio, verified.send_id)
        verified.chain.watching(last.events if last else None)
        read: list[Read] = []
        return merge(
            portfolio,
            send_id=verified.send_id,
            office=verified.office,
            chain=verified.chain,
            file_digest=lambda: read[0].file_digest,  # of the bytes verified, once all are read
            batches=_batches(steps, read),
        )
    except BundleRefused as exc:
        then = f"; {exc.next_step}" if exc.next_step else ""
        raise OfficeFileError(f"{source}: refused: {exc}; nothing was merged{then}") from None
    except VerifierStopped as exc:
        raise OfficeFileError(
            f"{source}: the process verifying the bundles stopped ({exc}); nothing of it was merged"
        ) from None


def _batches(steps: Iterator[Step], read: list[Read]) -> Iterator[list[Carried]]:
    """The bundle's batches, up to its end (noted in `read`): the next steps are the next bundle's."""
    for step in steps:
        if isinstance(step, Read):
            read.append(step)
            return
        assert isinstance(step, list), step
        yield step
