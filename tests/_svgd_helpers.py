"""Shared pieces for the SVGD tests: a pure-JAX stand-in model and quadrature references."""

import jax.numpy as jnp
import numpy as np
from scipy import integrate


def exponential_model(theta, times):
    """pdf of the seed graph S -> v2 -> v1 with rate theta[0] out of v2: theta e^{-theta t}."""
    return theta[0] * jnp.exp(-theta[0] * times)


exponential_model.param_length = 1
exponential_model.discrete = False


def posterior_moments_1d(log_post, lo, hi):
    """Mean and sd of the 1-D density proportional to exp(log_post) on (lo, hi), by quadrature."""
    grid = np.linspace(lo, hi, 2001)
    shift = max(log_post(t) for t in grid)
    f = lambda t, k: t**k * np.exp(log_post(t) - shift)  # noqa: E731
    z = integrate.quad(f, lo, hi, args=(0,), limit=200, epsabs=0, epsrel=1e-11)[0]
    m1 = integrate.quad(f, lo, hi, args=(1,), limit=200, epsabs=0, epsrel=1e-11)[0] / z
    m2 = integrate.quad(f, lo, hi, args=(2,), limit=200, epsabs=0, epsrel=1e-11)[0] / z
    return m1, np.sqrt(m2 - m1 * m1)


def exponential_lognormal_posterior(data, mu=0.0, sigma=2.0):
    """Posterior mean/sd of the rate of exponential data under log theta ~ N(mu, sigma^2) (the default
    prior), by quadrature."""
    n, s = len(data), float(np.sum(data))

    def log_post(t):
        lt = np.log(t)
        return n * lt - t * s - 0.5 * ((lt - mu) / sigma) ** 2 - lt

    mode = n / s
    return posterior_moments_1d(log_post, mode / 20, mode * 20)
