"""The analysis layer (kdb/analysis): the wait-for graph's cycles and
chains agree with the obvious quadratic definitions, and stay linear."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kdb.analysis.locks import WaitForGraph


def _graph(edges: dict[int, int]) -> WaitForGraph:
    return WaitForGraph({t: (1000 + o, o) for t, o in edges.items()}, {}, {}, {}, set())


def _naive_cycles(edges: dict[int, int]) -> list[list[int]]:
    cycles: list[list[int]] = []
    seen: set[int] = set()
    for start in edges:
        path: list[int] = []
        cur = start
        while cur in edges and cur not in path and cur not in seen:
            path.append(cur)
            cur = edges[cur]
        if cur in path:
            cyc = path[path.index(cur):]
            if sorted(cyc) not in [sorted(c) for c in cycles]:
                cycles.append(cyc)
        seen.update(path)
    return cycles


def _naive_chains(edges: dict[int, int], limit: int) -> list[list[int]]:
    chains = []
    for a in edges:
        chain = [a]
        while chain[-1] in edges and edges[chain[-1]] not in chain:
            chain.append(edges[chain[-1]])
        chains.append(chain)
    chains.sort(key=lambda c: (-len(c), c))
    return [c for c in chains[:limit] if len(c) > 1]


# each thread waits for at most one other (its lock's holder), never itself
functional = st.dictionaries(st.integers(0, 30), st.integers(0, 30)).map(
    lambda d: {k: v for k, v in d.items() if k != v})


@settings(max_examples=300, deadline=None)
@given(functional)
def test_cycles_and_chains_match_the_definitions(edges: dict[int, int]) -> None:
    g = _graph(edges)
    assert g.cycles() == _naive_cycles(edges)
    assert g.chains(3) == _naive_chains(edges, 3)
    assert g.chains(50) == _naive_chains(edges, 50)


class _Counting(dict):  # type: ignore[type-arg]
    """A dict that counts its lookups: the graph's work, measured exactly."""

    lookups = 0

    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        _Counting.lookups += 1
        return super().__getitem__(key)

    def __contains__(self, key):  # type: ignore[no-untyped-def]
        _Counting.lookups += 1
        return super().__contains__(key)


def _work(edges: dict[int, int]) -> int:
    g = _graph(edges)
    g.edges = _Counting(g.edges)
    _Counting.lookups = 0
    g.cycles()
    g.chains(3)
    return _Counting.lookups


def test_cycles_and_chains_are_linear() -> None:
    """Ten times the threads is ten times the work, for a long wait chain
    (each thread waits for the next) and a ring (the quadratic version took
    over a minute at 4,000 threads)."""
    for shape in (lambda n: {i: i + 1 for i in range(n)}, lambda n: {i: (i + 1) % n for i in range(n)}):
        small, big = _work(shape(2_000)), _work(shape(20_000))
        assert big <= 11 * small, (small, big)
    n = 20_000
    assert len(_graph({i: i + 1 for i in range(n)}).chains(3)[0]) == n + 1
    assert len(_graph({i: (i + 1) % n for i in range(n)}).cycles()[0]) == n
