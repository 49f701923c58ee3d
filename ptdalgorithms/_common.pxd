# Declarations of the C core (src_c/ptdalgorithms.h) shared by every extension module, and the one
# helper that turns a C error code into a Python exception.
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t

cdef extern from "ptdalgorithms.h" nogil:
    int PTD_OK, PTD_EINVAL, PTD_ENOMEM, PTD_EMATH, PTD_EINDEX
    const char *ptd_last_error()

    ctypedef struct ptd_graph:
        pass
    ctypedef struct ptd_csr:
        size_t n
        size_t n_edges
        size_t state_length
        size_t param_length
        size_t n_param_edges
        size_t *row
        uint32_t *col
        double *weight
        int64_t *param
        double *base
        double *coef
        const int32_t *states

    ptd_graph *ptd_graph_create(size_t state_length)
    void ptd_graph_destroy(ptd_graph *g)
    ptd_graph *ptd_graph_clone(const ptd_graph *g)
    size_t ptd_graph_n_vertices(const ptd_graph *g)
    size_t ptd_graph_n_edges(const ptd_graph *g)
    size_t ptd_graph_state_length(const ptd_graph *g)
    size_t ptd_graph_param_length(const ptd_graph *g)
    const int32_t *ptd_graph_state(const ptd_graph *g, size_t v)
    int64_t ptd_graph_find(const ptd_graph *g, const int32_t *state)
    int64_t ptd_graph_find_or_create(ptd_graph *g, const int32_t *state)
    int ptd_graph_add_edge(ptd_graph *g, size_t frm, size_t to, double weight)
    int ptd_graph_add_edge_param(ptd_graph *g, size_t frm, size_t to, double base, const double *coef,
                                 size_t ncoef)
    size_t ptd_graph_out_degree(const ptd_graph *g, size_t v)
    int ptd_graph_edge(const ptd_graph *g, size_t v, size_t i, size_t *to, double *weight)
    int ptd_graph_edge_param(const ptd_graph *g, size_t v, size_t i, double *base, const double **coef,
                             size_t *ncoef)
    double ptd_graph_vertex_rate(const ptd_graph *g, size_t v)
    int ptd_graph_update_weights(ptd_graph *g, const double *theta, size_t p)
    const double *ptd_graph_theta(const ptd_graph *g)
    const ptd_csr *ptd_graph_csr(ptd_graph *g)

    int ptd_csr_weights(const ptd_csr *c, const double *theta, double *out)
    int ptd_csr_absorbing(const ptd_csr *c, size_t v)
    int ptd_scc(const ptd_csr *c, uint32_t *comp, size_t *n_comp)
    int ptd_is_acyclic(const ptd_csr *c)
    int ptd_check_absorption(const ptd_csr *c, const double *w)

    int ptd_transient_index(const ptd_csr *c, size_t *idx, size_t *n_transient)
    int ptd_to_matrices(const ptd_csr *c, const double *w, const size_t *idx, size_t n_t, double *alpha,
                        double *S)
    ptd_graph *ptd_from_matrices(const double *alpha, const double *S, size_t n, const int32_t *states,
                                 size_t state_length)

    ctypedef struct ptd_rng:
        uint64_t s[4]
    void ptd_rng_seed(ptd_rng *r, uint64_t seed)
    int ptd_sample(const ptd_csr *c, const double *w, size_t n, const double *rewards, size_t k,
                   int discrete, ptd_rng *rng, double *out)


cdef inline int check(int code) except -1:
    """Raise the Python exception for a C error code (0 = ok)."""
    if code >= 0:
        return 0
    msg = ptd_last_error().decode('utf-8', 'replace')
    if code == PTD_ENOMEM:
        raise MemoryError(msg or 'out of memory')
    if code == PTD_EINDEX:
        raise IndexError(msg)
    raise ValueError(msg)


cdef inline int check_ptr(const void *p) except -1:
    """Raise for a NULL result of a C constructor."""
    if p != NULL:
        return 0
    msg = ptd_last_error().decode('utf-8', 'replace')
    if 'memory' in msg or not msg:
        raise MemoryError(msg or 'out of memory')
    raise ValueError(msg)
