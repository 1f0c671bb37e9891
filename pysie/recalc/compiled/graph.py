"""Strongly connected components of a small directed graph, in pure Python.

The planner needs them for a few hundred runs; scipy's ``csgraph`` would do
it too but costs a tenth of a second to import on every ``pysie check``.
"""

from __future__ import annotations

from collections.abc import Iterable


def strong_components(n: int, edges: Iterable[tuple[int, int]]) -> list[int]:
    """A component label for each of the nodes ``0..n-1`` (Tarjan's
    algorithm, iterative so deep chains do not hit the recursion limit).
    Nodes share a label exactly when each reaches the other."""
    succ: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges:
        succ[a].append(b)
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    labels = [-1] * n
    stack: list[int] = []
    counter = 0
    count = 0
    for root in range(n):
        if index[root] != -1:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            if i < len(succ[node]):
                work.append((node, i + 1))
                nxt = succ[node][i]
                if index[nxt] == -1:
                    work.append((nxt, 0))
                elif on_stack[nxt]:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    labels[member] = count
                    if member == node:
                        break
                count += 1
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return labels
