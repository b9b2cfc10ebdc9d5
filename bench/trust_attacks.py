"""The trust metric under attack (``ledger/trust.py``, ``specs/trust.md``): Sybil regions,
reciprocal rings, unreachable regions, flag floods and fresh identities, on four families
of honest graphs, with the real metric.

Honest graphs: 10,000 identities from networkx generators, average degree about 8 —
Barabási–Albert (m = 4), Holme–Kim (``powerlaw_cluster_graph``, m = 4, triangle
probability 0.5), a stochastic block model (4 blocks of 2,500, about 7 neighbours inside
the block and 1 outside) and Watts–Strogatz (k = 8, rewiring 0.1, connected). Each
undirected edge {u, v} becomes an endorsement both ways with probability 1/2 (people who
worked together vouch for each other), otherwise one way, its direction a fair coin.
Each endorsement names one of 4 skills and a level 1–8, uniformly at random.

Sybils: 1,000 identities forming a Barabási–Albert graph (m = 5) among themselves, every
edge endorsed both ways at level 8, none pointing out of the region (so that no trust
leaks back to honest identities: the attacker's best shape for keeping what enters).
Attack edges: g honest identities each endorse one random Sybil (g distinct issuers),
(a) chosen at random among the non-anchor honest identities, or (b) targeted: the g
top-scored non-anchor honest identities of the graph before the attack (anchors are the
verifier's own and are left out: an anchor endorsing a Sybil is not an attack on the
metric). Anchors: 10 or 100 honest identities at random.

Figures: the Sybil share is the Sybil region's share of the walk's stationary *mass*
(``Scores.mass``; the masses sum to 1); AUC is the probability that a random non-anchor
honest identity scores above a random Sybil (ties count half), from average ranks with
numpy (Mann–Whitney). The rings, the unreachable region, the flag flood and the fresh
identities are described where they are measured (section headers in the output). Last,
for one configuration, real signed ledger entries (edge statements inside acceptances)
are written to a temporary :class:`LedgerStore`, read back with
``ledger.trust_ledger.trust_graph`` and scored: the scores must equal those computed
from the same edges directly.

Run: ``.venv/bin/python bench/trust_attacks.py [--quick]``. Prints tables and ends with
one line per target (PASS/MISS); asserts nothing. Seeds are fixed for reproducibility,
not tuned.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from credentials.keys import KeyPair
from credentials.models import SkillClaim, normalize_skill
from ledger.entries import EdgeStatement
from ledger.store import LedgerStore
from ledger.trust import FLAG_FACTOR, FLAG_TRUST, Edge, Flag, Scores, TrustGraph, compute
from ledger.trust_ledger import trust_graph

SEED = 20_260_501
HONEST = 10_000
SYBILS = 1_000
SKILLS = ("TIG welding", "Bookkeeping", "Wound care", "Carpentry")
FAMILIES = ("Barabási–Albert", "Holme–Kim", "block model", "Watts–Strogatz")
ATTACK_EDGES = (10, 100, 1_000)
ANCHORS = (10, 100)
RING_SIZES = (10, 25, 50)
T = 1_780_000_000

SHARE_SMALL = 0.005  # Sybil share of mass at g ≤ 100 (random placement)
SHARE_LARGE = 0.03  # … at g = 1,000
AUC_RANDOM = 0.98  # g ≤ 100, random placement, 10 anchors
AUC_TARGETED = 0.95  # g ≤ 100, targeted placement, 100 anchors
RING_GAIN = 2.0  # ring's mass after ÷ before
RING_POINTS = 25.0  # median member's percentile change
FIGURE_KEPT = 0.75  # flagged figure ÷ unflagged figure
LEDGER_TOLERANCE = 1e-12


def honest_did(i: int) -> str:
    return f"did:example:honest{i:05d}"


def sybil_did(i: int) -> str:
    return f"did:example:sybil{i:04d}"


# -- graphs ---------------------------------------------------------------------------------


def undirected(family: str, n: int, seed: int) -> nx.Graph:
    if family == "Barabási–Albert":
        return nx.barabasi_albert_graph(n, 4, seed=seed)
    if family == "Holme–Kim":
        return nx.powerlaw_cluster_graph(n, 4, 0.5, seed=seed)
    if family == "block model":
        blocks = 4
        size = n // blocks
        inside, outside = 7 / size, 1 / (n - size)
        probabilities = [
            [inside if a == b else outside for b in range(blocks)] for a in range(blocks)
        ]
        graph: nx.Graph = nx.stochastic_block_model([size] * blocks, probabilities, seed=seed)
        return graph
    if family == "Watts–Strogatz":
        return nx.connected_watts_strogatz_graph(n, 8, 0.1, seed=seed)
    raise ValueError(family)


def directed_edges(
    graph: nx.Graph, rng: np.random.Generator, *, both: float, level: int | None = None
) -> np.ndarray:
    """Endorsements (source, target, skill, level) as rows: each undirected edge both
    ways with probability ``both``, otherwise one way (a fair coin for the direction)."""
    pairs = np.array(sorted((min(u, v), max(u, v)) for u, v in graph.edges()), dtype=np.int64)
    mutual = rng.random(len(pairs)) < both
    flip = rng.random(len(pairs)) < 0.5
    one = np.where(flip[:, None], pairs[:, ::-1], pairs)
    rows = np.concatenate([np.where(mutual[:, None], pairs, one), pairs[mutual][:, ::-1]])
    return with_labels(rows, rng, level)


def with_labels(pairs: np.ndarray, rng: np.random.Generator, level: int | None) -> np.ndarray:
    """(source, target) pairs with a random skill and a level (random 1–8 unless given)."""
    skills = rng.integers(0, len(SKILLS), len(pairs))
    levels = np.full(len(pairs), level) if level else rng.integers(1, 9, len(pairs))
    return np.column_stack([pairs, skills, levels]).astype(np.int64)


def to_edges(
    rows: np.ndarray, source: Callable[[int], str], target: Callable[[int], str]
) -> list[Edge]:
    return [
        Edge(source(int(s)), target(int(t)), normalize_skill(SKILLS[k]), int(level))
        for s, t, k, level in rows.tolist()
    ]


@dataclass
class World:
    """One honest graph, its Sybil region, and everything scored on them."""

    family: str
    honest: list[Edge]
    sybil: list[Edge]
    rows: np.ndarray  # honest edges as (source, target, skill, level)
    sybil_rows: np.ndarray
    rng: np.random.Generator

    def anchors(self, count: int, seed: int) -> list[str]:
        # Each random stream has its own purpose tag: numpy's SeedSequence ignores trailing
        # zeros, so [SEED, 10, w] and [SEED, 10, w, 0] would be the same stream (the
        # "random" attack edges would then come from the anchors' own picks).
        rng = np.random.default_rng([SEED, 1, count, seed])
        return [honest_did(int(i)) for i in rng.choice(HONEST, count, replace=False)]


def make_world(family: str, index: int, sybils: int) -> World:
    rng = np.random.default_rng([SEED, index])
    rows = directed_edges(undirected(family, HONEST, SEED + index), rng, both=0.5)
    sybil_rows = directed_edges(
        nx.barabasi_albert_graph(sybils, 5, seed=SEED + 100 + index), rng, both=1.0, level=8
    )
    return World(
        family,
        to_edges(rows, honest_did, honest_did),
        to_edges(sybil_rows, sybil_did, sybil_did),
        rows,
        sybil_rows,
        rng,
    )


# -- figures --------------------------------------------------------------------------------


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(a random positive scores above a random negative), ties counting half."""
    values = np.concatenate([positive, negative])
    order = np.argsort(values, kind="stable")
    _, first, counts = np.unique(values[order], return_index=True, return_counts=True)
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(first + (counts + 1) / 2.0, counts)  # average 1-based ranks
    p, q = len(positive), len(negative)
    return float((ranks[:p].sum() - p * (p + 1) / 2) / (p * q))


def percentile(population: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mid-rank percentile of each value in the sorted ``population``."""
    below = np.searchsorted(population, values, side="left")
    upto = np.searchsorted(population, values, side="right")
    return 100.0 * (below + upto) / 2.0 / len(population)


def masses(scores: Scores, dids: Sequence[str]) -> np.ndarray:
    return np.fromiter((scores.mass(d) for d in dids), np.float64, len(dids))


def score_array(scores: Scores, dids: Sequence[str]) -> np.ndarray:
    return np.fromiter((scores.score(d) for d in dids), np.float64, len(dids))


@dataclass(frozen=True)
class AttackRow:
    family: str
    anchors: int
    placement: str
    g: int
    share: float
    auc: float
    sybil_max: float  # highest Sybil score
    honest_median: float  # median non-anchor honest score
    reachable: int  # Sybils with a positive score
    seconds: float


def attack_edges(
    world: World, g: int, placement: str, anchors: list[str], before: Scores, seed: int
) -> list[Edge]:
    rng = np.random.default_rng([SEED, 2, g, seed, 2 if placement == "targeted" else 1])
    chosen = set(anchors)
    candidates = [i for i in range(HONEST) if honest_did(i) not in chosen]
    if placement == "random":
        issuers = rng.choice(candidates, g, replace=False)
    else:
        score = score_array(before, [honest_did(i) for i in candidates])
        issuers = np.asarray(candidates)[np.argsort(-score, kind="stable")[:g]]
    targets = rng.integers(0, SYBILS, g)
    levels = rng.integers(1, 9, g)
    skills = rng.integers(0, len(SKILLS), g)
    return [
        Edge(honest_did(int(i)), sybil_did(int(t)), normalize_skill(SKILLS[k]), int(level))
        for i, t, k, level in zip(issuers, targets, skills, levels, strict=True)
    ]


def attack_figures(
    world: World, attacked: TrustGraph, anchors: list[str]
) -> tuple[Scores, float, float, float, float, int]:
    scores = compute(attacked, anchors)
    chosen = set(anchors)
    honest = [honest_did(i) for i in range(HONEST) if honest_did(i) not in chosen]
    sybils = [sybil_did(i) for i in range(SYBILS)]
    h_mass, s_mass = masses(scores, honest), masses(scores, sybils)
    total = h_mass.sum() + s_mass.sum() + masses(scores, anchors).sum()
    h_score, s_score = score_array(scores, honest), score_array(scores, sybils)
    return (
        scores,
        float(s_mass.sum() / total),
        auc(h_score, s_score),
        float(s_score.max()),
        float(np.median(h_score)),
        int((s_score > 0).sum()),
    )


def sybil_attacks(worlds: list[World], placements: Sequence[str]) -> list[AttackRow]:
    print("1. Sybil region (1,000 Sybils) behind g attack edges")
    print(
        f"  {'family':<16} {'anchors':>7} {'placement':>9} {'g':>5} {'Sybil mass':>10} "
        f"{'AUC':>7} {'max Sybil':>9} {'median honest':>13} {'Sybils>0':>8} {'s':>5}"
    )
    rows: list[AttackRow] = []
    for world in worlds:
        w = FAMILIES.index(world.family)  # seeds follow the family, not its place in the run
        for count in ANCHORS:
            anchors = world.anchors(count, w)
            before = compute(TrustGraph.from_edges(world.honest + world.sybil), anchors)
            for placement in placements:
                for g in ATTACK_EDGES:
                    start = time.perf_counter()
                    edges = attack_edges(world, g, placement, anchors, before, w)
                    graph = TrustGraph.from_edges(world.honest + world.sybil + edges)
                    _, share, area, top, median, reached = attack_figures(world, graph, anchors)
                    row = AttackRow(
                        world.family,
                        count,
                        placement,
                        g,
                        share,
                        area,
                        top,
                        median,
                        reached,
                        time.perf_counter() - start,
                    )
                    rows.append(row)
                    print(
                        f"  {row.family:<16} {row.anchors:>7} {row.placement:>9} {row.g:>5} "
                        f"{row.share:>10.3%} {row.auc:>7.4f} {row.sybil_max:>9.2e} "
                        f"{row.honest_median:>13.2e} {row.reachable:>8} {row.seconds:>5.2f}"
                    )
    print()
    return rows


# -- unreachable regions and fresh identities -----------------------------------------------


@dataclass(frozen=True)
class IsolationRow:
    family: str
    identical: bool  # every score and mass bit for bit
    compared: int
    outsiders_zero: bool
    fresh_zero: bool
    shuffled_max: float  # max |Δscore| when the same edges come in another order


def isolation(worlds: list[World]) -> list[IsolationRow]:
    print(
        "2. Unreachable region: 1,000 identities (Barabási–Albert m = 5, both ways) with no "
        "path from the anchors,\n   plus 2,000 edges from them into the honest region; "
        "fresh identities: one absent, one endorsed\n   only by the unreachable region, one "
        "endorsed only by another fresh identity. 10 anchors."
    )
    print(
        f"  {'family':<16} {'scores compared':>15} {'bit-identical':>13} {'outsiders 0':>11} "
        f"{'fresh 0':>7} {'shuffled order: max |Δ|':>24}"
    )
    rows = []
    for world in worlds:
        w = FAMILIES.index(world.family)  # seeds follow the family, not its place in the run
        rng = np.random.default_rng([SEED, 7, w])
        anchors = world.anchors(10, w)
        base_edges = world.honest + world.sybil
        base = compute(TrustGraph.from_edges(base_edges), anchors)
        region = directed_edges(nx.barabasi_albert_graph(1_000, 5, seed=SEED + w), rng, both=1.0)
        into = with_labels(
            np.column_stack([rng.integers(0, 1_000, 2_000), rng.integers(0, HONEST, 2_000)]),
            rng,
            None,
        )

        def outsider(i: int) -> str:
            return f"did:example:outsider{i:04d}"

        extra = (
            to_edges(region, outsider, outsider)
            + to_edges(into, outsider, honest_did)
            + [
                Edge(outsider(0), "did:example:fresh-b", "tig welding", 8),
                Edge("did:example:fresh-c", "did:example:fresh-d", "tig welding", 8),
            ]
        )
        mixed = list(base_edges) + extra
        rng.shuffle(mixed)
        # The extra edges interleaved with the others, but the others in their order:
        # only the unreachable ones may move.
        order = {id(e): i for i, e in enumerate(base_edges)}
        kept = iter(sorted(base_edges, key=lambda e: order[id(e)]))
        interleaved = [e if id(e) not in order else next(kept) for e in mixed]
        after = compute(TrustGraph.from_edges(interleaved), anchors)
        dids = [honest_did(i) for i in range(HONEST)] + [sybil_did(i) for i in range(SYBILS)]
        identical = all(
            base.score(d) == after.score(d) and base.mass(d) == after.mass(d) for d in dids
        ) and base.values == {k: v for k, v in after.values.items()}
        outsiders = all(after.score(outsider(i)) == 0.0 for i in range(1_000))
        fresh = all(
            after.score(f"did:example:fresh-{c}") == 0.0
            and base.score(f"did:example:fresh-{c}") == 0.0
            for c in "abcd"
        )
        shuffled = list(base_edges)
        rng.shuffle(shuffled)
        again = compute(TrustGraph.from_edges(shuffled), anchors)
        moved = max(abs(base.score(d) - again.score(d)) for d in dids)
        row = IsolationRow(world.family, identical, len(dids), outsiders, fresh, moved)
        rows.append(row)
        print(
            f"  {row.family:<16} {row.compared:>15} {row.identical!s:>13} "
            f"{row.outsiders_zero!s:>11} {row.fresh_zero!s:>7} {row.shuffled_max:>24.2e}"
        )
    print()
    return rows


# -- reciprocal rings -----------------------------------------------------------------------


@dataclass(frozen=True)
class RingRow:
    family: str
    anchors: int
    size: int
    gain: float  # ring mass after ÷ before
    points: float  # median member's percentile change
    before: float  # median member's percentile before


def rings(worlds: list[World], sizes: Sequence[int]) -> list[RingRow]:
    print(
        "3. Reciprocal rings: members at random among the non-anchor honest identities, each "
        "endorsing every other\n   (level 8, a random skill), on top of their honest edges "
        "(Sybils present, no attack edge)"
    )
    print(
        f"  {'family':<16} {'anchors':>7} {'size':>4} {'mass gain':>9} "
        f"{'median pctile before':>20} {'median Δ points':>15}"
    )
    rows = []
    for world in worlds:
        w = FAMILIES.index(world.family)  # seeds follow the family, not its place in the run
        for count in ANCHORS:
            anchors = world.anchors(count, w)
            chosen = set(anchors)
            base_edges = world.honest + world.sybil
            before = compute(TrustGraph.from_edges(base_edges), anchors)
            honest = [honest_did(i) for i in range(HONEST)]
            before_scores = np.sort(score_array(before, honest))
            for size in sizes:
                rng = np.random.default_rng([SEED, 11, w, count, size])
                pool = [i for i in range(HONEST) if honest_did(i) not in chosen]
                members = [honest_did(int(i)) for i in rng.choice(pool, size, replace=False)]
                ring = [
                    Edge(a, b, normalize_skill(SKILLS[int(rng.integers(len(SKILLS)))]), 8)
                    for a in members
                    for b in members
                    if a != b
                ]
                after = compute(TrustGraph.from_edges(base_edges + ring), anchors)
                gain = masses(after, members).sum() / masses(before, members).sum()
                after_scores = np.sort(score_array(after, honest))
                p0 = percentile(before_scores, score_array(before, members))
                p1 = percentile(after_scores, score_array(after, members))
                row = RingRow(
                    world.family,
                    count,
                    size,
                    float(gain),
                    float(np.median(p1 - p0)),
                    float(np.median(p0)),
                )
                rows.append(row)
                print(
                    f"  {row.family:<16} {row.anchors:>7} {row.size:>4} {row.gain:>8.2f}× "
                    f"{row.before:>20.1f} {row.points:>+15.1f}"
                )
    print()
    return rows


# -- flag floods ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagRow:
    family: str
    anchors: int
    shape: str
    counted: int  # flaggers above the threshold
    kept: float  # figure ÷ unflagged figure
    target: bool  # a brief target (not an adaptive extra)
    threshold: float
    eligible: int  # non-anchor honest identities whose flags would count


def funnel_edges(sybils: int, funnels: int, rng: np.random.Generator) -> list[Edge]:
    """An adaptive shape: every Sybil endorses only the ``funnels`` flaggers, which
    endorse each other and every Sybil: the region's mass gathers on the flaggers."""
    edges = []
    for s in range(funnels, sybils):
        edges += [Edge(sybil_did(s), sybil_did(f), "tig welding", 8) for f in range(funnels)]
    for f in range(funnels):
        edges += [
            Edge(sybil_did(f), sybil_did(s), "tig welding", 8) for s in range(sybils) if s != f
        ]
    rng.shuffle(edges)
    return edges


def flag_floods(worlds: list[World], adaptive: bool) -> list[FlagRow]:
    print(
        "4. Flag flood: every Sybil flags the issuer of a median honest attestation (an edge "
        "whose issuer has the\n   median score among non-anchor honest issuers), 100 attack "
        "edges at random; figure kept = flagged ÷ unflagged"
    )
    print(
        f"  {'family':<16} {'anchors':>7} {'Sybil region':<28} {'flags counted':>13} "
        f"{'figure kept':>11} {'threshold':>9} {'honest eligible':>15}"
    )
    rows = []
    for world in worlds:
        w = FAMILIES.index(world.family)  # seeds follow the family, not its place in the run
        for count in ANCHORS:
            anchors = world.anchors(count, w)
            chosen = set(anchors)
            before = compute(TrustGraph.from_edges(world.honest + world.sybil), anchors)
            edges = attack_edges(world, 100, "random", anchors, before, w)
            shapes: list[tuple[str, list[Edge], int, bool]] = [
                ("1,000, Barabási–Albert", world.sybil, SYBILS, True)
            ]
            if adaptive:
                rng = np.random.default_rng([SEED, 13, w])
                shapes.append(("1,000, funnel into 5", funnel_edges(SYBILS, 5, rng), SYBILS, False))
                many = directed_edges(
                    nx.barabasi_albert_graph(20_000, 5, seed=SEED + 5), rng, both=1.0, level=8
                )
                shapes.append(
                    ("20,000, Barabási–Albert", to_edges(many, sybil_did, sybil_did), 20_000, False)
                )
            for shape, sybil_edges, sybils, target in shapes:
                graph = TrustGraph.from_edges(world.honest + sybil_edges + edges)
                scores = compute(graph, anchors)
                issuers = sorted(
                    {e.source for e in world.honest if e.source not in chosen},
                    key=lambda d: (scores.score(d), d),
                )
                issuer = issuers[len(issuers) // 2]
                flags = [Flag(sybil_did(s), issuer) for s in range(sybils)]
                flagged = scores.figure(issuer, [issuer], flags)
                plain = scores.figure(issuer, [issuer], [])
                threshold = scores.flag_threshold()
                eligible = sum(
                    scores.score(honest_did(i)) >= threshold
                    for i in range(HONEST)
                    if honest_did(i) not in chosen
                )
                row = FlagRow(
                    world.family,
                    count,
                    shape,
                    len(flagged.flaggers),
                    flagged.value / plain.value,
                    target,
                    threshold,
                    eligible,
                )
                rows.append(row)
                print(
                    f"  {row.family:<16} {row.anchors:>7} {row.shape:<28} {row.counted:>13} "
                    f"{row.kept:>11.1%} {row.threshold:>9.2e} {row.eligible:>15}"
                )
    print(
        f"  (each counted flag leaves {FLAG_FACTOR} of the figure; threshold: the median positive "
        f"score, at least {FLAG_TRUST}; honest eligible: non-anchor honest identities at or "
        "above it)\n"
    )
    return rows


# -- real ledger entries --------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    identities: int
    edges: int
    entries_seconds: float
    load_seconds: float
    max_difference: float
    compared: int


def ledger_sample(world: World, honest: int, sybils: int, g: int) -> LedgerRow:
    """Real signed edge statements in real acceptances, for the first ``honest`` honest
    identities (Barabási–Albert: the oldest, best connected), ``sybils`` Sybils and ``g``
    attack edges: loaded with ``trust_graph`` and scored, beside the same edges scored
    directly."""
    rng = np.random.default_rng([SEED, 17])
    rows = world.rows[(world.rows[:, 0] < honest) & (world.rows[:, 1] < honest)]
    srows = world.sybil_rows[(world.sybil_rows[:, 0] < sybils) & (world.sybil_rows[:, 1] < sybils)]
    attack = with_labels(
        np.column_stack([rng.choice(honest, g, replace=False), rng.integers(0, sybils, g)]),
        rng,
        None,
    )
    keys = {("h", i): KeyPair.generate() for i in range(honest)}
    keys.update({("s", i): KeyPair.generate() for i in range(sybils)})
    labelled = (
        [(("h", s), ("h", t), k, v) for s, t, k, v in rows.tolist()]
        + [(("s", s), ("s", t), k, v) for s, t, k, v in srows.tolist()]
        + [(("h", s), ("s", t), k, v) for s, t, k, v in attack.tolist()]
    )
    start = time.perf_counter()
    by_subject: dict[tuple[str, int], list[tuple[str, dict[str, bytes]]]] = {}
    direct = []
    for n, (source, target, skill, level) in enumerate(labelled):
        issuer, subject = keys[source], keys[target]
        claim = SkillClaim(
            kind="skill", issuer=issuer.did, subject=subject.did, name=SKILLS[skill], level=level
        )
        credential = {"id": f"urn:musette:bench:{n}", "issuer": issuer.did}
        edge = EdgeStatement.create(credential, claim, issuer, time=T)
        by_subject.setdefault(target, []).append(("acceptance", {"edge": edge.signed}))
        direct.append(Edge(issuer.did, subject.did, normalize_skill(SKILLS[skill]), level))
    with (
        tempfile.TemporaryDirectory(prefix="musette-trust-") as name,
        LedgerStore(Path(name) / "ledger.db") as store,
    ):
        for target, items in by_subject.items():
            store.append_many(keys[target], items, when=T)
        entries_seconds = time.perf_counter() - start
        start = time.perf_counter()
        loaded = trust_graph(store)
        load_seconds = time.perf_counter() - start
    anchors = [keys[("h", int(i))].did for i in rng.choice(honest, 5, replace=False)]
    straight = TrustGraph.from_edges(direct)
    dids = [k.did for k in keys.values()]
    worst = 0.0
    for skill in (None, normalize_skill(SKILLS[0])):
        a, b = compute(loaded, anchors, skill=skill), compute(straight, anchors, skill=skill)
        worst = max(worst, max(abs(a.score(d) - b.score(d)) for d in dids))
        worst = max(worst, max(abs(a.mass(d) - b.mass(d)) for d in dids))
    return LedgerRow(len(keys), len(loaded), entries_seconds, load_seconds, worst, len(dids))


# -------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="two families, random placement, one ring size"
    )
    args = parser.parse_args()
    families = FAMILIES[::2] if args.quick else FAMILIES
    placements = ("random",) if args.quick else ("random", "targeted")
    started = time.perf_counter()
    print(
        f"Musette trust under attack ({'quick' if args.quick else 'full'} run), "
        f"{os.cpu_count()} CPUs: {HONEST} honest identities, {SYBILS} Sybils, skills "
        f"{len(SKILLS)}, levels 1–8\n"
    )
    start = time.perf_counter()
    worlds = [make_world(f, FAMILIES.index(f), SYBILS) for f in families]
    print(
        "  honest endorsements: "
        + ", ".join(f"{w.family} {len(w.honest)}" for w in worlds)
        + f"; Sybil region: {len(worlds[0].sybil)} endorsements "
        f"(built in {time.perf_counter() - start:.1f} s)\n"
    )
    attacks = sybil_attacks(worlds, placements)
    isolated = isolation(worlds)
    ringed = rings(worlds, RING_SIZES[-1:] if args.quick else RING_SIZES)
    flagged = flag_floods(worlds, adaptive=not args.quick)
    print(
        "5. Real ledger entries (Barabási–Albert sample: 400 honest, 100 Sybils, 10 attack edges)"
    )
    sample = ledger_sample(worlds[0], 400, 100, 10)
    print(
        f"  {sample.identities} identities, {sample.edges} edges in force: signed and stored "
        f"in {sample.entries_seconds:.1f} s, loaded by trust_graph in {sample.load_seconds:.2f} s; "
        f"max |Δ| over {sample.compared} scores and masses (all skills and one skill), ledger vs "
        f"direct: {sample.max_difference:.1e}\n"
    )

    print("Targets")
    random_rows = [r for r in attacks if r.placement == "random"]
    small = [r for r in random_rows if r.g <= 100]
    large = [r for r in random_rows if r.g == 1_000]
    print(
        f"  {verdict(all(r.share <= SHARE_SMALL for r in small))} Sybil share of mass ≤ "
        f"{SHARE_SMALL:.1%} at g ≤ 100, random placement (worst {max(r.share for r in small):.3%})"
    )
    print(
        f"  {verdict(all(r.share <= SHARE_LARGE for r in large))} Sybil share of mass ≤ "
        f"{SHARE_LARGE:.0%} at g = 1,000, random placement "
        f"(worst {max(r.share for r in large):.3%})"
    )
    auc_random = [r for r in small if r.anchors == 10]
    print(
        f"  {verdict(all(r.auc >= AUC_RANDOM for r in auc_random))} AUC ≥ {AUC_RANDOM} at g ≤ 100, "
        f"random placement, 10 anchors (worst {min(r.auc for r in auc_random):.4f})"
    )
    targeted = [r for r in attacks if r.placement == "targeted" and r.g <= 100 and r.anchors == 100]
    if targeted:
        print(
            f"  {verdict(all(r.auc >= AUC_TARGETED for r in targeted))} AUC ≥ {AUC_TARGETED} at "
            f"g ≤ 100, targeted placement, 100 anchors (worst {min(r.auc for r in targeted):.4f})"
        )
    else:
        print("  ---- AUC, targeted placement: not run (--quick)")
    print(
        f"  {verdict(all(r.identical and r.outsiders_zero for r in isolated))} an unreachable "
        f"region (with edges into the honest one) changes no score: bit-identical in "
        f"{sum(r.identical for r in isolated)} of {len(isolated)} graphs"
    )
    print(
        f"  {verdict(all(r.gain <= RING_GAIN for r in ringed))} a reciprocal ring of ≤ 50 gains "
        f"≤ {RING_GAIN:.0f}× its mass (worst {max(r.gain for r in ringed):.2f}×)"
    )
    print(
        f"  {verdict(all(r.points <= RING_POINTS for r in ringed))} … and ≤ {RING_POINTS:.0f} "
        f"percentile points, median member (worst {max(r.points for r in ringed):+.1f})"
    )
    brief = [r for r in flagged if r.target]
    print(
        f"  {verdict(all(r.kept >= FIGURE_KEPT for r in brief))} 1,000 Sybils, 100 attack edges, "
        f"flagging a median attestation: figure ≥ {FIGURE_KEPT:.0%} of unflagged "
        f"(worst {min(r.kept for r in brief):.1%})"
    )
    print(
        f"  {verdict(all(r.fresh_zero for r in isolated))} a fresh identity (absent, or endorsed "
        f"only from outside the anchors' reach) scores exactly 0"
    )
    print(
        f"  {verdict(sample.max_difference <= LEDGER_TOLERANCE)} real signed ledger entries, "
        f"loaded by trust_graph, score as the same edges do directly (≤ {LEDGER_TOLERANCE:g}: "
        f"{sample.max_difference:.1e})"
    )
    extra = [r for r in flagged if not r.target]
    if extra:
        print(
            "  (not a target) adaptive flag floods, 100 random attack edges: "
            + "; ".join(
                f"{shape}: figure kept ≥ {min(r.kept for r in extra if r.shape == shape):.1%}"
                for shape in sorted({r.shape for r in extra})
            )
        )
    print(f"\nRun time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
