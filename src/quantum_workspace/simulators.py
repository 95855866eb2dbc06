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
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["RunFailed", "Simulation", "SimulatorPool", "simulator_pool"]

log = logging.getLogger("quantum_workspace.simulators")


@dataclass(frozen=True, slots=True)
class Simulation:
    """What a successful run produced."""

    data: bytes
    content_type: str
    output_format: str


class RunFailed(Exception):  # noqa: N818 - an outcome, raised to the worker only
    """A run that produced no output: `code` and `message` become the job's errorData."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _serve(connection: Connection) -> None:
    """The child's loop: one task at a time from the parent, answers as plain tuples (always picklable)."""
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    from quantum_workspace.targets import ProgramError, TargetNotFound, get_catalog

    catalog = get_catalog()
    while True:
        try:
            provider_id, target_id, program, input_format, output_format, params = connection.recv()
        except (EOFError, OSError):
            return
        try:
            output = catalog.find(provider_id, target_id).run(program, input_format, output_format, params)
            answer: tuple[Any, ...] = ("ok", output.data, output.content_type, output.output_format)
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

    def run(self, task: tuple[Any, ...], timeout: float | None) -> Simulation:
        if self._process is None or self._process.poll() is not None:
            self.stop()
            self._start()
        assert self._connection is not None
        try:
            self._connection.send(task)
            if not self._connection.poll(timeout):
                self.stop()
                raise RunFailed("ExecutionTimedOut", f"The job ran longer than {timeout:g} s and was stopped.")
            answer = self._connection.recv()
        except (EOFError, OSError, BrokenPipeError):
            code = self._process.poll() if self._process is not None else None
            self.stop()
            raise RunFailed(
                "ExecutionFailed", f"The simulator process stopped while running the job (exit code {code})."
            ) from None
        if answer[0] == "ok":
            return Simulation(answer[1], answer[2], answer[3])
        raise RunFailed(answer[1], answer[2])

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait(5)
            self._process = None


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
    ) -> Simulation:
        """Run one program; RunFailed when it cannot (program error, crash, timeout)."""
        child = self._idle.get()
        try:
            return child.run((provider_id, target_id, program, input_format, output_format, dict(params)), timeout)
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

    def close(self) -> None:
        for child in self._children:
            child.stop()


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
