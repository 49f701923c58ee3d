/* sample.c — sampling absorption times with an explicit RNG state (xoshiro256**, seeded by splitmix64). */
#include <math.h>
#include <stdlib.h>

#include "ptdalgorithms.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void ptd_rng_seed(ptd_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next_u64(ptd_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ptd_rng_uniform(ptd_rng *r) { return ((double)(next_u64(r) >> 11) + 0.5) * 0x1.0p-53; }

/* pick an out-edge of v with probability proportional to its weight */
static size_t pick_edge(const ptd_csr *c, const double *w, size_t v, double total, ptd_rng *rng)
{
    double u = ptd_rng_uniform(rng) * total, acc = 0;
    size_t last = c->row[v];
    for (size_t k = c->row[v]; k < c->row[v + 1]; k++) {
        if (w[k] <= 0)
            continue;
        acc += w[k];
        last = k;
        if (u < acc)
            return k;
    }
    return last; /* rounding: u landed at the very top */
}

int ptd_sample(const ptd_csr *c, const double *w, size_t n, const double *rewards, size_t k, int discrete,
               ptd_rng *rng, double *out)
{
    int rc = ptd_check_absorption(c, w);
    if (rc)
        return rc;
    size_t nv = c->n, kk = rewards ? k : 1;
    double *rate = malloc(nv * sizeof *rate);
    if (!rate)
        return ptd_error(PTD_ENOMEM, "out of memory");
    for (size_t v = 0; v < nv; v++) {
        double s = 0;
        for (size_t e = c->row[v]; e < c->row[v + 1]; e++)
            s += w[e];
        rate[v] = s;
        if (discrete && v > 0 && s > 1 + 1e-12) {
            char buf[256];
            ptd_format_state(buf, sizeof buf, c->states + v * c->state_length, c->state_length);
            free(rate);
            return ptd_error(PTD_EINVAL, "discrete graph: out-probabilities of the vertex with state%s "
                             "sum to %.17g > 1", buf, s);
        }
    }
    for (size_t i = 0; i < n; i++) {
        double *y = out + i * kk;
        for (size_t j = 0; j < kk; j++)
            y[j] = 0;
        size_t v = c->col[pick_edge(c, w, 0, rate[0], rng)];
        while (c->row[v] < c->row[v + 1]) {
            double hold;
            if (discrete) {
                /* jumps spent in v before leaving: geometric on {1, 2, ...} with success prob rate[v] */
                hold = rate[v] >= 1 ? 1.0 : ceil(log(ptd_rng_uniform(rng)) / log1p(-rate[v]));
                if (hold < 1)
                    hold = 1;
            } else {
                hold = -log(ptd_rng_uniform(rng)) / rate[v];
            }
            if (!isfinite(hold)) {
                char buf[256];
                ptd_format_state(buf, sizeof buf, c->states + v * c->state_length, c->state_length);
                int rc = ptd_error(PTD_EMATH, "the vertex with state%s has total rate %g: a sampled "
                                   "holding time overflows a double", buf, rate[v]);
                free(rate);
                return rc;
            }
            if (rewards)
                for (size_t j = 0; j < kk; j++)
                    y[j] += hold * rewards[v * k + j];
            else
                y[0] += hold;
            v = c->col[pick_edge(c, w, v, rate[v], rng)];
        }
    }
    free(rate);
    return PTD_OK;
}
