/* minheap.h — binary min-heap of (cost, vertex) with lazy deletion, used to pick elimination pivots
 * (elimination.c, reward.c).  Internal to the C core. */
#ifndef PTD_MINHEAP_H
#define PTD_MINHEAP_H

#include <stdlib.h>

#include "ptdalgorithms.h"

typedef struct { uint64_t cost; uint32_t v; } hent;
typedef struct { hent *e; size_t n, cap; } heap_t;

static inline int hless(hent a, hent b) { return a.cost < b.cost || (a.cost == b.cost && a.v < b.v); }

static inline int heap_push(heap_t *h, uint64_t cost, uint32_t v)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        hent *t = realloc(h->e, cap * sizeof *t);
        if (!t)
            return ptd_error(PTD_ENOMEM, "out of memory choosing elimination pivots");
        h->e = t;
        h->cap = cap;
    }
    size_t i = h->n++;
    hent x = {cost, v};
    while (i > 0 && hless(x, h->e[(i - 1) / 2])) {
        h->e[i] = h->e[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->e[i] = x;
    return PTD_OK;
}

/* Remove and return the smallest entry (the heap must not be empty). */
static inline hent heap_pop(heap_t *h)
{
    hent top = h->e[0], x = h->e[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        hent best = x;
        if (l < h->n && hless(h->e[l], best)) {
            m = l;
            best = h->e[l];
        }
        if (l + 1 < h->n && hless(h->e[l + 1], best))
            m = l + 1;
        if (m == i)
            break;
        h->e[i] = h->e[m];
        i = m;
    }
    if (h->n)
        h->e[i] = x;
    return top;
}

#endif
