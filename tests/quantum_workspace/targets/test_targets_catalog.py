"""The catalog: providers and targets of the reference's section 7, lookups, format dispatch, import cost."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from dataclasses import replace

import pytest

from quantum_workspace.errors import WorkspaceError
from quantum_workspace.targets import (
    FormatSpec,
    ProgramError,
    RunRequest,
    Target,
    TargetKind,
    TargetNotFound,
    TargetOutput,
    get_catalog,
)

BELL = json.dumps(
    {"qubits": 2, "circuit": [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]}
).encode()


def test_providers_are_the_five_of_azure_quantum_in_lower_case() -> None:
    ids = [p.id for p in get_catalog().providers()]
    assert ids == ["ionq", "quantinuum", "rigetti", "pasqal", "microsoft-qc"]
    assert all(p.availability == "Available" for p in get_catalog().providers())


def test_targets_declare_qubits_profile_and_formats() -> None:
    by_id = {t.id: t for p in get_catalog().providers() for t in p.targets}
    simulator = by_id["ionq.simulator"]
    assert (simulator.num_qubits, simulator.target_profile) == (29, "Base")
    assert simulator.input_formats == ("ionq.circuit.v1", "qir.v1")
    assert (simulator.default_input_format, simulator.default_output_format) == (
        "ionq.circuit.v1",
        "ionq.quantum-results.v1",
    )
    assert by_id["ionq.qpu.aria-1"].num_qubits == 25
    assert by_id["ionq.qpu.forte-1"].num_qubits == 36
    assert by_id["quantinuum.sim.h2-1sc"].target_profile == "Adaptive_RI"
    assert by_id["quantinuum.sim.h2-1e"].default_input_format == "honeywell.openqasm.v1"
    assert by_id["rigetti.sim.qvm"].default_output_format == "rigetti.quil-results.v1"
    assert by_id["rigetti.qpu.cepheus-1-108q"].num_qubits == 108
    assert by_id["pasqal.sim.emu-free"].num_qubits == 12
    assert by_id["pasqal.sim.emu-mps"].input_formats == ("pasqal.pulser.v1",)
    assert by_id["microsoft.estimator"].default_output_format == "microsoft.resource-estimates.v1"
    for info in by_id.values():
        assert info.default_input_format in info.input_formats
        assert info.provider_id in {"ionq", "quantinuum", "rigetti", "pasqal", "microsoft-qc"}


def test_find_compares_the_provider_case_insensitively() -> None:
    catalog = get_catalog()
    assert catalog.find("IonQ", "ionq.simulator") is catalog.find("ionq", "ionq.simulator")
    assert catalog.find("Microsoft-QC", "microsoft.estimator").info.id == "microsoft.estimator"


@pytest.mark.parametrize(
    ("provider", "target"),
    [("ionq", "ionq.nope"), ("nope", "ionq.simulator"), ("quantinuum", "ionq.simulator")],
)
def test_unknown_targets_raise_target_not_found(provider: str, target: str) -> None:
    with pytest.raises(TargetNotFound) as caught:
        get_catalog().find(provider, target)
    assert isinstance(caught.value, WorkspaceError)
    assert caught.value.status == 400
    assert target in caught.value.message


def test_a_format_the_target_does_not_accept_is_unsupported() -> None:
    target = get_catalog().find("ionq", "ionq.simulator")
    with pytest.raises(ProgramError) as caught:
        target.run(BELL, "rigetti.quil.v1", None, {})
    assert caught.value.code == "UnsupportedInputFormat"
    assert isinstance(caught.value, WorkspaceError)


def test_an_output_format_the_input_cannot_produce_fails_translation() -> None:
    target = get_catalog().find("ionq", "ionq.simulator")
    with pytest.raises(ProgramError) as caught:
        target.run(BELL, "ionq.circuit.v1", "rigetti.quil-results.v1", {})
    assert caught.value.code == "CannotTranslateOutputData"


def test_the_requested_output_format_is_honoured_when_possible() -> None:
    target = get_catalog().find("ionq", "ionq.simulator")
    out = target.run(BELL, "ionq.circuit.v1", "ionq.quantum-results.v1", {})
    assert out.output_format == "ionq.quantum-results.v1"
    assert out.content_type == "application/json"


def test_non_object_params_are_a_program_error() -> None:
    target = get_catalog().find("ionq", "ionq.simulator")
    with pytest.raises(ProgramError) as caught:
        target.run(BELL, "ionq.circuit.v1", None, ["shots", 3])  # type: ignore[arg-type]
    assert caught.value.code == "InvalidInputParameters"


def test_targets_survive_pickling_for_process_pools() -> None:
    target = pickle.loads(pickle.dumps(get_catalog().find("ionq", "ionq.simulator")))
    assert json.loads(target.run(BELL, "ionq.circuit.v1", None, {}).data) == {
        "histogram": {"0": 0.5, "3": 0.5}
    }


def test_building_the_catalog_imports_no_simulator() -> None:
    code = (
        "import sys\n"
        "from quantum_workspace.targets import get_catalog\n"
        "get_catalog().find('ionq', 'ionq.simulator')\n"
        "heavy = sorted(m for m in ('qiskit', 'qiskit_aer', 'numpy', 'pyqir', 'qdk', 'quil', 'pulser') "
        "if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    env = {**os.environ, "QDK_PYTHON_TELEMETRY": "none"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == ""


def test_a_declared_format_without_an_implementation_is_refused_not_faked() -> None:
    info = replace(
        get_catalog().find("ionq", "ionq.simulator").info, input_formats=("ionq.circuit.v1", "x.v1")
    )
    target = Target(info, TargetKind.SIMULATOR, ())
    with pytest.raises(ProgramError) as caught:
        target.run(b"{}", "x.v1", None, {})
    assert caught.value.code == "UnsupportedInputFormat" and "not implemented" in caught.value.message


def test_every_default_input_format_is_implemented() -> None:
    for provider in ("ionq", "quantinuum", "rigetti", "pasqal", "microsoft-qc"):
        for info in next(p for p in get_catalog().providers() if p.id == provider).targets:
            spec = get_catalog().find(provider, info.id).format_spec(info.default_input_format)
            assert spec.output_formats[0] == info.default_output_format


def _panicking_runner(program: bytes, request: RunRequest) -> TargetOutput:
    """A real Rust panic: quil-rs asked for a unitary on qubits beyond its size."""
    from quil.program import Program

    Program.parse("CNOT 5 6").body_instructions[0]._0.to_unitary(2)
    raise AssertionError("quil-rs did not panic")


def test_a_rust_panic_in_a_runner_becomes_a_program_error() -> None:
    info = replace(get_catalog().find("rigetti", "rigetti.sim.qvm").info, input_formats=("x.v1",))
    target = Target(info, TargetKind.EMULATOR, (FormatSpec("x.v1", ("y.v1",), _panicking_runner),))
    with pytest.raises(ProgramError) as caught:
        target.run(b"", "x.v1", None, {})
    assert caught.value.code == "SimulationFailed"
