"""Targets run in child processes: results come back, program errors come back as codes, and a run that
overruns or a child that dies costs only that run."""

from __future__ import annotations

import json
import threading

import pytest
from ws_helpers import BELL

from quantum_workspace.simulators import RunFailed, RunInterrupted, SimulatorPool

PROGRAM = json.dumps(BELL).encode()
#: 20 qubits, each through two Hadamards: a million amplitudes to push around, and a one-entry result.
SLOW = json.dumps({"qubits": 20, "circuit": [{"gate": "h", "target": q} for q in range(20)] * 2}).encode()


@pytest.fixture(scope="module")
def pool() -> SimulatorPool:
    simulators = SimulatorPool(1)
    yield simulators
    simulators.close()


def test_a_run_returns_the_targets_output(pool: SimulatorPool) -> None:
    result = pool.run("IonQ", "ionq.simulator", PROGRAM, "ionq.circuit.v1", None, {"shots": 10})
    assert json.loads(result.data) == {"histogram": {"0": 0.5, "3": 0.5}}
    assert result.output_format == "ionq.quantum-results.v1"


def test_program_errors_come_back_as_codes(pool: SimulatorPool) -> None:
    with pytest.raises(RunFailed) as failed:
        pool.run("ionq", "ionq.simulator", b"not json", "ionq.circuit.v1", None, {})
    assert failed.value.code and failed.value.message
    with pytest.raises(RunFailed) as unknown:
        pool.run("ionq", "ionq.nowhere", PROGRAM, "ionq.circuit.v1", None, {})
    assert unknown.value.code == "InvalidTarget"


def test_an_overrun_is_stopped_and_the_next_run_gets_a_new_child(pool: SimulatorPool) -> None:
    with pytest.raises(RunFailed) as failed:
        pool.run("ionq", "ionq.simulator", SLOW, "ionq.circuit.v1", None, {}, timeout=0.001)
    assert failed.value.code == "ExecutionTimedOut"
    assert pool.run("ionq", "ionq.simulator", PROGRAM, "ionq.circuit.v1", None, {}).data


def test_a_dead_child_is_replaced(pool: SimulatorPool) -> None:
    pool.run("ionq", "ionq.simulator", PROGRAM, "ionq.circuit.v1", None, {})
    child = pool._children[0]  # noqa: SLF001 - the test kills the process behind the pool's back
    child._process.kill()  # noqa: SLF001
    child._process.wait(5)  # noqa: SLF001
    assert json.loads(pool.run("ionq", "ionq.simulator", PROGRAM, "ionq.circuit.v1", None, {}).data)["histogram"]


def test_a_run_in_progress_when_the_pool_closes_is_interrupted_not_failed() -> None:
    """The pool closes at exit while a worker thread may still be running a job: that job has no outcome
    (it stays Executing and runs again at the next start); recording it Failed would lose it."""
    closing = SimulatorPool(1)
    outcome: list[type[BaseException]] = []
    in_run, closed = threading.Event(), threading.Event()

    def admit(_cost: object) -> None:  # the child has the job and waits for this answer
        in_run.set()
        assert closed.wait(30)

    def run() -> None:
        try:
            closing.run("IonQ", "ionq.simulator", PROGRAM, "ionq.circuit.v1", None, {"shots": 1}, admit=admit)
        except BaseException as error:  # noqa: BLE001 - the type is what the test looks at
            outcome.append(type(error))

    runner = threading.Thread(target=run)
    runner.start()
    assert in_run.wait(60)
    closing.close()
    closed.set()
    runner.join(30)
    assert outcome == [RunInterrupted]
    with pytest.raises(RunInterrupted):  # and a closed pool starts no child again
        closing.run("IonQ", "ionq.simulator", PROGRAM, "ionq.circuit.v1", None, {"shots": 1})
