"""pasqal.pulser.v1 on Pasqal targets: Rabi inversion, blockade, variables, shot statistics, errors."""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import pytest
from pulser import Pulse, Register, Sequence
from pulser.devices import AnalogDevice
from pulser.waveforms import BlackmanWaveform

from quantum_workspace.targets import ProgramError, get_catalog
from quantum_workspace.targets.formats.pasqal_pulser import EXACT_ATOM_LIMIT

FREE = get_catalog().find("pasqal", "pasqal.sim.emu-free")
SV = get_catalog().find("pasqal", "pasqal.sim.emu-sv")
FRESNEL = get_catalog().find("Pasqal", "pasqal.qpu.fresnel")


def sequence(coordinates: list[tuple[float, float]], area: float | None) -> Sequence:
    """A global resonant Blackman pulse of the given area (None: a declared variable `area`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seq = Sequence(Register.from_coordinates(coordinates, prefix="q"), AnalogDevice)
        seq.declare_channel("rydberg", "rydberg_global")
        value = seq.declare_variable("area") if area is None else area
        seq.add(Pulse.ConstantDetuning(BlackmanWaveform(1000, value), 0, 0), "rydberg")
        seq.measure("ground-rydberg")
    return seq


def payload(seq: Sequence, **extra: Any) -> bytes:
    return json.dumps({"sequence_builder": json.loads(seq.to_abstract_repr()), **extra}).encode()


def counter(program: bytes, target: Any = FREE, **params: Any) -> dict[str, int]:
    out = target.run(program, "pasqal.pulser.v1", None, params)
    assert (out.output_format, out.content_type) == ("pasqal.pulser-results.v1", "application/json")
    body = json.loads(out.data)
    assert list(body) == ["counter"]
    result: dict[str, int] = body["counter"]
    return result


def test_a_pi_pulse_inverts_distant_atoms() -> None:
    assert counter(payload(sequence([(0, 0), (30, 0)], math.pi)), shots=50, seed=1) == {"11": 50}


def test_a_half_pi_pulse_gives_even_odds() -> None:
    shots = 2000
    counts = counter(payload(sequence([(0, 0)], math.pi / 2)), FRESNEL, shots=shots, seed=4)
    assert set(counts) <= {"0", "1"} and sum(counts.values()) == shots
    chi_square = sum((counts.get(k, 0) - shots / 2) ** 2 / (shots / 2) for k in ("0", "1"))
    assert chi_square < 10.83  # 1 dof, 0.1%


def test_close_atoms_are_blockaded() -> None:
    counts = counter(payload(sequence([(0, 0), (5, 0)], math.pi / math.sqrt(2))), shots=2000, seed=1)
    assert "11" not in counts
    assert counts.get("00", 0) < 20
    assert counts["01"] > 800 and counts["10"] > 800


def test_parametrized_sequences_take_variables_from_params_or_payload() -> None:
    seq = sequence([(0, 0)], None)
    assert counter(payload(seq), shots=5, variables={"area": math.pi}) == {"1": 5}
    assert counter(payload(seq, variables={"area": math.pi}), shots=5) == {"1": 5}
    # inputParams win over the payload
    assert counter(payload(seq, variables={"area": 0.01}), shots=5, variables={"area": math.pi}) == {"1": 5}


def test_a_sequence_the_device_cannot_play_is_refused() -> None:
    e = error(payload(sequence([(0, 0)], None)), variables={"area": 4 * math.pi})
    assert e.code == "InvalidInputData" and "amplitude" in e.message


def test_a_bare_abstract_representation_is_accepted() -> None:
    assert counter(sequence([(0, 0)], math.pi).to_abstract_repr().encode(), runs=3) == {"1": 3}


def test_seeded_runs_repeat() -> None:
    program = payload(sequence([(0, 0), (30, 0)], math.pi / 2))
    assert counter(program, shots=300, seed=9) == counter(program, shots=300, seed=9)


def error(program: bytes, target: Any = FREE, **params: Any) -> ProgramError:
    with pytest.raises(ProgramError) as caught:
        target.run(program, "pasqal.pulser.v1", None, params)
    return caught.value


@pytest.mark.parametrize(
    ("program", "fragment"),
    [
        (b"{not json", "not JSON"),
        (b"[1]", "JSON object"),
        (b'{"something": 1}', "sequence_builder"),
        (b'{"sequence_builder": {"register": 3}}', "not a valid Pulser sequence"),
    ],
)
def test_malformed_programs(program: bytes, fragment: str) -> None:
    e = error(program)
    assert e.code == "InvalidInputData" and fragment in e.message


def test_missing_variables() -> None:
    e = error(payload(sequence([(0, 0)], None)))
    assert e.code == "InvalidInputData" and "area" in e.message


def test_too_many_atoms_for_the_target_and_for_exact_emulation() -> None:
    thirteen = [(6.0 * (i % 5), 6.0 * (i // 5)) for i in range(13)]
    assert "13 atoms" in error(payload(sequence(thirteen, math.pi))).message
    wide = [(6.0 * (i % 5), 6.0 * (i // 5)) for i in range(EXACT_ATOM_LIMIT + 1)]
    e = error(payload(sequence(wide, math.pi)), SV)
    assert f"up to {EXACT_ATOM_LIMIT} atoms" in e.message
