from ptdalgorithms._common cimport ptd_graph

cdef class Graph:
    cdef ptd_graph *_g
    # theta last given to update_parameterized_weights (None before)
    cdef object _theta

cdef class Vertex:
    cdef readonly Graph graph
    cdef readonly Py_ssize_t index

cdef class Edge:
    cdef readonly Graph graph
    cdef Py_ssize_t _from
    cdef Py_ssize_t _i

# Wrap a C graph (ownership passes to the returned Graph); raises for NULL with the C error.
cdef Graph wrap_graph(ptd_graph *g)
