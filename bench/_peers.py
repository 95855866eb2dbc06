"""Installing and finding the peer runners the benchmarks compare against, each in its own place under
bench/.venvs/ (git-ignored): Jentic's arazzo-runner in a Python venv, Redocly's CLI with npm. They are never
project dependencies; a peer that cannot be installed is reported as n/a, never faked."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Peer", "BENCH", "VENVS", "jentic", "respect", "python_info"]

BENCH = Path(__file__).resolve().parent
VENVS = BENCH / ".venvs"
JENTIC_SPEC = "arazzo-runner==0.9.6"
RESPECT_SPEC = "@redocly/cli@2.77.0"


@dataclass(frozen=True)
class Peer:
    """A peer ready to run (`path` is its interpreter or executable), or why not (`reason`)."""

    name: str
    version: str | None
    path: Path | None
    reason: str | None = None

    @property
    def available(self) -> bool:
        return self.path is not None


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)


def jentic(install: bool = True) -> Peer:
    """Jentic's arazzo-runner in bench/.venvs/jentic (created with `python -m venv` + pip on first use)."""
    venv = VENVS / "jentic"
    python = venv / "bin" / "python"
    cli = venv / "bin" / "arazzo-runner"
    if not cli.exists() and install:
        print(f"installing {JENTIC_SPEC} into {venv} ...", file=sys.stderr, flush=True)
        VENVS.mkdir(parents=True, exist_ok=True)
        made = _run([sys.executable, "-m", "venv", str(venv)])
        if made.returncode == 0:
            made = _run([str(python), "-m", "pip", "install", "-q", JENTIC_SPEC])
        if made.returncode != 0:
            return Peer("jentic", None, None, f"pip install failed: {made.stderr.strip()[-300:]}")
    if not cli.exists():
        return Peer("jentic", None, None, "not installed")
    probe = _run([str(python), "-c", "import importlib.metadata as m; print(m.version('arazzo-runner'))"])
    return Peer("jentic", probe.stdout.strip() or None, python)


def respect(install: bool = True) -> Peer:
    """Redocly's CLI (`redocly respect`) installed with npm into bench/.venvs/node; n/a without Node/npm."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return Peer("respect", None, None, "Node.js/npm not found")
    prefix = VENVS / "node"
    cli = prefix / "node_modules" / ".bin" / "redocly"
    if not cli.exists() and install:
        print(f"installing {RESPECT_SPEC} into {prefix} ...", file=sys.stderr, flush=True)
        prefix.mkdir(parents=True, exist_ok=True)
        if not (prefix / "package.json").exists():
            (prefix / "package.json").write_text('{"name": "bench-peers", "private": true}\n')
        made = _run(["npm", "install", "--no-audit", "--no-fund", RESPECT_SPEC], cwd=prefix)
        if made.returncode != 0:
            return Peer("respect", None, None, f"npm install failed: {made.stderr.strip()[-300:]}")
    if not cli.exists():
        return Peer("respect", None, None, "not installed")
    probe = _run([str(cli), "--version"])
    return Peer("respect", probe.stdout.strip().splitlines()[0] if probe.stdout.strip() else None, cli)


def python_info() -> str:
    """The interpreter the benchmark itself runs on, for the results header."""
    return f"Python {sys.version.split()[0]}"
