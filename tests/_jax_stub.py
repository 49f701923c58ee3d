"""Independent dense-matrix reference for the JAX bridge tests.

``ref_pdf`` / ``ref_moments`` compute pdf/pmf and moments with ``scipy.linalg.expm`` and
``numpy.linalg.solve`` from any ``matrices(theta)`` function (built from ``Graph.as_matrices``), which is
how the tests check the compiled evaluators behind the bridge.  ``complex_step`` gives gradients exact
to rounding (every formula is analytic in theta).
"""
import math

import numpy as np
import scipy.linalg


def _pdf_one(alpha, S, times, discrete):
    n = len(alpha)
    e = np.ones(n)
    out = np.empty(len(times), dtype=S.dtype)
    if discrete:
        T = np.eye(n) + S  # S holds -out-mass on the diagonal: T = I + S
        t = e - T @ e
        for i, k in enumerate(times):
            k = int(k)
            out[i] = 0.0 if k == 0 else alpha @ np.linalg.matrix_power(T, k - 1) @ t
    else:
        s = -S @ e
        for i, x in enumerate(times):
            out[i] = alpha @ scipy.linalg.expm(S * x) @ s
    return out


def _moments_one(alpha, S, k, r, discrete):
    n = len(alpha)
    e = np.ones(n)
    if discrete:
        if r is not None:
            raise NotImplementedError("stub: discrete moments with rewards")
        # raw moments of tau from E[tau^i] = sum_k k^i pmf(k), truncated where the tail is negligible
        T = np.eye(n) + S
        t = e - T @ e
        v, out, kk = alpha.copy(), np.zeros(k, dtype=S.dtype), 1
        while True:
            pk = v @ t
            out += np.array([kk ** (i + 1) for i in range(k)], dtype=float) * pk
            v = v @ T
            kk += 1
            if abs(v.sum()) < 1e-18 or kk > 100000:
                return out
    U = np.linalg.inv(-S)
    D = np.diag(r) if r is not None else np.eye(n)
    out, v = [], alpha.copy()
    for i in range(1, k + 1):
        v = v @ U @ D
        out.append(math.factorial(i) * v.sum())
    return np.array(out)


def complex_step(f, theta, h=1e-30):
    """Jacobian of f (real-analytic) at theta by the complex step: shape f(theta).shape + (p,)."""
    theta = np.asarray(theta, dtype=float)
    cols = []
    for j in range(len(theta)):
        z = theta.astype(complex)
        z[j] += 1j * h
        cols.append(np.imag(f(z)) / h)
    return np.stack(cols, axis=-1) if cols else np.zeros(np.shape(f(theta)) + (0,))


def ref_pdf(matrices, theta, times, discrete=False):
    """pdf/pmf from dense matrices: alpha exp(S t) s, or alpha T^(k-1) t."""
    a, S, _ = matrices(theta)
    return _pdf_one(a, S, np.asarray(times, dtype=float), discrete)


def ref_moments(matrices, theta, k, rewards=None, discrete=False):
    a, S, trans = matrices(theta)
    r = None if rewards is None else np.asarray(rewards, dtype=float)[trans]
    return _moments_one(a, S, k, r, discrete)


# A small cyclic parameterised graph with 2 parameters (alpha depends on theta too): (u, v, base, coef).
TWO_PARAM_EDGES = [(0, 1, 1.0, [0.5, 0.0]), (0, 2, 0.5, []),
                   (1, 2, 0.3, [1.0, 0.0]), (2, 1, 0.2, [0.0, 0.5]), (1, 3, 0.0, [0.0, 1.0]),
                   (2, 4, 1.0, []), (3, 4, 0.1, [2.0, 0.0])]
