"""microsoft.estimator on QIR: logical counts equal qdk's own, estimates equal qdk's, batches, errors."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pyqir
import pytest
from qdk import TargetProfile, qsharp
from qdk.estimator import EstimatorResult

from quantum_workspace.targets import ProgramError, get_catalog
from quantum_workspace.targets.formats.qir import load_module
from quantum_workspace.targets.formats.qir_estimator import logical_counts

ESTIMATOR = get_catalog().find("microsoft-qc", "microsoft.estimator")

PROGRAM = """
operation Prog() : Result[] {
    use qs = Qubit[4];
    H(qs[0]); CNOT(qs[0], qs[1]); T(qs[1]); Adjoint T(qs[2]); CCNOT(qs[0], qs[1], qs[2]);
    Rz(0.3, qs[2]); Rx(0.2, qs[0]); Ry(0.1, qs[2]); Rzz(0.4, qs[1], qs[3]);
    MResetEachZ(qs)
}"""


@pytest.fixture(scope="module")
def program() -> tuple[str, dict[str, int], int]:
    """The QIR of PROGRAM, qdk's logical counts of it, and qdk's physical qubit estimate."""
    qsharp.init(target_profile=TargetProfile.Base)
    qsharp.eval(PROGRAM)
    counts = dict(qsharp.logical_counts("Prog()"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # qdk announces its successor estimator on every call
        physical = qsharp.estimate("Prog()", {"qubitParams": {"name": "qubit_gate_ns_e3"}}).data()
    return str(qsharp.compile("Prog()")), counts, physical["physicalCounts"]["physicalQubits"]


def estimate(source: str | bytes, **params: Any) -> Any:
    raw = source.encode() if isinstance(source, str) else source
    out = ESTIMATOR.run(raw, "qir.v1", None, params)
    assert (out.output_format, out.content_type) == ("microsoft.resource-estimates.v1", "application/json")
    return json.loads(out.data)


def test_logical_counts_equal_qdks(program: tuple[str, dict[str, int], int]) -> None:
    source, reference, _ = program
    module = load_module(source.encode())
    entry = next(f for f in module.functions if pyqir.is_entry_point(f))
    assert logical_counts(entry) == reference


def test_the_estimate_equals_qdks_and_its_result_class_reads_it(
    program: tuple[str, dict[str, int], int],
) -> None:
    source, _, physical_qubits = program
    body = estimate(source, qubitParams={"name": "qubit_gate_ns_e3"}, shots=100)
    assert body["status"] == "success"
    assert body["physicalCounts"]["physicalQubits"] == physical_qubits
    for key in (
        "jobParams",
        "physicalCountsFormatted",
        "logicalQubit",
        "tfactory",
        "errorBudget",
        "reportData",
    ):
        assert key in body
    assert EstimatorResult(body)["physicalCounts"]["physicalQubits"] == physical_qubits


def test_bitcode_is_estimated_too(program: tuple[str, dict[str, int], int]) -> None:
    source, _, physical_qubits = program
    bitcode = pyqir.Module.from_ir(pyqir.Context(), source).bitcode
    assert estimate(bitcode, qubitParams={"name": "qubit_gate_ns_e3"})["physicalCounts"][
        "physicalQubits"
    ] == (physical_qubits)


def test_items_make_a_batch_with_shared_parameters(program: tuple[str, dict[str, int], int]) -> None:
    source, _, _ = program
    items = [
        {"qubitParams": {"name": "qubit_gate_ns_e3"}},
        {"qubitParams": {"name": "qubit_maj_ns_e6"}, "qecScheme": {"name": "floquet_code"}},
    ]
    body = estimate(source, errorBudget=0.01, items=items)
    assert isinstance(body, list) and len(body) == 2
    assert [b["jobParams"]["qubitParams"]["name"] for b in body] == ["qubit_gate_ns_e3", "qubit_maj_ns_e6"]
    assert [b["jobParams"]["qecScheme"]["name"] for b in body] == ["surface_code", "floquet_code"]
    assert all(b["jobParams"]["errorBudget"] == 0.01 for b in body)


def test_bad_parameters_are_refused(program: tuple[str, dict[str, int], int]) -> None:
    source, _, _ = program
    with pytest.raises(ProgramError) as caught:
        estimate(source, qubitParams={"name": "no_such_qubit"})
    assert caught.value.code == "InvalidInputParameters"


def test_not_qir_and_other_formats() -> None:
    with pytest.raises(ProgramError) as caught:
        estimate("not llvm at all")
    assert caught.value.code == "InvalidInputData"
    with pytest.raises(ProgramError) as caught:
        ESTIMATOR.run(b"{}", "ionq.circuit.v1", None, {})
    assert caught.value.code == "UnsupportedInputFormat"
