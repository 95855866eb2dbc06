"""IonQ's native gates as unitary matrices, as IonQ defines them: phases and angles are in turns (1 = 2*pi).

Matrices are written big-endian in the gate's own qubit order (the first target is the leftmost factor)."""

from __future__ import annotations

import cmath
import math

import numpy as np
import numpy.typing as npt

__all__ = ["gpi", "gpi2", "ms", "zz"]

Matrix = npt.NDArray[np.complex128]


def _turns(phase: float) -> complex:
    return cmath.exp(2j * math.pi * phase)


def gpi(phase: float) -> Matrix:
    """GPI(phi): a pi rotation about an equatorial axis at angle phi."""
    e = _turns(phase)
    return np.array([[0, e.conjugate()], [e, 0]], dtype=np.complex128)


def gpi2(phase: float) -> Matrix:
    """GPI2(phi): a pi/2 rotation about an equatorial axis at angle phi."""
    e = _turns(phase)
    return np.array([[1, -1j * e.conjugate()], [-1j * e, 1]], dtype=np.complex128) / math.sqrt(2)


def ms(phase0: float, phase1: float, angle: float = 0.25) -> Matrix:
    """MS(phi0, phi1, theta): the Molmer-Sorensen gate; angle 0.25 is fully entangling."""
    c, s = math.cos(math.pi * angle), math.sin(math.pi * angle)
    plus, minus = _turns(phase0 + phase1), _turns(phase0 - phase1)
    return np.array(
        [
            [c, 0, 0, -1j * plus.conjugate() * s],
            [0, c, -1j * minus.conjugate() * s, 0],
            [0, -1j * minus * s, c, 0],
            [-1j * plus * s, 0, 0, c],
        ],
        dtype=np.complex128,
    )


def zz(angle: float) -> Matrix:
    """ZZ(theta) = exp(-i*pi*theta Z(x)Z), Forte's native two-qubit gate."""
    e = _turns(angle / 2)
    return np.diag([e.conjugate(), e, e, e.conjugate()]).astype(np.complex128)
