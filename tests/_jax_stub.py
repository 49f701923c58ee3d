"""Independent dense-matrix reference for the JAX bridge tests.

``StubGraph`` is a tiny parameterised graph (edges with base + coef . theta) whose matrices are built
in numpy; ``stub_batch_pdf`` / ``stub_batch_moments`` have the signatures of the compiled evaluators
(``_distribution.batch_pdf``, ``_moments.batch_moments``) and compute with ``scipy.linalg.expm`` and
``numpy.linalg.solve``.  Gradients come from the complex step (exact to rounding: every formula is
analytic in theta).  ``ref_pdf`` / ``ref_moments`` compute the same from any ``matrices(theta)``
function, which is how the tests check the real evaluators against dense formulas.
"""
import math

import numpy as np
import scipy.linalg


class StubGraph:
    """Vertices 0 (start) .. n-1; edges (u, v, base, coef).  Vertices without out-edges absorb."""

    def __init__(self, n_vertices, edges, param_length):
        self.n = n_vertices
        self.edges = [(u, v, float(b), np.array(c, dtype=float)) for u, v, b, c in edges]
        self.param_length = param_length

    def __len__(self):
        return self.n

    def clone(self):
        return StubGraph(self.n, [(u, v, b, c.copy()) for u, v, b, c in self.edges], self.param_length)

    def weights(self, theta):
        theta = np.asarray(theta)
        if theta.shape != (self.param_length,):
            raise ValueError(f"theta has length {theta.shape}, expected {self.param_length}")
        w = [b + (np.dot(c, theta[:len(c)]) if len(c) else 0.0) for _, _, b, c in self.edges]
        for x in w:
            if not np.isfinite(x) or np.real(x) < 0:
                raise ValueError(f"theta gives a negative or NaN edge weight {x}")
        return w

    def matrices(self, theta):
        """(alpha, S, absorbing-exit vector s) over the transient vertices 1.. with out-edges."""
        w = self.weights(theta)
        has_out = {u for u, _, _, _ in self.edges}
        trans = [v for v in range(1, self.n) if v in has_out]
        idx = {v: i for i, v in enumerate(trans)}
        dtype = np.result_type(np.asarray(theta).dtype, float)
        alpha = np.zeros(len(trans), dtype)
        S = np.zeros((len(trans), len(trans)), dtype)
        for (u, v, _, _), x in zip(self.edges, w):
            if u == 0:
                alpha[idx[v]] += x
            else:
                S[idx[u], idx[u]] -= x
                if v in idx:
                    S[idx[u], idx[v]] += x
        return alpha / alpha.sum(), S, trans


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


def _check_batch(theta, p):
    theta = np.asarray(theta, dtype=float)
    if theta.ndim != 2 or theta.shape[1] != p:
        raise ValueError(f"theta must have shape (n, {p}), got {theta.shape}")
    return theta


def stub_batch_pdf(graph, theta, times, discrete=False, gradient=True, tol=1e-12):
    theta = _check_batch(theta, graph.param_length)
    times = np.asarray(times, dtype=float)
    if np.any(times < 0):
        raise ValueError("times must be non-negative")
    vals = np.stack([np.real(ref_pdf(graph.matrices, th, times, discrete)) for th in theta]) \
        if len(theta) else np.empty((0, len(times)))
    if not gradient:
        return vals, None
    grads = np.stack([complex_step(lambda z: ref_pdf(graph.matrices, z, times, discrete), th)
                      for th in theta]) if len(theta) else np.empty((0, len(times), graph.param_length))
    return vals, grads


def stub_batch_moments(graph, theta, k, rewards=None, discrete=False, gradient=True):
    theta = _check_batch(theta, graph.param_length)
    f = lambda z: ref_moments(graph.matrices, z, k, rewards, discrete)
    vals = np.stack([np.real(f(th)) for th in theta])
    if not gradient:
        return vals, None
    return vals, np.stack([complex_step(f, th) for th in theta])


def seed_stub():
    """The seed snippet as a StubGraph: start -> v2 (1), v2 -> v1 (theta_0); pdf theta exp(-theta t)."""
    return StubGraph(3, [(0, 1, 1.0, []), (1, 2, 0.0, [1.0])], 1)


def coalescent_like_stub():
    """A small cyclic parameterised graph with 2 parameters (alpha depends on theta too)."""
    edges = [(0, 1, 1.0, [0.5, 0.0]), (0, 2, 0.5, []),
             (1, 2, 0.3, [1.0, 0.0]), (2, 1, 0.2, [0.0, 0.5]), (1, 3, 0.0, [0.0, 1.0]),
             (2, 4, 1.0, []), (3, 4, 0.1, [2.0, 0.0])]
    return StubGraph(5, edges, 2)
