"""Targets run in child processes, never in the server: a simulator that crashes (native code), hangs or
leaks takes only its child with it. The job fails with a clear error and the child is replaced.

One process-wide set of children serves every app in the process (tests start many); each child is used
by one job at a time, imports the simulators once and then stays warm.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["Admit", "RunCancelled", "RunFailed", "RunInterrupted", "Simulation", "SimulatorPool", "simulator_pool"]

log = logging.getLogger("quantum_workspace.simulators")


@dataclass(frozen=True, slots=True)
class Simulation:
    """What a successful run produced."""

    data: bytes
    content_type: str
    output_format: str
    #: The contract's CostEstimate, computed in the child; None when the program's operations cannot be counted.
    cost_estimate: dict[str, Any] | None = None


class RunFailed(Exception):  # noqa: N818 - an outcome, raised to the worker only
    """A run that produced no output: `code` and `message` become the job's errorData."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class RunCancelled(RunFailed):
    """The job was cancelled while it ran: its child was killed and nothing was produced."""

    def __init__(self) -> None:
        super().__init__("Cancelled", "The job was cancelled while it was executing.")


class RunInterrupted(Exception):  # noqa: N818 - an outcome, raised to the worker only
    """The pool was closed (the process is exiting) while the run went on: no outcome to record. The job
    stays Executing and is re-queued at the next start, as Worker.stop promises for a job still running."""


#: How much lower the children's CPU priority is than the server's: a simulation that needs every core
#: must not take them from the API (requests keep their latency; jobs take the time that is left).
SIMULATOR_NICENESS = 10

#: Called with the job's cost estimate before it runs (None: not countable); raises RunFailed to refuse it.
Admit = Callable[[dict[str, Any] | None], None]
#: How often a running job's `cancelled` check is asked, in seconds (the answer itself comes at once).
_CANCEL_CHECK_EVERY = 0.05


def _estimate(target: Any, program: bytes, input_format: str, params: Any) -> dict[str, Any] | None:
    """The cost estimate, or None when it cannot be made (the run reports program errors itself)."""
    from quantum_workspace.targets import ProgramError

    try:
        cost: dict[str, Any] = target.estimate_cost(program, input_format, params)
    except ProgramError:
        return None
    except Exception:  # a counter bug must not fail a job that ran
        log.exception("cost estimate failed on target %s", getattr(target.info, "id", "?"))
        return None
    return cost


def _serve(connection: Connection) -> None:
    """The child's loop: one task at a time from the parent, answers as plain tuples (always picklable).

    The cost is estimated here (counting a QIR program needs qiskit, which stays out of the server): after
    the run, or before it when the parent asks to admit the job first (quotas): then the child sends
    ("estimate", cost) and waits for True (run it) or False (skip it)."""
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    if hasattr(os, "nice"):
        os.nice(SIMULATOR_NICENESS)
    from quantum_workspace.targets import ProgramError, TargetNotFound, get_catalog

    catalog = get_catalog()
    while True:
        try:
            provider_id, target_id, program, input_format, output_format, params, admit_first = connection.recv()
        except (EOFError, OSError):
            return
        try:
            target = catalog.find(provider_id, target_id)
            cost = None
            if admit_first:
                cost = _estimate(target, program, input_format, params)
                connection.send(("estimate", cost))
                if not connection.recv():
                    continue
            output = target.run(program, input_format, output_format, params)
            if cost is None:
                cost = _estimate(target, program, input_format, params)
            answer: tuple[Any, ...] = ("ok", output.data, output.content_type, output.output_format, cost)
        except ProgramError as error:
            answer = ("failed", error.code, error.message)
        except TargetNotFound as error:
            answer = ("failed", "InvalidTarget", error.message)
        except Exception as error:  # a simulator bug fails the job; the child lives on
            answer = ("failed", "ExecutionFailed", f"The target failed while running the job ({type(error).__name__}).")
        connection.send(answer)


class _Child:
    """One child process (`python -m quantum_workspace.simulators FD`) and the parent's end of its socket.

    A plain subprocess rather than multiprocessing: nothing of the parent's `__main__` is re-imported,
    and the threaded server never forks a copy of itself."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._closed = False  # by the pool at exit: no new child, and a run in progress is interrupted

    def _start(self) -> None:
        parent, child = socket.socketpair()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "quantum_workspace.simulators", str(child.fileno())],
                pass_fds=[child.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=dict(os.environ, QDK_PYTHON_TELEMETRY=os.environ.get("QDK_PYTHON_TELEMETRY", "none")),
            )
        finally:
            child.close()
        self._connection = Connection(parent.detach())

    def run(
        self,
        task: tuple[Any, ...],
        timeout: float | None,
        admit: Admit | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> Simulation:
        if self._closed:
            raise RunInterrupted()
        if self._process is None or self._process.poll() is not None:
            self.stop()
            self._start()
        connection, process = self._connection, self._process  # close() may clear them from another thread
        assert connection is not None and process is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            connection.send((*task, admit is not None))
            answer = self._answer(deadline, timeout, cancelled)
            if answer[0] == "estimate":
                assert admit is not None
                try:
                    admit(answer[1])
                except BaseException:
                    connection.send(False)
                    raise
                connection.send(True)
                answer = self._answer(deadline, timeout, cancelled)
        except (EOFError, OSError, BrokenPipeError):
            if self._closed:
                raise RunInterrupted() from None
            code = process.poll()
            self.stop()
            raise RunFailed(
                "ExecutionFailed", f"The simulator process stopped while running the job (exit code {code})."
            ) from None
        if answer[0] == "ok":
            return Simulation(answer[1], answer[2], answer[3], answer[4])
        raise RunFailed(answer[1], answer[2])

    def _answer(
        self, deadline: float | None, timeout: float | None, cancelled: Callable[[], bool] | None
    ) -> tuple[Any, ...]:
        """The child's next answer; the child is killed (and replaced at the next run) on timeout or cancel."""
        while True:
            connection = self._connection
            if connection is None:  # stopped from another thread (the pool closed at exit): as if it died
                raise EOFError("the simulator process was stopped")
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if cancelled is None:
                wait = remaining
            else:
                wait = _CANCEL_CHECK_EVERY if remaining is None else min(_CANCEL_CHECK_EVERY, remaining)
            if connection.poll(wait):
                answer: tuple[Any, ...] = connection.recv()
                return answer
            if cancelled is not None and cancelled():
                self.stop()
                raise RunCancelled()
            if deadline is not None and time.monotonic() >= deadline:
                self.stop()
                raise RunFailed("ExecutionTimedOut", f"The job ran longer than {timeout:g} s and was stopped.")

    def stop(self) -> None:
        connection, self._connection = self._connection, None  # taken first: two threads may stop at once
        process, self._process = self._process, None
        if connection is not None:
            connection.close()
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait(5)

    def close(self) -> None:
        """For good (the pool at exit): a run in progress ends with RunInterrupted, not a failure."""
        self._closed = True
        self.stop()


class SimulatorPool:
    """`size` children, each lent to one run at a time."""

    def __init__(self, size: int) -> None:
        self._idle: queue.SimpleQueue[_Child] = queue.SimpleQueue()
        self._children = [_Child() for _ in range(max(1, size))]
        self._warm_lock = threading.Lock()
        self._warmed = False
        for child in self._children:
            self._idle.put(child)

    def run(
        self,
        provider_id: str,
        target_id: str,
        program: bytes,
        input_format: str,
        output_format: str | None,
        params: Mapping[str, Any],
        *,
        timeout: float | None = None,
        admit: Admit | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> Simulation:
        """Run one program; RunFailed when it cannot (program error, crash, timeout, refused by `admit`),
        RunCancelled when `cancelled()` turns true while it runs (its child is killed)."""
        child = self._idle.get()
        try:
            task = (provider_id, target_id, program, input_format, output_format, dict(params))
            return child.run(task, timeout, admit, cancelled)
        finally:
            self._idle.put(child)

    def warm(self) -> None:
        """Start every child and have it run a one-qubit job, so the first real job does not pay for
        starting Python and importing a simulator. Idempotent; failures only mean a cold first job."""
        with self._warm_lock:
            if self._warmed:
                return
            self._warmed = True
        program = b'{"qubits": 1, "circuit": [{"gate": "h", "target": 0}]}'
        for _ in self._children:
            try:
                self.run("ionq", "ionq.simulator", program, "ionq.circuit.v1", None, {}, timeout=120)
            except RunFailed as failure:
                log.warning("simulator warm-up failed: %s", failure.message)
            except RunInterrupted:
                return

    def close(self) -> None:
        for child in self._children:
            child.close()


_lock = threading.Lock()
_pool: SimulatorPool | None = None


def simulator_pool(size: int = 2) -> SimulatorPool:
    """The process-wide pool, sized by its first user (the server's --worker-threads)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = SimulatorPool(size)
            atexit.register(_pool.close)
        return _pool


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
