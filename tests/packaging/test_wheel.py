"""The wheel carries its migrations and samples, and the installed command works from any folder.

The wheel is built with `python -m build` and installed, with its dependencies, into a new virtual
environment made without pip (the running pip installs into it with --python). If the package index
cannot be reached, the dependencies come from the running environment instead (a .pth file); caio_tui
itself always comes from the wheel, which the test checks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from helpers import REPO


def sh(*args: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=timeout, check=False)


def build_wheel(out: Path) -> Path:
    built = sh(sys.executable, "-m", "build", "--wheel", "--outdir", out, REPO, cwd=out)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (wheel,) = out.glob("caio_tui-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> None:
    made = sh(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv.parent)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--disable-pip-version-check"]
    full = sh(*pip, wheel, cwd=venv.parent, timeout=240)
    if full.returncode == 0:
        return
    # No package index: the wheel alone, with the dependencies of the running environment beside it.
    alone = sh(*pip, "--no-deps", wheel, cwd=venv.parent)
    assert alone.returncode == 0, full.stderr[-2000:] + alone.stderr[-2000:]
    site = sh(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=venv.parent)
    Path(site.stdout.strip(), "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")


@pytest.mark.slow
def test_the_wheel_installs_a_working_caio_tui(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "caio_tui/migrations/0001_initial.sql",
        "caio_tui/sample_portfolios/civilian-agency.toml",
        "caio_tui/sample_portfolios/small-agency.toml",
        "caio_tui/domain/data/production.toml",
        "caio_tui/domain/data/m-25-21.toml",
        "caio_tui/domain/data/gates.toml",
        "caio_tui/py.typed",
        "caio_tui/__main__.py",
    ):
        assert expected in names, expected
    migrations = sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("caio_tui/migrations/"))
    assert migrations == sorted(p.name for p in (REPO / "src" / "caio_tui" / "migrations").glob("*.sql"))
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "caio-tui = caio_tui.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()

    venv = tmp_path / "venv"
    install(wheel, venv)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = sh(
        venv / "bin" / "python",
        "-c",
        "import caio_tui.resources as r; print(r.resource_dir('migrations'))",
        cwd=elsewhere,
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(venv), "caio_tui must come from the installed wheel"

    command = venv / "bin" / "caio-tui"
    db = elsewhere / "x.db"
    created = sh(command, "--db", db, "init", "--sample", "small-agency", cwd=elsewhere)
    assert created.returncode == 0, created.stderr
    listed = sh(command, "--db", db, "list", "--json", cwd=elsewhere)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 8
    samples = sh(venv / "bin" / "python", "-m", "caio_tui", "samples", cwd=elsewhere)
    assert samples.returncode == 0, samples.stderr
    assert samples.stdout.startswith("civilian-agency")
    page = elsewhere / "briefing.html"  # the HTML briefing's templates ship inside the package
    exported = sh(command, "--db", db, "export", "--format", "html", "-o", page, cwd=elsewhere)
    assert exported.returncode == 0, exported.stderr
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
