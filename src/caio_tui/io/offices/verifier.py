"""The verifier: a process of its own that reads and verifies a merge's bundles (verify.py), file after
file, ahead of the merge in this one, so reading and applying use both cores.

It is a new interpreter running `main` (python -c), never a fork: this process holds SQLite
connections, which a forked child must not inherit (SQLite's "how to corrupt"); and multiprocessing's
"spawn" would run the caller's main script again in the child, which a script without a `__main__` guard
(a benchmark, a harness) does not survive. It gets its job (the paths and the portfolio's columns) on its
stdin and sends each step pickled on its stdout: the pipe is the bounded queue (the verifier blocks when a
batch or two wait unread, so memory stays flat). An error it meets goes across as a `Failure` and is
raised here as the same error; if it dies, the pipe ends and the merge says so in one line, never hangs.
It ignores Ctrl-C (the merge stops it) and dies on a broken pipe if the merge is gone."""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import subprocess
import sys
import tempfile
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from caio_tui.io.offices.format import OfficeFileError
from caio_tui.io.offices.verify import BATCH, Step, verified_bundle
from caio_tui.store.bulk import no_cycle_collection
from caio_tui.store.office_seal import BundleRefused

_PROTOCOL = pickle.HIGHEST_PROTOCOL
PIPE_BYTES = 1 << 20


class VerifierStopped(Exception):
    """The verifier's process ended before it sent what the merge waits for (killed, crashed)."""


@dataclass(frozen=True)
class Job:
    paths: list[Path]
    sources: list[str]
    ours: Mapping[str, Sequence[str]]
    batch: int = BATCH


@dataclass(frozen=True)
class Failure:
    """An error the verifier met, to raise in the merge as the same error."""

    kind: str  # "file" (OfficeFileError), "refused" (BundleRefused), "crash" (anything else)
    message: str
    next_step: str = ""

    def error(self) -> Exception:
        if self.kind == "file":
            return OfficeFileError(self.message)
        if self.kind == "refused":
            return BundleRefused(self.message, self.next_step)
        return VerifierStopped(self.message)


class Verifier:
    """The verifier's process, seen from the merge: started with its job, read step by step, and stopped
    (`close`, always) when the merge is done or fails."""

    def __init__(self, job: Job) -> None:
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close()) its stderr: why, if it dies
        # This process's import path, as multiprocessing's spawn passes it: the verifier runs this very code.
        # (only its text entries: a launcher may put other objects there, whose repr is no Python to run)
        path = [entry for entry in sys.path if isinstance(entry, str)]
        start = f"import sys; sys.path[:] = {path!r}; from {__name__} import main; main()"
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", start], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors
            )
        except BaseException:
            self.errors.close()
            raise
        assert self.process.stdin is not None and self.process.stdout is not None
        self.out: IO[bytes] = self.process.stdout
        _room_for_batches(self.out)
        try:
            with self.process.stdin as job_in:
                pickle.dump(job, job_in, protocol=_PROTOCOL)
        except OSError:
            pass  # it is already gone: reading says why
        except BaseException:  # Ctrl-C right now: it must not outlive the merge
            self.close()
            raise

    def steps(self) -> Generator[Step]:
        while True:
            try:
                step = pickle.load(self.out)
            except (EOFError, pickle.UnpicklingError, OSError):
                raise VerifierStopped(self._why()) from None
            if isinstance(step, Failure):
                raise step.error()
            yield step

    def _why(self) -> str:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "it stopped sending"
        self.errors.seek(0)
        said = [line for line in self.errors.read().decode(errors="replace").splitlines() if line.strip()]
        how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        return f"{how}: {said[-1].strip()}" if said else how

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.out.close()
        self.errors.close()


def _room_for_batches(pipe: IO[bytes]) -> None:
    """A pipe of 1 MB (Linux; 64 KB by default): a verified batch (~0.9 MB pickled) waits in it while the
    verifier makes the next, so a pause of the merge (a commit) does not stall the verifier at once."""
    with contextlib.suppress(ImportError, AttributeError, OSError):  # not Linux, or a lower pipe-max-size
        import fcntl

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


# ---- the verifier's own side --------------------------------------------------------------------------


def _steps(job: Job) -> Generator[Step | Failure]:
    """Every bundle's steps in order; the first error ends them (the merge stops at that bundle)."""
    for path, source in zip(job.paths, job.sources, strict=True):
        try:
            yield from verified_bundle(path, source, job.ours, batch=job.batch)
        except OfficeFileError as exc:
            yield Failure("file", str(exc))
            return
        except BundleRefused as exc:
            yield Failure("refused", str(exc), exc.next_step)
            return
        except Exception as exc:  # a fault of this code: the merge says so in one line
            yield Failure("crash", f"{type(exc).__name__}: {exc}")
            return


def serve(job_in: BinaryIO, out: BinaryIO) -> None:
    job = pickle.load(job_in)
    with no_cycle_collection():
        for step in _steps(job):
            pickle.dump(step, out, protocol=_PROTOCOL)
            out.flush()  # a bundle's last step must not wait in a buffer while the next is verified


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the merge, which stops this process
    steps = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the steps
    try:
        serve(sys.stdin.buffer, steps)
    except BrokenPipeError:  # the merge is gone (it stopped early, or was killed)
        os._exit(1)
