"""Benchmark of the simulating targets (not a test): what running a job through the workspace costs over
calling qiskit-aer directly on the same circuit.

    .venv/bin/python bench/simulation.py [--qubits 20] [--depth 20] [--shots 1000] [--reps 5] [--json]
    .venv/bin/python bench/simulation.py --profile          # where a job's server-side time goes
    .venv/bin/python bench/simulation.py --max-qubits [--limit 60]

Default mode: one random circuit (random one-qubit gates on every qubit, then CX on a random pairing, per
layer), 1,000 shots, run in turns: qiskit-aer called directly, the same circuit as IonQ JSON on an IonQ QPU
target through the SDK's `IonQ` target, and as Qiskit through `AzureQuantumProvider` on `rigetti.sim.qvm`
(the QIR path). The service is a real `quantum-workspace serve` subprocess. Reported per path: the job's
server-side execution (endExecutionTime - beginExecutionTime) and the client's submit-to-results time, each
as a ratio to the direct Aer run of the same turn (medians over the turns).

--max-qubits: for each input format, the largest width whose job (a depth-20 random circuit, 1,000 shots;
for Pulser a global pulse on n atoms) runs in `--limit` seconds on this machine, each trial `target.run` in a
child process that is killed at the limit; widths grow by 2 and the last step is bisected.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import math
import multiprocessing
import os
import platform
import pstats
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
warnings.filterwarnings("ignore")

BIN = Path(sys.executable).parent
LISTENING = re.compile(r"listening on (https?://\S+)")
SUBSCRIPTION = "00000000-0000-0000-0000-0000000be501"
ONE_QUBIT = ("h", "rx", "ry", "rz", "t", "s")
ROTATIONS = ("rx", "ry", "rz")
IONQ_QPU = "ionq.qpu.forte-1"  # 36 qubits: room for the --max-qubits search too
QVM = "rigetti.sim.qvm"

# -- the circuit, in every format -------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    name: str
    qubits: tuple[int, ...]
    angle: float | None = None


def random_circuit(width: int, depth: int, seed: int) -> list[Op]:
    """`depth` layers: a random one-qubit gate (rotations at random angles) on every qubit, then CX between
    the qubits of a random pairing."""
    rng = random.Random(seed)
    ops: list[Op] = []
    for _ in range(depth):
        for qubit in range(width):
            name = rng.choice(ONE_QUBIT)
            ops.append(Op(name, (qubit,), rng.uniform(0, 2 * math.pi) if name in ROTATIONS else None))
        order = list(range(width))
        rng.shuffle(order)
        ops.extend(Op("cx", (order[i], order[i + 1])) for i in range(0, width - 1, 2))
    return ops


def to_qiskit(width: int, ops: list[Op]) -> Any:
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(width, name="random")
    for op in ops:
        getattr(circuit, op.name)(*([op.angle] if op.angle is not None else []), *op.qubits)
    circuit.measure_all()
    return circuit


def to_ionq(width: int, ops: list[Op]) -> dict[str, Any]:
    gates: list[dict[str, Any]] = []
    for op in ops:
        if op.name == "cx":
            gates.append({"gate": "cnot", "control": op.qubits[0], "target": op.qubits[1]})
        elif op.angle is not None:
            gates.append({"gate": op.name, "target": op.qubits[0], "rotation": op.angle})
        else:
            gates.append({"gate": op.name, "target": op.qubits[0]})
    return {"qubits": width, "circuit": gates}


def to_qasm2(width: int, ops: list[Op]) -> str:
    lines = ["OPENQASM 2.0;", 'include "qelib1.inc";', f"qreg q[{width}];", f"creg c[{width}];"]
    for op in ops:
        angle = f"({op.angle!r})" if op.angle is not None else ""
        lines.append(f"{op.name}{angle} " + ",".join(f"q[{q}]" for q in op.qubits) + ";")
    lines.append("measure q -> c;")
    return "\n".join(lines) + "\n"


def to_quil(width: int, ops: list[Op]) -> str:
    names = {"h": "H", "rx": "RX", "ry": "RY", "rz": "RZ", "t": "T", "s": "S", "cx": "CNOT"}
    lines = [f"DECLARE ro BIT[{width}]"]
    for op in ops:
        angle = f"({op.angle!r})" if op.angle is not None else ""
        lines.append(f"{names[op.name]}{angle} " + " ".join(map(str, op.qubits)))
    lines += [f"MEASURE {q} ro[{q}]" for q in range(width)]
    return "\n".join(lines) + "\n"


def to_qir(width: int, ops: list[Op]) -> str:
    from qdk import TargetProfile, openqasm

    return str(openqasm.compile(to_qasm2(width, ops), target_profile=TargetProfile.Base))


def to_pulser(atoms: int) -> str:
    """A resonant global pi/2 pulse on `atoms` atoms on a square grid (10 um apart: blockaded neighbours)."""
    from pulser import Pulse, Register, Sequence
    from pulser.devices import MockDevice
    from pulser.waveforms import BlackmanWaveform

    side = math.ceil(math.sqrt(atoms))
    coordinates = [(10.0 * (i % side), 10.0 * (i // side)) for i in range(atoms)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sequence = Sequence(Register.from_coordinates(coordinates, prefix="q"), MockDevice)
        sequence.declare_channel("rydberg", "rydberg_global")
        sequence.add(Pulse.ConstantDetuning(BlackmanWaveform(500, math.pi / 2), 0, 0), "rydberg")
        sequence.measure("ground-rydberg")
    return json.dumps({"sequence_builder": json.loads(sequence.to_abstract_repr())})


# -- the service ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def serve(workers: int) -> Iterator[tuple[str, str]]:
    """A real `quantum-workspace serve` on a free loopback port: yields (base_url, api_key)."""
    key = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="bench-sim-") as tmp:
        log = open(Path(tmp) / "server.log", "w")  # noqa: SIM115 - closed below
        command = [
            str(BIN / "quantum-workspace"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            str(Path(tmp) / "data"),
            f"--api-key={key}",
            f"--worker-threads={workers}",
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            assert process.stdout is not None
            for line in process.stdout:
                match = LISTENING.search(line)
                if match:
                    break
            else:
                raise RuntimeError("quantum-workspace serve did not start: " + (Path(tmp) / "server.log").read_text())
            yield match.group(1), key
        finally:
            process.terminate()
            process.wait(30)
            log.close()


def workspace(base_url: str, key: str) -> Any:
    from azure.core.credentials import AzureKeyCredential
    from azure.quantum import Workspace

    return Workspace(
        subscription_id=SUBSCRIPTION,
        resource_group="rg-bench",
        name="ws-bench",
        location="eastus",
        credential=AzureKeyCredential(key),
        _quantum_endpoint=base_url + "/",
    )


def server_seconds(details: Any) -> float:
    return float((details.end_execution_time - details.begin_execution_time).total_seconds())


# -- the three paths ------------------------------------------------------------------------------------


def run_direct(circuit: Any, shots: int) -> float:
    """qiskit-aer on the qiskit circuit, as a user would call it: the simulator's own time, end to end."""
    from qiskit_aer import AerSimulator

    simulator = AerSimulator()
    start = time.perf_counter()
    counts = simulator.run(circuit, shots=shots).result().get_counts()
    elapsed = time.perf_counter() - start
    assert sum(counts.values()) == shots
    return elapsed


def run_ionq(ws: Any, program: dict[str, Any], shots: int) -> tuple[float, float]:
    from azure.quantum.target import IonQ

    start = time.perf_counter()
    job = IonQ(ws, IONQ_QPU).submit(program, name="bench-ionq", shots=shots)
    histogram = job.get_results(timeout_secs=600)["histogram"]
    client = time.perf_counter() - start
    assert math.isclose(sum(histogram.values()), 1.0, abs_tol=1e-6), job.details.error_data
    return server_seconds(job.details), client


def run_qiskit_qvm(provider: Any, circuit: Any, shots: int) -> tuple[float, float]:
    start = time.perf_counter()
    job = provider.get_backend(QVM).run(circuit, shots=shots)
    counts = job.result(timeout=600).get_counts()
    client = time.perf_counter() - start
    assert sum(counts.values()) == shots
    return server_seconds(job._azure_job.details), client


def compare(args: argparse.Namespace) -> dict[str, Any]:
    from azure.quantum.qiskit import AzureQuantumProvider

    ops = random_circuit(args.qubits, args.depth, args.seed)
    circuit = to_qiskit(args.qubits, ops)
    ionq_program = to_ionq(args.qubits, ops)
    rows: dict[str, list[float]] = {k: [] for k in ("direct", "ionq_server", "ionq_client", "qvm_server", "qvm_client")}
    with serve(workers=1) as (base_url, key):
        ws = workspace(base_url, key)
        provider = AzureQuantumProvider(ws)
        run_direct(circuit, args.shots)  # warm-up: imports, Aer's thread pool
        run_ionq(ws, ionq_program, args.shots)
        run_qiskit_qvm(provider, circuit, args.shots)
        for turn in range(args.reps):
            direct = run_direct(circuit, args.shots)
            ionq_server, ionq_client = run_ionq(ws, ionq_program, args.shots)
            direct_again = run_direct(circuit, args.shots)
            qvm_server, qvm_client = run_qiskit_qvm(provider, circuit, args.shots)
            rows["direct"] += [direct, direct_again]
            rows["ionq_server"].append(ionq_server / direct)
            rows["ionq_client"].append(ionq_client / direct)
            rows["qvm_server"].append(qvm_server / direct_again)
            rows["qvm_client"].append(qvm_client / direct_again)
            print(
                f"turn {turn + 1}: direct {direct:.3f}/{direct_again:.3f} s, "
                f"IonQ server {ionq_server:.3f} s client {ionq_client:.3f} s, "
                f"QVM server {qvm_server:.3f} s client {qvm_client:.3f} s",
                file=sys.stderr,
            )
    return {
        "qubits": args.qubits,
        "depth": args.depth,
        "shots": args.shots,
        "reps": args.reps,
        "direct_s": statistics.median(rows["direct"]),
        **{f"{k}_ratio": statistics.median(v) for k, v in rows.items() if k != "direct"},
    }


# -- where the server-side time goes --------------------------------------------------------------------


def profile(args: argparse.Namespace) -> None:
    """The two jobs' programs run through `Target.run` in this process under cProfile, after a warm-up."""
    from qiskit import qasm2

    from quantum_workspace.targets import get_catalog

    ops = random_circuit(args.qubits, args.depth, args.seed)
    catalog = get_catalog()
    # the QIR the Qiskit provider would send: qiskit -> OpenQASM -> qdk, as the provider converts it
    qir = to_qir(args.qubits, ops)
    jobs = [
        ("IonQ JSON on " + IONQ_QPU, catalog.find("ionq", IONQ_QPU), json.dumps(to_ionq(args.qubits, ops)).encode(),
         "ionq.circuit.v1", {"shots": args.shots}),
        ("QIR on " + QVM, catalog.find("rigetti", QVM), qir.encode(), "qir.v1",
         {"shots": args.shots, "items": [{"entryPoint": "ENTRYPOINT__main", "arguments": []}]}),
    ]  # fmt: skip
    circuit = to_qiskit(args.qubits, ops)
    direct = min(run_direct(circuit, args.shots) for _ in range(3))
    print(f"direct Aer: {direct:.3f} s ({qasm2.dumps(circuit).count(chr(10))} lines of OpenQASM)")
    for label, target, program, fmt, params in jobs:
        target.run(program, fmt, None, params)  # warm-up
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            target.run(program, fmt, None, params)
            timings.append(time.perf_counter() - start)
        profiler = cProfile.Profile()
        profiler.enable()
        target.run(program, fmt, None, params)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
        print(f"\n== {label}: Target.run {min(timings):.3f} s = {min(timings) / direct:.2f}x direct")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:4000])


# -- largest width per format in the time limit ---------------------------------------------------------


@dataclass(frozen=True)
class Trial:
    label: str
    provider: str
    target: str
    input_format: str
    limit: int  # the target's declared width, or the format's own cap
    limit_reason: str = "the target's width"


TRIALS = (
    Trial("ionq.circuit.v1 (exact probabilities)", "ionq", "ionq.simulator", "ionq.circuit.v1", 29),
    Trial("ionq.circuit.v1 (sampled)", "ionq", IONQ_QPU, "ionq.circuit.v1", 36),
    Trial("qir.v1 (base profile)", "quantinuum", "quantinuum.sim.h2-1e", "qir.v1", 56),
    Trial("honeywell.openqasm.v1", "quantinuum", "quantinuum.sim.h2-1e", "honeywell.openqasm.v1", 56),
    Trial("rigetti.quil.v1", "rigetti", "rigetti.qpu.cepheus-1-108q", "rigetti.quil.v1", 108),
    Trial("pasqal.pulser.v1 (exact)", "pasqal", "pasqal.sim.emu-mps", "pasqal.pulser.v1", 14, "the exact cap"),
)


def program_for(trial: Trial, width: int, depth: int, seed: int) -> bytes:
    ops = random_circuit(width, depth, seed)
    if trial.input_format == "ionq.circuit.v1":
        return json.dumps(to_ionq(width, ops)).encode()
    if trial.input_format == "qir.v1":
        return to_qir(width, ops).encode()
    if trial.input_format == "honeywell.openqasm.v1":
        return to_qasm2(width, ops).encode()
    if trial.input_format == "rigetti.quil.v1":
        return to_quil(width, ops).encode()
    return to_pulser(width).encode()


def _child(trial: Trial, program: bytes, shots: int, out: Any) -> None:
    os.environ["QDK_PYTHON_TELEMETRY"] = "none"
    from quantum_workspace.targets import get_catalog

    target = get_catalog().find(trial.provider, trial.target)
    try:
        start = time.perf_counter()
        target.run(program, trial.input_format, None, {"shots": shots, "seed": 1})
        out.send(("ok", time.perf_counter() - start))
    except Exception as exc:
        out.send(("error", f"{type(exc).__name__}: {str(exc)[:160]}"))


def attempt(trial: Trial, width: int, args: argparse.Namespace) -> tuple[str, float | str]:
    """('ok', seconds), ('error', message) or ('timeout', limit) for one width, in a fresh process."""
    program = program_for(trial, width, args.depth, args.seed)
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(trial, program, args.shots, send))
    child.start()
    # imports take a few seconds in a fresh process; the limit applies to the run itself
    if receive.poll(args.limit + 30):
        result: tuple[str, float | str] = receive.recv()
        child.join()
        if result[0] == "ok" and isinstance(result[1], float) and result[1] > args.limit:
            return "timeout", result[1]
        return result
    child.kill()
    child.join()
    return "timeout", float(args.limit)


def max_qubits(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for trial in TRIALS:
        start = 2 if trial.input_format == "pasqal.pulser.v1" else args.start
        best: tuple[int, float] | None = None
        failure = ""
        width = start
        while width <= trial.limit:
            status, value = attempt(trial, width, args)
            print(f"{trial.label}: {width} qubits -> {status} {value}", file=sys.stderr)
            if status != "ok":
                failure = f"{width} qubits: {status} {value}"
                if best is not None and width - best[0] == 2:  # bisect the last step
                    status, value = attempt(trial, width - 1, args)
                    print(f"{trial.label}: {width - 1} qubits -> {status} {value}", file=sys.stderr)
                    if status == "ok":
                        best = (width - 1, float(value))
                    else:
                        failure = f"{width - 1} qubits: {status} {value}"
                break
            best = (width, float(value))
            width = width + 2 if width + 2 <= trial.limit or width == trial.limit else trial.limit
        rows.append(
            {
                "format": trial.label,
                "target": trial.target,
                "max_qubits": best[0] if best else None,
                "seconds": round(best[1], 2) if best else None,
                "stopped_by": failure or f"{trial.limit_reason} ({trial.limit})",
            }
        )
    return rows


# -- output ---------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024**2:.0f} GiB RAM"
    return f"{cpu}, {os.cpu_count()} CPUs{memory}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--qubits", type=int, default=20)
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    parser.add_argument("--profile", action="store_true", help="cProfile the server-side work of both jobs")
    parser.add_argument("--max-qubits", action="store_true", help="the largest width per format in --limit s")
    parser.add_argument("--limit", type=float, default=60.0)
    parser.add_argument("--start", type=int, default=16, help="first width of the --max-qubits search")
    args = parser.parse_args()

    if args.profile:
        profile(args)
        return
    if args.max_qubits:
        rows = max_qubits(args)
        if args.json:
            print(json.dumps({"machine": machine(), "limit_s": args.limit, "shots": args.shots, "rows": rows}))
            return
        print(f"largest width in {args.limit:.0f} s, depth {args.depth}, {args.shots} shots — {machine()}")
        print(f"{'format':40} {'target':28} {'qubits':>6} {'seconds':>8}  stopped by")
        for row in rows:
            print(
                f"{row['format']:40} {row['target']:28} {row['max_qubits'] or '-':>6} "
                f"{row['seconds'] or '-':>8}  {row['stopped_by']}"
            )
        return
    result = compare(args)
    if args.json:
        print(json.dumps({"machine": machine(), **result}))
        return
    turns = f"{result['reps']} turns"
    print(f"{result['qubits']} qubits, depth {result['depth']}, {result['shots']} shots, {turns} — {machine()}")
    print(f"direct qiskit-aer (median): {result['direct_s']:.3f} s")
    print(f"{'path':44} {'server-side / direct':>21} {'submit-to-results / direct':>27}")
    for label, key in ((f"IonQ JSON on {IONQ_QPU} (SDK IonQ)", "ionq"), (f"Qiskit -> QIR on {QVM}", "qvm")):
        print(f"{label:44} {result[key + '_server_ratio']:>20.2f}x {result[key + '_client_ratio']:>26.2f}x")


if __name__ == "__main__":
    main()
