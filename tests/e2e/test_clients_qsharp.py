"""A Q# program compiled by the QDK (`qdk.qsharp`, telemetry off) and submitted through the azure-quantum SDK,
unmodified, to a real `quantum-workspace serve`: base-profile QIR on IonQ and Rigetti, adaptive QIR (a
measurement that steers the program) on Quantinuum, and the same program's resource estimate."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

import pytest

os.environ["QDK_PYTHON_TELEMETRY"] = "none"

from azure.quantum import Workspace  # noqa: E402
from azure.quantum.target import Target  # noqa: E402
from qdk import TargetProfile, qsharp  # noqa: E402

from ._sdk import sdk_workspace  # noqa: E402
from ._stats import assert_distribution  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

SUBSCRIPTION = "00000000-0000-0000-0000-0000000000c3"
TIMEOUT = 120

GHZ = """
operation GHZ() : Result[] {
    use qs = Qubit[3];
    H(qs[0]);
    CNOT(qs[0], qs[1]);
    CNOT(qs[0], qs[2]);
    MResetEachZ(qs)
}"""

# Adaptive: measure a qubit in superposition and flip another one when it read One; then a loop-free
# classical computation on the results. Outcome (m, m == One) for m uniformly Zero/One.
FEED_FORWARD = """
operation FeedForward() : (Result, Bool) {
    use (a, b) = (Qubit(), Qubit());
    H(a);
    let m = MResetZ(a);
    if m == One { X(b); }
    let r = MResetZ(b);
    (m, r == One)
}"""


def assert_frequencies(histogram: Mapping[str, float], expected: Mapping[str, float], shots: int) -> None:
    """`histogram` holds frequencies (count / shots), as the SDK's get_results() returns for QIR jobs."""
    assert_distribution({key: round(p * shots) for key, p in histogram.items()}, expected, shots)


@pytest.fixture(scope="module")
def workspace(workspace_server_session) -> Workspace:
    base_url, key, _ = workspace_server_session
    return sdk_workspace(base_url, key, subscription_id=SUBSCRIPTION, resource_group="rg-qsharp", name="ws-qsharp")


@pytest.fixture
def base_program() -> Iterator[object]:
    qsharp.init(target_profile=TargetProfile.Base)
    qsharp.eval(GHZ)
    yield qsharp.compile("GHZ()")


@pytest.mark.parametrize("target", ["ionq.simulator", "rigetti.sim.qvm", "quantinuum.sim.h2-1e"])
def test_base_profile_program(workspace, base_program, target: str) -> None:
    job = workspace.get_targets(name=target).submit(base_program, name="ghz-qsharp", shots=300)
    job.wait_until_completed(timeout_secs=TIMEOUT)

    assert job.details.status == "Succeeded", job.details.error_data
    assert job.details.input_data_format == "qir.v1"
    assert job.details.input_params["entryPoint"] == "ENTRYPOINT__main"
    assert_frequencies(job.get_results(), {"[0, 0, 0]": 0.5, "[1, 1, 1]": 0.5}, 300)


def test_adaptive_program_on_quantinuum(workspace) -> None:
    qsharp.init(target_profile=TargetProfile.Adaptive_RI)
    qsharp.eval(FEED_FORWARD)
    program = qsharp.compile("FeedForward()")

    job = workspace.get_targets(name="quantinuum.sim.h2-1e").submit(program, name="feed-forward", shots=300)
    job.wait_until_completed(timeout_secs=TIMEOUT)

    assert job.details.status == "Succeeded", job.details.error_data
    # tuples are written as {"Item1", "Item2"} and displayed as Python tuples
    assert_frequencies(job.get_results(), {"(0, False)": 0.5, "(1, True)": 0.5}, 300)
    shots = job.get_results_shots()
    assert len(shots) == 300 and all(shot in ((0, False), (1, True)) for shot in shots)


def test_program_resource_estimate(workspace, base_program) -> None:
    from qdk.estimator import EstimatorResult

    target = Target(
        workspace,
        name="microsoft.estimator",
        provider_id="microsoft-qc",
        input_data_format="qir.v1",
        output_data_format="microsoft.resource-estimates.v1",
        content_type="qir.v1",
    )
    params = {"qubitParams": {"name": "qubit_gate_ns_e3"}, "errorBudget": 0.001}
    # a QIR submission defaults to the results format; the estimator's own format is asked for explicitly,
    # as azure-quantum's former MicrosoftEstimator class did
    job = target.submit(
        base_program, name="estimate", input_params=params, output_data_format="microsoft.resource-estimates.v1"
    )

    result = EstimatorResult(job.get_results(timeout_secs=TIMEOUT))
    local = qsharp.estimate("GHZ()", params)

    assert result["logicalCounts"] == dict(qsharp.logical_counts("GHZ()"))
    assert result["physicalCounts"]["physicalQubits"] == local["physicalCounts"]["physicalQubits"]
    assert result["physicalCounts"]["runtime"] == local["physicalCounts"]["runtime"]
