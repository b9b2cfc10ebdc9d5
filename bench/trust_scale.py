"""Trust recompute at scale (``ledger/trust.py``): one verifier's full recompute on
synthetic graphs of 10^6 and 10^7 edges, its peak memory and determinism; building a
graph from edges, and loading one from a real ledger.

1. **Recompute.** Each size runs in its own subprocess. The graph is built there directly
   as :class:`TrustGraph` arrays with numpy (10^7 :class:`Edge` objects would take
   minutes and gigabytes of Python objects before the metric ever ran): edges/10
   identities with DIDs of a real ``did:key``'s length (56 characters); 70 % of the edges
   from a uniform source to a skewed target (index ⌊n·u²⌋: a few identities are endorsed
   by many), 30 % the reverse of one of those (mutual pairs); 8 skills, levels 1–8 at
   random. 10 anchors at random. Only :func:`compute` is timed (all skills, best of
   ``--repeat``; one per-skill run beside it). Determinism: two runs, the largest
   |difference| of any score.
2. **Memory.** Of that subprocess, from ``/proc/self/status``: the resident size once the
   graph is built (``VmRSS``: Python, numpy, the graph's arrays and its DIDs), then the
   peak resident size over the compute runs (``VmHWM``, its mark first lowered to the
   current size through ``/proc/self/clear_refs``, so that building's temporaries do not
   count; the whole process, graph included); and tracemalloc's peak over one more
   ``compute`` (what the computation itself allocates through numpy, on top of the graph).
3. **Building.** :meth:`TrustGraph.from_edges` of 10^6 :class:`Edge` objects (per edge),
   and ``ledger.trust_ledger.trust_graph`` reading a real SQLite ledger of ``--ledger``
   acceptance entries (each embedding a signed edge statement; 10^5 by default), per edge.

Run: ``.venv/bin/python bench/trust_scale.py [--quick]`` (sizes 10^5 and 10^6, a ledger
of 10^4). Prints a table and ends with one line per target; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from credentials.keys import KeyPair
from credentials.models import SkillClaim
from ledger.entries import EdgeStatement
from ledger.store import LedgerStore
from ledger.trust import Edge, TrustGraph, compute
from ledger.trust_ledger import trust_graph

SEED = 20_260_502
SKILLS = 8
ANCHORS = 10
T = 1_780_000_000
TIME_TARGETS = {10**6: 0.5, 10**7: 5.0}  # seconds per full recompute
MEMORY_TARGET = 500  # MB at 10^7 edges
DETERMINISM = 1e-12


def did(i: int) -> str:
    return f"did:key:z6Mk{i:044d}"  # a did:key's length; DID order is index order


def synthetic(edges: int, seed: int) -> TrustGraph:
    """A graph of ``edges`` edges over ``edges // 10`` identities, as arrays."""
    rng = np.random.default_rng([SEED, seed, edges])
    n = max(edges // 10, 2)
    one_way = edges - edges * 3 // 10
    src = rng.integers(0, n, edges)
    dst = np.empty(edges, dtype=np.int64)
    dst[:one_way] = np.minimum((n * rng.random(one_way) ** 2).astype(np.int64), n - 1)
    back = rng.integers(0, one_way, edges - one_way)
    src[one_way:], dst[one_way:] = dst[back], src[back]
    loop = src == dst
    dst[loop] = (dst[loop] + 1) % n  # nobody vouches for themself
    nodes = [did(i) for i in range(n)]
    return TrustGraph(
        nodes=nodes,
        index={d: i for i, d in enumerate(nodes)},
        src=src,
        dst=dst,
        skill=rng.integers(0, SKILLS, edges),
        level=1.0 + rng.integers(0, 8, edges) / 7.0,  # the level weight of levels 1–8
        skills=[f"skill {k}" for k in range(SKILLS)],
    )


def memory_mb(field: str) -> float:
    """``VmRSS`` (resident now) or ``VmHWM`` (peak resident) of this process, in MB; the
    peak from getrusage if /proc is unavailable."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def reset_peak() -> None:
    """Lower the peak-RSS mark to the current RSS (Linux ``clear_refs``), so that the
    peak read later is that of what runs after."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        pass


def one_size(edges: int, repeat: int) -> dict[str, float]:
    """Runs in the subprocess: build, time, compare, measure."""
    start = time.perf_counter()
    graph = synthetic(edges, 1)
    build = time.perf_counter() - start
    rss_graph = memory_mb("VmRSS")
    reset_peak()
    rng = np.random.default_rng([SEED, 2])
    anchors = [graph.nodes[int(i)] for i in rng.choice(len(graph.nodes), ANCHORS, replace=False)]
    times, kept = [], []
    for _ in range(max(repeat, 2)):
        start = time.perf_counter()
        scores = compute(graph, anchors)
        times.append(time.perf_counter() - start)
        walk = scores._walk
        if walk is None:
            raise SystemExit("no anchor in the graph")
        kept.append((walk.members, walk.score))
        iterations = scores.iterations
        del scores, walk  # one result alive at a time, as a verifier would hold
    (members_a, score_a), (members_b, score_b) = kept[:2]
    same_members = bool(np.array_equal(members_a, members_b))
    difference = float(np.abs(score_a - score_b).max()) if same_members else np.inf
    reachable = len(members_a)
    del kept, members_a, score_a, members_b, score_b
    reset_peak()
    held = compute(graph, anchors)
    rss_after = memory_mb("VmHWM")
    del held
    start = time.perf_counter()
    compute(graph, anchors, skill="skill 3")
    skill_seconds = time.perf_counter() - start
    tracemalloc.start()
    compute(graph, anchors)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "edges": edges,
        "identities": len(graph.nodes),
        "reachable": reachable,
        "build": build,
        "best": min(times),
        "median": float(np.median(times)),
        "skill": skill_seconds,
        "iterations": iterations,
        "difference": difference,
        "rss_graph": rss_graph,
        "rss_peak": rss_after,
        "traced": traced / 2**20,
    }


def in_subprocess(edges: int, repeat: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--one", str(edges), "--repeat", str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def from_edges_seconds(count: int) -> float:
    """Seconds of TrustGraph.from_edges over ``count`` Edge objects (built beforehand)."""
    graph = synthetic(count, 3)
    nodes, skills = graph.nodes, graph.skills
    levels = (np.rint((graph.level - 1.0) * 7.0) + 1).astype(np.int64)
    edges = [
        Edge(nodes[s], nodes[t], skills[k], int(v))
        for s, t, k, v in zip(
            graph.src.tolist(),
            graph.dst.tolist(),
            graph.skill.tolist(),
            levels.tolist(),
            strict=True,
        )
    ]
    start = time.perf_counter()
    TrustGraph.from_edges(edges)
    return time.perf_counter() - start


def ledger_seconds(count: int) -> tuple[float, float, int]:
    """(seconds to sign and store, seconds for trust_graph to load, edges loaded) for a
    ledger of ``count`` acceptances among ``count // 10`` identities."""
    rng = np.random.default_rng([SEED, 4])
    people = max(count // 10, 2)
    keys = [KeyPair.generate() for _ in range(people)]
    src = rng.integers(0, people, count)
    dst = (src + 1 + rng.integers(0, people - 1, count)) % people
    start = time.perf_counter()
    by_subject: dict[int, list[tuple[str, dict[str, bytes]]]] = {}
    for n, (s, t, level) in enumerate(
        zip(src.tolist(), dst.tolist(), rng.integers(1, 9, count).tolist(), strict=True)
    ):
        issuer, subject = keys[s], keys[t]
        claim = SkillClaim(
            kind="skill",
            issuer=issuer.did,
            subject=subject.did,
            name=f"Skill {n % SKILLS}",
            level=level,
        )
        edge = EdgeStatement.create({"id": f"urn:musette:scale:{n}"}, claim, issuer, time=T)
        by_subject.setdefault(t, []).append(("acceptance", {"edge": edge.signed}))
    with (
        tempfile.TemporaryDirectory(prefix="musette-trust-scale-") as name,
        LedgerStore(Path(name) / "ledger.db") as store,
    ):
        for t, items in by_subject.items():
            for first in range(0, len(items), 500):
                store.append_many(keys[t], items[first : first + 500], when=T)
        written = time.perf_counter() - start
        start = time.perf_counter()
        graph = trust_graph(store)
        loaded = time.perf_counter() - start
    return written, loaded, len(graph)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 10^5 and 10^6, ledger 10^4")
    parser.add_argument("--repeat", type=int, default=3, help="compute runs per size (≥ 2)")
    parser.add_argument("--ledger", type=int, help="acceptance entries in the SQLite ledger")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the subprocess's size
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.repeat)))
        return
    sizes = (10**5, 10**6) if args.quick else (10**6, 10**7)
    ledger_count = args.ledger or (10**4 if args.quick else 10**5)
    started = time.perf_counter()
    print(
        f"Musette trust at scale ({'quick' if args.quick else 'full'} run), {os.cpu_count()} CPUs\n"
    )
    print(f"1–2. full recompute, all skills, {ANCHORS} anchors (one subprocess per size)")
    print(
        f"  {'edges':>9} {'identities':>10} {'compute s':>9} {'median s':>8} {'one skill s':>11} "
        f"{'iter':>4} {'max |Δ| 2 runs':>14} {'RSS graph MB':>12} {'RSS peak MB':>11} "
        f"{'compute MB':>10}"
    )
    results = []
    for size in sizes:
        r = in_subprocess(size, args.repeat)
        results.append(r)
        print(
            f"  {int(r['edges']):>9} {int(r['identities']):>10} {r['best']:>9.3f} "
            f"{r['median']:>8.3f} {r['skill']:>11.3f} {int(r['iterations']):>4} "
            f"{r['difference']:>14.1e} {r['rss_graph']:>12.0f} {r['rss_peak']:>11.0f} "
            f"{r['traced']:>10.0f}"
        )
    print(
        "  RSS graph: VmRSS once the graph is built; RSS peak: VmHWM over the compute runs,\n"
        "  whole process; compute MB: tracemalloc peak of one compute, on top of the graph\n"
    )
    count = 10**6 if not args.quick else 10**5
    seconds = from_edges_seconds(count)
    print(
        f"3. TrustGraph.from_edges of {count} Edge objects: {seconds:.2f} s "
        f"({seconds / count * 1e6:.2f} µs per edge)"
    )
    written, loaded, in_force = ledger_seconds(ledger_count)
    print(
        f"   trust_graph from SQLite, {ledger_count} acceptance entries ({in_force} edges in "
        f"force): {loaded:.2f} s ({loaded / max(in_force, 1) * 1e6:.1f} µs per edge); "
        f"signing and storing them took {written:.0f} s\n"
    )
    print("Targets")
    for r in results:
        limit = TIME_TARGETS.get(int(r["edges"]))
        if limit is not None:
            ok = r["best"] <= limit
            print(
                f"  {'PASS' if ok else 'MISS'} full recompute at {int(r['edges']):.0e} edges ≤ "
                f"{limit} s ({r['best']:.2f} s best, {r['median']:.2f} s median)"
            )
    big = [r for r in results if int(r["edges"]) == 10**7]
    if big:
        r = big[0]
        print(
            f"  {'PASS' if r['rss_peak'] <= MEMORY_TARGET else 'MISS'} peak memory at 10^7 edges "
            f"≤ {MEMORY_TARGET} MB, whole process (VmHWM): {r['rss_peak']:.0f} MB, of which "
            f"{r['rss_graph']:.0f} MB before compute (the graph and its 10^6 DIDs)"
        )
        print(
            f"  {'PASS' if r['traced'] <= MEMORY_TARGET else 'MISS'} peak memory at 10^7 edges "
            f"≤ {MEMORY_TARGET} MB, the computation on top of the graph (tracemalloc): "
            f"{r['traced']:.0f} MB"
        )
    worst = max(r["difference"] for r in results)
    print(
        f"  {'PASS' if worst <= DETERMINISM else 'MISS'} determinism: two runs differ by ≤ "
        f"{DETERMINISM:g} (max |Δ| {worst:.1e})"
    )
    print(f"\nRun time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
