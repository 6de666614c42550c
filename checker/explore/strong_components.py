"""The strongly connected components of a graph given as arrays of steps.

Liveness needs them on every graph it checks. scipy finds them in compiled code, but
importing ``scipy.sparse.csgraph`` costs about 0.3 s (it pulls in ``scipy.linalg``
and, through scipy's array-API layer, ``numpy.f2py``): on the few-thousand-state
graphs of a designer's specs that import is most of what liveness costs, and a
noticeable part of a whole ``lifecheck check``. So a graph of up to
:data:`COMPILED_FROM` steps is searched here, in Python, where it takes
milliseconds; a larger one goes to scipy.
Both give the same partition into components, held to each other by
``tests/unit/test_strong_components.py``; the numbering of the components may
differ, and nothing that uses them depends on it.
"""

from __future__ import annotations

import numpy as np

from lifecheck.explore.ordering import stable_order

COMPILED_FROM = 50_000
"""Steps from which scipy's compiled search is used: here the Python search takes
about 50 ms, a sixth of scipy's import."""


def strong_components(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[int, np.ndarray]:
    """The strongly connected components of the graph on nodes ``0..n-1`` with a step
    from ``src[i]`` to ``dst[i]`` for each i: their count, and each node's component
    (``0..count-1``)."""
    if len(src) >= COMPILED_FROM:
        return compiled_components(n, src, dst)
    return python_components(n, src, dst)


def compiled_components(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[int, np.ndarray]:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    matrix = csr_matrix((np.ones(len(src), np.int8), (src, dst)), shape=(n, n))
    count, labels = connected_components(matrix, directed=True, connection="strong")
    return int(count), labels


def python_components(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[int, np.ndarray]:
    """Tarjan's algorithm with an explicit stack of (node, next step to follow), so that
    a long chain cannot overflow Python's recursion limit."""
    by_source = stable_order(src)
    targets = dst[by_source].tolist()
    starts = np.searchsorted(src[by_source], np.arange(n + 1)).tolist()
    index = [-1] * n  # the order in which the search first met each node
    low = [0] * n  # the earliest node still on the stack it reaches
    on_stack = [False] * n
    labels = [-1] * n
    stack: list[int] = []
    count = met = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        index[root] = low[root] = met
        met += 1
        stack.append(root)
        on_stack[root] = True
        work = [(root, starts[root])]
        while work:
            v, i = work[-1]
            if i < starts[v + 1]:
                work[-1] = (v, i + 1)
                w = targets[i]
                if index[w] < 0:
                    index[w] = low[w] = met
                    met += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, starts[w]))
                elif on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    labels[w] = count
                    if w == v:
                        break
                count += 1
    return count, np.array(labels, np.int32)
