"""CLI benchmark: wall time of one process per run for the engine benchmark's 5-step workflow.

    python bench/engine_cli.py [--runs N] [--no-peers]

Runs `arazzo run` (plain progress, and `--json`), Jentic's `arazzo-runner execute-workflow` and Redocly's
`redocly respect` on the same files against the same loopback server (bench/_server.py), interleaved
(the order rotates every round), each as a user types it with its default output, stdout/stderr captured.
Wall time from spawn to exit with time.perf_counter; median, p90 and max over N runs. Every run must exit 0
and show the workflow's outputs, else it counts as a failure.
Not a test: targets are printed as met or missed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _peers import jentic, respect  # noqa: E402
from _server import live_fixtures, running_server  # noqa: E402
from engine import INPUTS, WORKFLOW, machine  # noqa: E402

TARGET_RATIO = 2.0  # Jentic's CLI / ours
TARGET_MAX_MS = 300.0


@dataclass
class Tool:
    """One command line and how to tell that its run really did the workflow."""

    key: str
    label: str
    argv: list[str]
    succeeded: Callable[[subprocess.CompletedProcess[str]], bool]
    times: list[float] = field(default_factory=list)
    failures: int = 0
    error: str | None = None

    def run_once(self) -> None:
        start = time.perf_counter()
        done = subprocess.run(self.argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
        self.times.append(time.perf_counter() - start)
        if not self.succeeded(done):
            self.failures += 1
            self.error = self.error or f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[-300:]}"

    def stats_ms(self) -> tuple[float, float, float, float]:
        ms = sorted(t * 1000 for t in self.times)
        p90 = statistics.quantiles(ms, n=10)[-1] if len(ms) >= 10 else ms[-1]
        return statistics.median(ms), p90, ms[0], ms[-1]


def _ours_plain(done: subprocess.CompletedProcess[str]) -> bool:
    return done.returncode == 0


def _ours_json(done: subprocess.CompletedProcess[str]) -> bool:
    if done.returncode != 0:
        return False
    report = json.loads(done.stdout)
    outputs = report.get("outputs", {})
    pet = outputs.get("petId")
    return bool(report.get("status") == "succeeded" and pet is not None and outputs.get("parentId") == pet)


def _jentic_ok(done: subprocess.CompletedProcess[str]) -> bool:
    return done.returncode == 0 and "workflow_complete" in done.stdout and "'parentId'" in done.stdout


def _respect_ok(done: subprocess.CompletedProcess[str]) -> bool:
    return done.returncode == 0 and "1 passed, 1 total" in done.stdout


def arazzo_cli() -> list[str]:
    """Our console script as installed next to this interpreter (the project's venv), else on PATH."""
    beside = Path(sys.executable).parent / "arazzo"
    found = str(beside) if beside.exists() else shutil.which("arazzo")
    if found is None:
        raise SystemExit("the `arazzo` command is not installed (pip install -e . in the project venv)")
    return [found]


def import_breakdown(argv: list[str], top: int = 14) -> str:
    """One run under `python -X importtime`: where the process start goes, package by package."""
    script = Path(argv[0])
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(script), *argv[1:]],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    bare = min(_wall([sys.executable, "-c", "pass"]) for _ in range(5))
    rows: list[tuple[int, int, str]] = []  # (cumulative us, self us, module) for every import
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative), int(own), name.rstrip()))
    total = sum(c for c, _o, n in rows if not n.startswith("  "))
    packages: dict[str, int] = {}
    for c, _o, n in rows:  # the biggest import of each third-party/stdlib package, wherever it happened
        root = n.strip().split(".")[0]
        if root != "arazzo":
            packages[root] = max(packages.get(root, 0), c)
    own_modules = sorted(((o, n.strip()) for _c, o, n in rows if n.strip().startswith("arazzo")), reverse=True)
    out = [
        f"python start (-c pass, best of 5): {bare:.1f} ms; imports in one `arazzo run`: {total / 1000:.1f} ms "
        "(-X importtime inflates them a little)",
        "  heaviest packages (cumulative ms): "
        + ", ".join(f"{k} {v / 1000:.1f}" for k, v in sorted(packages.items(), key=lambda kv: -kv[1])[:top]),
        f"  arazzo's own modules (self ms, {sum(o for o, _n in own_modules) / 1000:.1f} in all): "
        + ", ".join(f"{n} {o / 1000:.1f}" for o, n in own_modules[:8]),
    ]
    return "\n".join(out)


def _wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description="CLI wall-time benchmark (see the module docstring).")
    parser.add_argument("--runs", type=int, default=30, help="runs per tool (default 30)")
    parser.add_argument("--no-peers", action="store_true", help="skip Jentic and Respect (no installs)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--breakdown", action="store_true", help="also show where `arazzo run`'s start goes")
    args = parser.parse_args()

    info = machine()
    print(
        f"# engine CLI benchmark — {info['date']}; {info['nproc']} cpu {info['arch']}; {info['python']}; "
        f"node {info['node']}"
    )
    missing: dict[str, str] = {}
    peers = [] if args.no_peers else [jentic(), respect()]
    if args.no_peers:
        missing = {"jentic": "--no-peers", "respect": "--no-peers"}

    with running_server() as base_url, tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        doc = live_fixtures(base_url, Path(tmp) / "fixtures")
        ours_inputs = [a for k, v in INPUTS.items() for a in ("--input", f"{k}={v}")]
        tools = [
            Tool("ours", "arazzo run", [*arazzo_cli(), "run", str(doc), *ours_inputs], _ours_plain),
            Tool(
                "ours-json",
                "arazzo run --json",
                [*arazzo_cli(), "run", str(doc), *ours_inputs, "--json"],
                _ours_json,
            ),
        ]
        for peer in peers:
            if not peer.available:
                missing[peer.name] = peer.reason or "unavailable"
                continue
            print(f"# peer {peer.name} {peer.version}")
            if peer.name == "jentic":
                assert peer.path is not None
                cli = peer.path.parent / "arazzo-runner"
                tools.append(
                    Tool(
                        "jentic",
                        "Jentic arazzo-runner execute-workflow",
                        [
                            str(cli),
                            "execute-workflow",
                            str(doc),
                            "--workflow-id",
                            WORKFLOW,
                            "--inputs",
                            json.dumps(INPUTS),
                        ],
                        _jentic_ok,
                    )
                )
            elif peer.name == "respect":
                tools.append(
                    Tool(
                        "respect",
                        "Redocly respect",
                        [str(peer.path), "respect", str(doc), *ours_inputs],
                        _respect_ok,
                    )
                )

        for tool in tools:  # warm the disk cache and bytecode, untimed
            subprocess.run(tool.argv, capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
        if args.breakdown:
            breakdown = import_breakdown(tools[0].argv)
        print(f"# {args.runs} runs per tool, one process per run, order rotating each round", flush=True)
        for r in range(args.runs):
            order = tools[r % len(tools) :] + tools[: r % len(tools)]
            for tool in order:
                tool.run_once()

    ours = tools[0]
    ours_median = ours.stats_ms()[0]
    header = f"{'tool':40} {'median ms':>10} {'p90':>8} {'min':>8} {'max':>8} {'x ours':>7} {'runs':>5}"
    header += f" {'fail':>5}"
    print()
    print(header)
    print("-" * len(header))
    rows = []
    for tool in tools:
        med, p90, lo, hi = tool.stats_ms()
        print(
            f"{tool.label:40} {med:10.1f} {p90:8.1f} {lo:8.1f} {hi:8.1f} {med / ours_median:7.2f} "
            f"{len(tool.times):5d} {tool.failures:5d}"
        )
        if tool.error:
            print(f"    first failure: {tool.error[:300]}")
        rows.append(
            {
                "tool": tool.key,
                "median_ms": med,
                "p90_ms": p90,
                "min_ms": lo,
                "max_ms": hi,
                "failures": tool.failures,
            }
        )
    for name, reason in missing.items():
        print(f"{name:40} {'n/a':>10}   ({reason})")
    print()
    worst = max(max(t.times) for t in tools if t.key.startswith("ours")) * 1000
    print(
        f"target never above {TARGET_MAX_MS:.0f} ms: slowest `arazzo run` {worst:.1f} ms — "
        f"{'met' if worst <= TARGET_MAX_MS else 'MISSED'}"
    )
    jent = next((t for t in tools if t.key == "jentic"), None)
    if jent:
        ratio = jent.stats_ms()[0] / ours_median
        print(
            f"target >= {TARGET_RATIO:.0f}x faster than Jentic's CLI (medians): {ratio:.2f}x — "
            f"{'met' if ratio >= TARGET_RATIO else 'MISSED'}"
        )
    else:
        print(f"target >= {TARGET_RATIO:.0f}x faster than Jentic's CLI: n/a ({missing.get('jentic')})")
    if args.breakdown:
        print()
        print(breakdown)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
