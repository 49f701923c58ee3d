from ptdalgorithms._common cimport ptd_graph, ptd_csr

cdef class Graph:
    cdef ptd_graph *_g
    cdef const ptd_csr *_csr(self) except NULL

cdef class Vertex:
    cdef readonly Graph graph
    cdef readonly Py_ssize_t index
    @staticmethod
    cdef Vertex _make(Graph graph, Py_ssize_t index)
    cdef size_t _target(self, Vertex to) except? 0

cdef class Edge:
    cdef readonly Graph graph
    cdef Py_ssize_t _from
    cdef Py_ssize_t _i
    @staticmethod
    cdef Edge _make(Graph graph, Py_ssize_t frm, Py_ssize_t i)
    cdef int _param(self, double *b, const double **c, size_t *nc) except -1

# Wrap a C graph (ownership passes to the returned Graph).  Call check_ptr(g) first: the C error
# text is thread-local per extension module.
cdef Graph wrap_graph(ptd_graph *g)
