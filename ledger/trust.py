"""Personal, attack-resistant trust over endorsement edges (``specs/trust.md``).

The metric is personalized PageRank from the verifier's own anchors: a walk that starts
at an anchor, follows endorsement edges (issuer → subject) chosen in proportion to their
weight, and at every step returns to an anchor with probability :data:`RESTART`. An
identity's trust is how often the walk stands on it, scaled so that an anchor's own
restart share is 1 and capped there: scores lie in [0, 1].

Why it resists gaming:

* Only identities reachable from an anchor get any trust; the rest score exactly 0, and
  the computation never sees them (it runs on the reachable subgraph, in DID order), so
  nothing an unreachable region does changes anyone's score.
* Each endorser's outgoing weight is normalised: endorsing more people divides one's
  trust among them, it does not create any. A Sybil region gains trust only through
  its attack edges, at most ``(1 − RESTART)`` of what crosses them per step, and loses
  it at rate ``RESTART`` on every step, so its share is bounded by the attack edges, not
  by its size (the SybilRank argument).
* Mutual endorsements (u → v and v → u) count :data:`RECIPROCAL` of their weight, and a
  high restart caps what a ring gains by keeping its trust circulating among itself.
* Flags count per flagger above a trust threshold, one vote each, never by trust mass;
  the threshold has a floor (:data:`FLAG_TRUST`) that Sybil numbers cannot lower.
* An author with a fork proof against it is removed from the graph: it scores 0 and
  passes nothing on.

Per skill: edges of the asked skill weigh 1, edges of other skills :data:`OTHER_SKILL`
(general standing), so a person trusted as a welder is heard, faintly, on bookkeeping.
An edge's weight also grows with its level (DigComp 1–8).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from .errors import LedgerError

__all__ = [
    "FLAG_FACTOR",
    "FLAG_TRUST",
    "OTHER_SKILL",
    "RECIPROCAL",
    "RESTART",
    "Edge",
    "Flag",
    "Scores",
    "TrustError",
    "TrustGraph",
    "compute",
]

RESTART: Final = 0.5  # probability that the walk returns to an anchor at each step
RECIPROCAL: Final = 0.5  # weight kept by each edge of a mutual pair
OTHER_SKILL: Final = 0.25  # weight of an edge of another skill, when one skill is asked
FLAG_FACTOR: Final = 0.85  # what each counted flag leaves of a figure
FLAG_TRUST: Final = 0.1  # the least score whose flags count (a tenth of an anchor's)
_NO_LEVEL: Final = 4  # a badge or endorsement names no level: counted as the middle one
_TOLERANCE: Final = 1e-15
_MAX_ITERATIONS: Final = 200


class TrustError(LedgerError):
    """A trust computation that cannot be made as asked (no such anchor, bad input)."""


def _level_weight(level: int | None) -> float:
    """1 at level 1 … 2 at level 8: a higher level conveys more, never overwhelmingly."""
    return 1.0 + ((level if level is not None else _NO_LEVEL) - 1) / 7.0


@dataclass(frozen=True, slots=True)
class Edge:
    """``source`` vouches for ``target`` in ``skill`` (a normalised skill key) at ``level``."""

    source: str
    target: str
    skill: str
    level: int | None = None


@dataclass(frozen=True, slots=True)
class Flag:
    """``author`` complains about ``target``: a DID, or a credential digest (hex)."""

    author: str
    target: str


@dataclass(slots=True)
class TrustGraph:
    """Edges in arrays, identities numbered in DID order (built once, queried often)."""

    nodes: list[str]
    index: dict[str, int]
    src: np.ndarray  # int64 per edge
    dst: np.ndarray
    skill: np.ndarray  # int64 per edge, into ``skills``
    level: np.ndarray  # float64 per edge: the level weight
    skills: list[str]
    flags: list[Flag] = field(default_factory=list)
    forked: frozenset[str] = frozenset()

    @classmethod
    def from_edges(
        cls,
        edges: Iterable[Edge],
        *,
        flags: Iterable[Flag] = (),
        forked: Iterable[str] = (),
    ) -> TrustGraph:
        """Self-edges are dropped (nobody vouches for themself)."""
        rows = [e for e in edges if e.source != e.target]
        nodes = sorted({e.source for e in rows} | {e.target for e in rows})
        index = {did: i for i, did in enumerate(nodes)}
        skills = sorted({e.skill for e in rows})
        skill_index = {s: i for i, s in enumerate(skills)}
        count = len(rows)
        return cls(
            nodes=nodes,
            index=index,
            src=np.fromiter((index[e.source] for e in rows), np.int64, count),
            dst=np.fromiter((index[e.target] for e in rows), np.int64, count),
            skill=np.fromiter((skill_index[e.skill] for e in rows), np.int64, count),
            level=np.fromiter((_level_weight(e.level) for e in rows), np.float64, count),
            skills=skills,
            flags=list(flags),
            forked=frozenset(forked),
        )

    def __len__(self) -> int:
        return len(self.src)


@dataclass(frozen=True, slots=True)
class _Walk:
    """What explanations need of a computation (kept by :class:`Scores`)."""

    nodes: list[str]
    nodes_index: dict[str, int]
    members: np.ndarray  # graph indices of the reachable identities, sorted
    local: np.ndarray  # graph index -> position in members (-1: unreachable)
    parents: np.ndarray  # graph index -> BFS predecessor (-1: none)
    transition: sp.csr_matrix  # row-stochastic walk over members
    x: np.ndarray  # stationary mass
    score: np.ndarray  # min(1, x / an anchor's restart share)
    forked: frozenset[str]


@dataclass(frozen=True, slots=True)
class Contribution:
    """How much of an identity's walk mass came in over one edge."""

    source: str
    share: float  # of the identity's own mass


@dataclass(slots=True)
class Scores:
    """Scores of every identity reachable from the anchors (others are 0)."""

    anchors: tuple[str, ...]
    skill: str | None
    iterations: int
    _walk: _Walk | None = field(default=None, repr=False)
    _values: dict[str, float] | None = field(default=None, repr=False)
    forked: frozenset[str] = frozenset()
    # the mass of each anchor that endorses nobody in the graph (they are all alike)
    _lone_mass: float = 0.0

    def score(self, did: str) -> float:
        walk = self._walk
        if walk is not None:
            g = walk.nodes_index.get(did)
            if g is not None and walk.local[g] >= 0:
                return float(walk.score[walk.local[g]])
        return 1.0 if did in self.anchors and did not in self._forked else 0.0

    @property
    def _forked(self) -> frozenset[str]:
        return self.forked

    @property
    def values(self) -> dict[str, float]:
        """Every non-zero score (anchors included), by DID."""
        if self._values is None:
            values = {a: 1.0 for a in self.anchors if a not in self._forked}
            walk = self._walk
            if walk is not None:
                values.update(
                    zip(
                        (walk.nodes[int(g)] for g in walk.members),
                        walk.score.tolist(),
                        strict=True,
                    )
                )
            self._values = {k: v for k, v in values.items() if v > 0}
        return self._values

    def mass(self, did: str) -> float:
        """The walk's stationary probability at ``did``."""
        walk = self._walk
        g = walk.nodes_index.get(did) if walk is not None else None
        if walk is None or g is None or walk.local[g] < 0:
            lone = did in self.anchors and did not in self.forked
            return self._lone_mass if lone else 0.0
        return float(walk.x[walk.local[g]])

    def path(self, did: str) -> list[str]:
        """A shortest chain of endorsements from an anchor to ``did`` ([] if none)."""
        walk = self._walk
        if walk is None or did not in walk.nodes_index:
            return [did] if did in self.anchors else []
        g = walk.nodes_index[did]
        if walk.local[g] < 0:
            return []
        chain = [g]
        while walk.parents[chain[-1]] >= 0:
            chain.append(int(walk.parents[chain[-1]]))
        return [walk.nodes[i] for i in reversed(chain)]

    def contributors(self, did: str, top: int = 5) -> list[Contribution]:
        """The endorsers whose trust flowed most into ``did``, with their share of it."""
        walk = self._walk
        total = self.mass(did)
        if walk is None or total <= 0:
            return []
        j = walk.local[walk.nodes_index[did]]
        column = walk.transition[:, j].tocoo()
        flows = [
            (walk.nodes[int(walk.members[i])], (1.0 - RESTART) * walk.x[i] * float(w))
            for i, w in zip(column.row, column.data, strict=True)
        ]
        flows.sort(key=lambda f: (-f[1], f[0]))
        return [Contribution(source, float(flow / total)) for source, flow in flows[:top]]

    def flag_threshold(self) -> float:
        """The trust a flagger needs for its flag to count: the median positive score, and
        at least :data:`FLAG_TRUST`. The floor is what bounds a flood: k Sybils above it
        need k × FLAG_TRUST of an anchor's share of walk mass, which only attack edges
        bring, whereas a median alone falls as Sybils multiply (each adds a tiny positive
        score) until the Sybils themselves stand above it."""
        walk = self._walk
        if walk is None or not len(walk.score):
            return 1.0
        positive = walk.score[walk.score > 0]
        median = float(np.median(positive)) if len(positive) else 1.0
        return max(median, FLAG_TRUST)

    def figure(self, issuer: str, targets: Sequence[str], flags: Iterable[Flag]) -> Figure:
        """The trust figure of an attestation: its issuer's score, less 15 % for each
        distinct flagger above the threshold that flagged one of ``targets`` (the
        credential's digest, its issuer)."""
        threshold = self.flag_threshold()
        wanted = set(targets)
        counted = sorted(
            {f.author for f in flags if f.target in wanted and self.score(f.author) >= threshold}
        )
        trust = self.score(issuer)
        return Figure(trust * FLAG_FACTOR ** len(counted), trust, counted)


@dataclass(frozen=True, slots=True)
class Figure:
    value: float
    issuer_trust: float
    flaggers: list[str]


def _weights(graph: TrustGraph) -> np.ndarray:
    if not graph.forked:
        return graph.level  # read only: never written to
    weight = graph.level.copy()
    gone = np.fromiter((graph.index[d] for d in graph.forked if d in graph.index), np.int64)
    weight[np.isin(graph.src, gone) | np.isin(graph.dst, gone)] = 0.0
    return weight


def _aggregate(graph: TrustGraph, weight: np.ndarray) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """One weighted edge per ordered pair (parallel edges summed), as n × n CSR matrices
    over all identities (canonical: sorted indices, no duplicates, no zeros): as given,
    and with mutual pairs discounted."""
    n = len(graph.nodes)
    keep = weight > 0
    if keep.all():  # the usual case: no copies of the edge arrays
        data, rows, columns = weight, graph.src, graph.dst
    else:
        data, rows, columns = weight[keep], graph.src[keep], graph.dst[keep]
    matrix = sp.csr_matrix((data, (rows, columns)), shape=(n, n), dtype=np.float64)
    matrix.sum_duplicates()
    # Entries whose reverse exists: number the entries 1…nnz, keep the numbers where the
    # transposed pattern has an entry (an element-wise product: linear, no search).
    numbered = sp.csr_matrix(  # nnz fits the index type, so the numbers fit it too
        (np.arange(1, matrix.nnz + 1, dtype=matrix.indices.dtype), matrix.indices, matrix.indptr),
        shape=(n, n),
    )
    reverse = sp.csr_matrix(
        (np.ones(matrix.nnz, dtype=np.int8), matrix.indices, matrix.indptr), shape=(n, n)
    ).T.tocsr()
    mutual = numbered.multiply(reverse).tocsr()
    discounted = matrix.copy()
    discounted.data[mutual.data[mutual.data > 0] - 1] *= RECIPROCAL
    return matrix, discounted


def _reachable(matrix: sp.csr_matrix, starts: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Identities reachable from ``starts`` (sorted), and each one's BFS predecessor
    (-1 for the starts): one breadth-first search from a virtual source ``n`` that points
    at the starts (its row appended to the matrix's pattern, nothing copied but indices)."""
    n = matrix.shape[0]
    first = np.asarray(sorted(starts), dtype=matrix.indices.dtype)
    indptr = np.append(matrix.indptr, matrix.indptr[-1] + len(first)).astype(
        matrix.indices.dtype, copy=False
    )
    indices = np.concatenate([matrix.indices, first])
    augmented = sp.csr_matrix(
        (np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(n + 1, n + 1)
    )
    order, predecessors = csgraph.breadth_first_order(
        augmented, n, directed=True, return_predecessors=True
    )
    members = np.sort(order[order != n])
    parents = predecessors[:n].copy()
    parents[parents == n] = -1
    return members, parents


def _restrict(matrix: sp.csr_matrix, members: np.ndarray) -> sp.csr_matrix:
    """The rows and columns of ``members`` (sorted), in their order."""
    if len(members) == matrix.shape[0]:
        return matrix
    return matrix[members][:, members]


def compute(
    graph: TrustGraph,
    anchors: Iterable[str],
    *,
    skill: str | None = None,
) -> Scores:
    """Scores from ``anchors`` for ``skill`` (None: all skills alike).

    Anchors absent from the graph stand alone (score 1, endorse nobody yet). Raises
    TrustError when no anchor is given.
    """
    chosen = tuple(sorted(set(anchors)))
    if not chosen:
        raise TrustError("no anchors: trust is computed from identities you already trust")
    standing = [a for a in chosen if a not in graph.forked]  # a forked anchor is no anchor
    present = [graph.index[a] for a in standing if a in graph.index]
    # Anchors that are not in the graph endorse nobody yet: they keep their restart share
    # and pass nothing on. They are counted all the same, so that an anchor's first edge
    # (even one from an identity nobody trusts, pointing at it) changes no one's score.
    lone = len(standing) - len(present)
    share = 1.0 / len(standing) if standing else 0.0
    if not present:
        lone_mass = share if standing else 0.0
        return Scores(chosen, skill, 0, forked=graph.forked, _lone_mass=lone_mass)
    base = _weights(graph)
    full, discounted = _aggregate(graph, base)
    members, parent = _reachable(full, present)
    # The walk on the reachable subgraph, numbered in DID order (members is sorted): an
    # unreachable identity can change neither the matrix nor the order of summation.
    # An endorser's outgoing weight is normalised before mutual pairs are discounted, so
    # the discounted part is not passed on: it returns to the anchors, and a region that
    # only endorses itself back and forth bleeds trust at every step.
    out = np.asarray(_restrict(full, members).sum(axis=1)).ravel()
    inverse = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
    sub = _restrict(discounted, members)
    if skill is not None:
        # An endorser's weight is shared over all its edges; those of other skills carry
        # only OTHER_SKILL of their share, the rest returns to the anchors: standing in
        # one skill reaches another, but fades four times faster on the way.
        asked = graph.skills.index(skill) if skill in graph.skills else -1
        factor = np.where(graph.skill == asked, 1.0, OTHER_SKILL)
        sub = _restrict(_aggregate(graph, base * factor)[1], members)
    # Row i scaled by 1 / out[i] (the products a diagonal matrix product makes), in place:
    # sub is this computation's own copy.
    sub.data *= np.repeat(inverse, np.diff(sub.indptr))
    transition = sub
    # What a row does not pass on (all of it for an identity that endorses nobody) restarts.
    leak = 1.0 - np.asarray(transition.sum(axis=1)).ravel()
    walk = transition.T  # a CSC view: its product sums each column in row order, as a
    # transposed CSR copy would, without the copy
    local = np.full(len(graph.nodes), -1, dtype=np.int64)
    local[members] = np.arange(len(members))
    restart = np.zeros(len(members))
    restart[local[present]] = share
    x = restart.copy()
    away = lone * share  # the mass held by the lone anchors together
    iterations = 0
    for iterations in range(1, _MAX_ITERATIONS + 1):  # noqa: B007 (reported)
        leaked = float(leak @ x) + away  # a lone anchor passes all of its mass back
        nxt = RESTART * restart + (1.0 - RESTART) * (walk @ x + leaked * restart)
        away_next = lone * share * (RESTART + (1.0 - RESTART) * leaked)
        delta = np.abs(nxt - x).sum() + abs(away_next - away)
        x, away = nxt, away_next
        if delta < _TOLERANCE:
            break
    unit = RESTART * share  # an anchor's own restart share
    score = np.minimum(1.0, x / unit)
    walk_state = _Walk(
        graph.nodes, graph.index, members, local, parent, transition, x, score, graph.forked
    )
    lone_mass = away / lone if lone else 0.0
    return Scores(chosen, skill, iterations, walk_state, forked=graph.forked, _lone_mass=lone_mass)


def edges_by_pair(edges: Iterable[Edge]) -> Mapping[tuple[str, str], list[Edge]]:
    """Edges grouped by (source, target), for explanations."""
    grouped: dict[tuple[str, str], list[Edge]] = {}
    for edge in edges:
        grouped.setdefault((edge.source, edge.target), []).append(edge)
    return grouped
