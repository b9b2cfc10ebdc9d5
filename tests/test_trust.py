"""The trust metric's laws (``ledger/trust.py``), its input read from a real ledger
(``ledger/trust_ledger.py``) and signed snapshots (``ledger/trust_snapshot.py``).

The properties run on small random graphs; the identities are named so that every group
(honest, unreachable, Sybil) interleaves with the others in DID order, which is the order
the computation numbers them in.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credentials.keys import KeyPair
from credentials.models import SkillAttestation, SkillClaim
from ledger import trust
from ledger.entries import EdgeStatement, Entry, credential_digest
from ledger.statuslist import list_id
from ledger.store import LedgerStore
from ledger.trust import (
    FLAG_FACTOR,
    OTHER_SKILL,
    RESTART,
    Edge,
    Flag,
    Scores,
    TrustError,
    TrustGraph,
    _level_weight,
    compute,
)
from ledger.trust_ledger import trust_graph
from ledger.trust_snapshot import ALL_SKILLS, METRIC, latest_snapshot, snapshot_bodies

FAST = settings(max_examples=40, deadline=None)

# Even numbers: the honest (reachable) side; odd: the unreachable or Sybil side.
HONEST = [f"did:ex:{i:02d}" for i in range(0, 12, 2)]
OTHERS = [f"did:ex:{i:02d}" for i in range(1, 12, 2)]
SKILLS = ("welding", "brazing")
FRESH = "did:ex:fresh"
T = 1_780_000_000

levels = st.one_of(st.none(), st.integers(1, 8))
skills_asked = st.sampled_from([None, *SKILLS, "bookkeeping"])


def edges(sources: Sequence[str], targets: Sequence[str], max_size: int = 20) -> st.SearchStrategy:
    return st.lists(
        st.builds(
            Edge,
            st.sampled_from(sources),
            st.sampled_from(targets),
            st.sampled_from(SKILLS),
            levels,
        ),
        max_size=max_size,
    )


anchor_sets = st.sets(st.sampled_from(HONEST), min_size=1, max_size=3)


def reachable(rows: Iterable[Edge], anchors: Iterable[str]) -> set[str]:
    """Reference: who a path of endorsements from the anchors reaches (anchors included)."""
    out: dict[str, set[str]] = {}
    for e in rows:
        if e.source != e.target:
            out.setdefault(e.source, set()).add(e.target)
    seen = set(anchors)
    queue = deque(seen)
    while queue:
        for nxt in out.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def weights(
    rows: Iterable[Edge], skill: str | None = None, *, discount: bool = True
) -> dict[tuple[str, str], float]:
    """Reference: one weight per ordered pair, parallel edges summed, mutual pairs
    discounted (unless ``discount`` is false: the weights an endorser's share is
    normalised by); edges of another skill than ``skill`` scaled by OTHER_SKILL."""
    pair: dict[tuple[str, str], float] = {}
    for e in rows:
        if e.source == e.target:
            continue
        factor = 1.0 if skill is None or e.skill == skill else OTHER_SKILL
        key = (e.source, e.target)
        pair[key] = pair.get(key, 0.0) + _level_weight(e.level) * factor
    if not discount:
        return pair
    return {(u, v): w * (trust.RECIPROCAL if (v, u) in pair else 1.0) for (u, v), w in pair.items()}


def anchored(rows: list[Edge], anchors: Iterable[str]) -> list[Edge]:
    """``rows`` with an edge from each anchor to the next honest identity, so that every
    anchor is in the graph (the laws hold without it too: see the tests of lone anchors)."""
    lead = [Edge(a, HONEST[(HONEST.index(a) + 1) % len(HONEST)], "welding") for a in anchors]
    return lead + rows


def scores(rows: Sequence[Edge], anchors: Iterable[str], skill: str | None = None) -> Scores:
    return compute(TrustGraph.from_edges(rows), anchors, skill=skill)


# -- range, anchors, reachability -----------------------------------------------------------


@FAST
@given(rows=edges(HONEST + OTHERS, HONEST + OTHERS), anchors=anchor_sets, skill=skills_asked)
def test_scores_lie_in_0_1_anchors_score_1_and_the_unreachable_0(
    rows: list[Edge], anchors: set[str], skill: str | None
) -> None:
    result = scores(rows, anchors, skill=skill)
    reached = reachable(rows, anchors)
    for did in HONEST + OTHERS:
        value = result.score(did)
        assert 0.0 <= value <= 1.0
        if did in anchors:
            assert value == 1.0
        elif did in reached:
            assert value > 0.0
            assert result.path(did)[0] in anchors
            assert result.path(did)[-1] == did
        else:
            assert value == 0.0
            assert result.path(did) == []
            assert result.mass(did) == 0.0
    assert result.score(FRESH) == 0.0
    assert result.path(FRESH) == []
    assert FRESH not in result.values
    assert result.values == {d: result.score(d) for d in HONEST + OTHERS if result.score(d) > 0} | {
        a: 1.0 for a in anchors
    }


def test_no_anchors_is_refused_and_a_lone_anchor_scores_1() -> None:
    graph = TrustGraph.from_edges([Edge(HONEST[0], HONEST[1], "welding")])
    with pytest.raises(TrustError):
        compute(graph, [])
    lone = compute(graph, [FRESH])
    assert lone.score(FRESH) == 1.0
    assert lone.score(HONEST[0]) == lone.score(HONEST[1]) == 0.0
    assert lone.values == {FRESH: 1.0}


def test_an_unreachable_identity_vouching_for_an_absent_anchor_changes_nothing() -> None:
    a, b, unreachable = HONEST[0], HONEST[2], OTHERS[0]
    rows = [Edge(a, HONEST[1], "welding")]
    before = scores(rows, [a, b])
    after = scores([*rows, Edge(unreachable, b, "welding")], [a, b])
    assert after.score(HONEST[1]) == before.score(HONEST[1])


def test_self_endorsement_is_dropped() -> None:
    graph = TrustGraph.from_edges([Edge(HONEST[1], HONEST[1], "welding")])
    assert len(graph) == 0
    assert compute(graph, [HONEST[0]]).score(HONEST[1]) == 0.0


@FAST
@given(
    rows=edges(HONEST, HONEST),
    outside=edges(OTHERS, HONEST + OTHERS, max_size=30),
    anchors=anchor_sets,
    skill=skills_asked,
    flood=st.lists(st.sampled_from(OTHERS), max_size=10),
)
def test_an_unreachable_region_changes_no_score_at_all(
    rows: list[Edge],
    outside: list[Edge],
    anchors: set[str],
    skill: str | None,
    flood: list[str],
) -> None:
    rows = anchored(rows, anchors)
    before = scores(rows, anchors, skill=skill)
    for mixed in (rows + outside, outside + rows):
        graph = TrustGraph.from_edges(mixed, flags=[Flag(f, HONEST[0]) for f in flood])
        after = compute(graph, anchors, skill=skill)
        for did in HONEST + OTHERS:
            assert after.score(did) == before.score(did)  # exactly
            assert after.mass(did) == before.mass(did)
        assert after.values == before.values
        assert after.flag_threshold() == before.flag_threshold()


# -- the Sybil bound -------------------------------------------------------------------------


@FAST
@given(
    honest=edges(HONEST, HONEST),
    sybil=edges(OTHERS, HONEST + OTHERS, max_size=30),
    attack=edges(HONEST, OTHERS, max_size=4),
    anchors=anchor_sets,
    skill=skills_asked,
)
def test_a_sybil_region_gains_at_most_what_its_attack_edges_carry(
    honest: list[Edge],
    sybil: list[Edge],
    attack: list[Edge],
    anchors: set[str],
    skill: str | None,
) -> None:
    """Each step a walker at u crosses to s with probability (1 − RESTART)·T[u, s], where
    T[u, s] is the edge's weight (discounted if mutual; of the asked skill, or OTHER_SKILL
    of it) over u's whole outgoing weight before discounts; restarts land on the (honest)
    anchors only. So at the fixed point
    X_S = (1 − R)(A + Σ_{u∈S} x_u·T[u, S]) ≤ (1 − R)(A + X_S), with A = Σ_{u∈H} x_u·T[u, S]:
    X_S ≤ (1 − R)/R · A, whatever the size or the wiring of the Sybil region."""
    rows = honest + sybil + attack
    result = scores(rows, anchors, skill=skill)
    plain, asked = weights(rows, discount=False), weights(rows, skill)
    out: dict[str, float] = {}
    for (u, _), w in plain.items():
        out[u] = out.get(u, 0.0) + w
    crossing = sum(
        result.mass(u) * w / out[u] for (u, v), w in asked.items() if u in HONEST and v in OTHERS
    )
    region = sum(result.mass(s) for s in OTHERS)
    assert region <= (1 - RESTART) / RESTART * crossing + 1e-9
    if not attack:
        assert region == 0.0


@FAST
@given(
    size=st.integers(2, 8),
    complete=st.booleans(),
    others=st.integers(0, 3),
    level=levels,
)
def test_a_ring_gains_at_most_what_enters_it_over_restart(
    size: int, complete: bool, others: int, level: int | None
) -> None:
    """A ring (a cycle, or everyone endorsing everyone) fed by one honest edge holds at most
    1/RESTART × what enters it per step, however large or dense it is."""
    anchor, door = HONEST[0], HONEST[1]
    ring = [f"did:ex:ring{i}" for i in range(size)]
    rows = [Edge(anchor, door, "welding"), Edge(door, ring[0], "welding", level)]
    rows += [Edge(door, HONEST[2 + i], "welding", level) for i in range(others)]
    if complete:
        rows += [Edge(a, b, "welding", level) for a in ring for b in ring if a != b]
    else:
        rows += [Edge(ring[i], ring[(i + 1) % size], "welding", level) for i in range(size)]
    result = scores(rows, [anchor])
    enters = (1 - RESTART) * result.mass(door) / (1 + others)
    held = sum(result.mass(r) for r in ring)
    assert held <= enters / RESTART + 1e-9
    assert all(result.score(r) < result.score(door) for r in ring)


# -- determinism -----------------------------------------------------------------------------


@FAST
@given(
    rows=edges(HONEST + OTHERS, HONEST + OTHERS, max_size=30),
    anchors=anchor_sets,
    skill=skills_asked,
    seed=st.integers(0, 2**32),
)
def test_scores_are_deterministic_and_edge_order_does_not_matter(
    rows: list[Edge], anchors: set[str], skill: str | None, seed: int
) -> None:
    first = scores(rows, anchors, skill=skill)
    again = scores(list(rows), sorted(anchors, reverse=True), skill=skill)
    assert first.values == again.values
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    other = scores(shuffled, anchors, skill=skill)
    for did in HONEST + OTHERS:
        assert abs(first.score(did) - other.score(did)) <= 1e-12
        assert first.path(did) == other.path(did)


# -- reciprocity -----------------------------------------------------------------------------


def _pair(anchor: str = "did:ex:a", u: str = "did:ex:u") -> list[Edge]:
    """The anchor vouches for u; u vouches for v and w alike; only v vouches back."""
    return [
        Edge(anchor, u, "welding"),
        Edge(u, "did:ex:v", "welding"),
        Edge(u, "did:ex:w", "welding"),
        Edge("did:ex:v", u, "welding"),
    ]


def test_a_mutual_pair_gains_less_than_a_one_way_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    # v's edge from u is the twin of w's, but v vouches back: the pair is discounted
    result = scores(_pair(), ["did:ex:a"])
    assert result.score("did:ex:v") < result.score("did:ex:w")
    # without the discount, vouching back would pay
    monkeypatch.setattr(trust, "RECIPROCAL", 1.0)
    undiscounted = scores(_pair(), ["did:ex:a"])
    assert undiscounted.score("did:ex:v") == pytest.approx(undiscounted.score("did:ex:w"))
    assert undiscounted.score("did:ex:v") > result.score("did:ex:v")


def test_a_mutual_pair_holds_less_than_the_same_edges_one_way() -> None:
    """u ⇄ v against u → v → x (the same two edges, the second pointing on)."""
    anchor = "did:ex:a"
    side = [Edge(anchor, "did:ex:u", "welding"), Edge("did:ex:u", "did:ex:z", "welding")]
    mutual = scores(
        [*side, Edge("did:ex:u", "did:ex:v", "welding"), Edge("did:ex:v", "did:ex:u", "welding")],
        [anchor],
    )
    one_way = scores(
        [*side, Edge("did:ex:u", "did:ex:v", "welding"), Edge("did:ex:v", "did:ex:x", "welding")],
        [anchor],
    )
    assert mutual.score("did:ex:v") < one_way.score("did:ex:v")


# -- per skill -------------------------------------------------------------------------------


@FAST
@given(length=st.integers(1, 4), chain_levels=st.lists(levels, min_size=4, max_size=4))
def test_a_path_in_the_asked_skill_carries_more_than_one_in_another(
    length: int, chain_levels: list[int | None]
) -> None:
    chain = HONEST[: length + 1]

    def path(skill: str) -> list[Edge]:
        return [Edge(chain[i], chain[i + 1], skill, chain_levels[i]) for i in range(length)]

    asked = scores(path("welding"), [chain[0]], skill="welding")
    other = scores(path("brazing"), [chain[0]], skill="welding")
    alike = scores(path("brazing"), [chain[0]])
    for did in chain[1:]:
        assert 0 < other.score(did) < asked.score(did)
        assert asked.score(did) == alike.score(did)  # all skills alike: as if asked


# -- flags -----------------------------------------------------------------------------------


def _flag_world() -> list[Edge]:
    """An anchor vouching for five peers (the issuer among them); a chain below one
    of them leads to an identity far below the median."""
    a = "did:ex:a"
    rows = [Edge(a, f"did:ex:p{i}", "welding") for i in range(5)]
    rows += [Edge("did:ex:p4", "did:ex:q", "welding"), Edge("did:ex:q", "did:ex:low", "welding")]
    return rows


def test_flags_count_one_vote_per_trusted_flagger() -> None:
    rows = _flag_world()
    result = scores(rows, ["did:ex:a"])
    issuer = "did:ex:p0"
    threshold = result.flag_threshold()
    assert result.score("did:ex:low") < threshold <= result.score("did:ex:p1")
    clean = result.figure(issuer, [issuer], [])
    assert clean.value == result.score(issuer) == clean.issuer_trust
    # below the threshold: nothing
    low = result.figure(issuer, [issuer], [Flag("did:ex:low", issuer)])
    assert (low.value, low.flaggers) == (clean.value, [])
    # each counted flagger takes FLAG_FACTOR; the same flagger twice counts once
    for k in range(1, 4):
        flags = [Flag(f"did:ex:p{i}", issuer) for i in range(1, 1 + k)]
        figure = result.figure(issuer, [issuer], [*flags, *flags])
        assert len(figure.flaggers) == k
        assert figure.value == pytest.approx(clean.value * FLAG_FACTOR**k, abs=1e-15)
    # a flag about something else is not about this attestation
    other = result.figure(issuer, [issuer, "ab" * 32], [Flag("did:ex:p1", "did:ex:p2")])
    assert other.value == clean.value


@FAST
@given(
    rows=edges(HONEST, HONEST),
    anchors=anchor_sets,
    issuer=st.sampled_from(HONEST),
    flaggers=st.lists(st.sampled_from(HONEST + OTHERS + [FRESH]), max_size=8),
)
def test_a_figure_is_the_issuer_trust_less_each_counted_flag(
    rows: list[Edge], anchors: set[str], issuer: str, flaggers: list[str]
) -> None:
    result = scores(rows, anchors)
    threshold = result.flag_threshold()
    flags = [Flag(f, issuer) for f in flaggers]
    counted = {f for f in flaggers if result.score(f) >= threshold}
    figure = result.figure(issuer, [issuer], flags)
    assert figure.flaggers == sorted(counted)
    assert figure.value == pytest.approx(result.score(issuer) * FLAG_FACTOR ** len(counted))
    below = [Flag(f, issuer) for f in flaggers if f not in counted]
    assert result.figure(issuer, [issuer], below).value == result.score(issuer)


def test_a_flood_of_flags_from_unreachable_identities_changes_nothing() -> None:
    rows = _flag_world()
    sybils = [f"did:ex:sybil{i:04d}" for i in range(2000)]
    # they vouch for each other and for the issuer, and all flag the issuer
    farm = [Edge(s, sybils[(i + 1) % len(sybils)], "welding") for i, s in enumerate(sybils)]
    farm += [Edge(s, "did:ex:p0", "welding") for s in sybils[:50]]
    flood = [Flag(s, target) for s in sybils for target in ("did:ex:p0", "ab" * 32)]
    plain = compute(TrustGraph.from_edges(rows), ["did:ex:a"])
    graph = TrustGraph.from_edges(rows + farm, flags=flood)
    attacked = compute(graph, ["did:ex:a"])
    assert attacked.values == plain.values
    assert attacked.flag_threshold() == plain.flag_threshold()
    figure = attacked.figure("did:ex:p0", ["ab" * 32, "did:ex:p0"], graph.flags)
    assert figure.flaggers == []
    assert figure.value == plain.score("did:ex:p0")


# -- forks -----------------------------------------------------------------------------------


@FAST
@given(
    rows=edges(HONEST + OTHERS, HONEST + OTHERS, max_size=25),
    anchors=anchor_sets,
    forked=st.sampled_from(OTHERS),
    skill=skills_asked,
)
def test_a_forked_author_scores_0_and_passes_nothing_on(
    rows: list[Edge], anchors: set[str], forked: str, skill: str | None
) -> None:
    rows = anchored(rows, anchors)
    graph = TrustGraph.from_edges(rows, forked=[forked])
    result = compute(graph, anchors, skill=skill)
    assert result.score(forked) == 0.0
    assert result.path(forked) == []
    assert forked not in result.values
    # the same as if it had never vouched nor been vouched for
    without = scores([e for e in rows if forked not in (e.source, e.target)], anchors, skill=skill)
    for did in HONEST + OTHERS:
        assert abs(result.score(did) - without.score(did)) <= 1e-12


def test_a_forked_endorser_loses_its_endorsees_what_came_through_it() -> None:
    a, f, v, w = "did:ex:a", "did:ex:f", "did:ex:v", "did:ex:w"
    rows = [Edge(a, f, "welding"), Edge(f, v, "welding"), Edge(a, w, "welding")]
    rows += [Edge(w, v, "welding"), Edge(w, "did:ex:x", "welding")]
    honest = compute(TrustGraph.from_edges(rows), [a])
    forked = compute(TrustGraph.from_edges(rows, forked=[f]), [a])
    assert honest.score(f) > 0
    assert forked.score(f) == 0.0
    assert 0 < forked.score(v) < honest.score(v)
    assert forked.path(v) == [a, w, v]
    only = compute(TrustGraph.from_edges(rows[:2], forked=[f]), [a])
    assert only.score(v) == 0.0


@pytest.mark.parametrize(
    "others",
    [
        pytest.param([], id="sole-anchor"),
        pytest.param(["did:ex:b"], id="one-of-two"),
    ],
)
def test_a_forked_anchor_scores_0(others: list[str]) -> None:
    f = "did:ex:f"
    rows = [Edge(f, "did:ex:v", "welding"), Edge("did:ex:b", "did:ex:w", "welding")]
    result = compute(TrustGraph.from_edges(rows, forked=[f]), [f, *others])
    assert result.score(f) == 0.0
    assert f not in result.values
    assert result.score("did:ex:v") == 0.0


# -- the input read from a ledger ------------------------------------------------------------

ANCHOR, PEER, WORKER, FLAGGER = (KeyPair(seed=bytes([i]) * 32) for i in range(11, 15))


def _attest(
    issuer: KeyPair, subject: KeyPair, skill: str, level: int
) -> tuple[dict[str, Any], EdgeStatement]:
    credential = SkillAttestation(
        issuer=issuer.did, subject=subject.did, skill=skill, level=level
    ).to_jsonld()
    edge = EdgeStatement.create(credential, SkillClaim.from_credential(credential), issuer, time=T)
    return credential, edge


def _edges_of(graph: TrustGraph) -> set[tuple[str, str]]:
    pairs = zip(graph.src.tolist(), graph.dst.tolist(), strict=True)
    return {(graph.nodes[s], graph.nodes[d]) for s, d in pairs}


def test_trust_graph_follows_acceptances_withdrawals_revocations_flags_and_forks(
    tmp_path: Path,
) -> None:
    with LedgerStore(tmp_path / "ledger.db") as store:
        made = {}
        for issuer, subject, skill, level in (
            (ANCHOR, PEER, "TIG welding", 6),
            (PEER, WORKER, "TIG welding", 5),
            (ANCHOR, WORKER, "Brazing", 3),
            (FLAGGER, WORKER, "Brazing", 2),
        ):
            credential, edge = _attest(issuer, subject, skill, level)
            made[(issuer.did, subject.did)] = (credential, edge)
            store.append(subject, "acceptance", {"edge": edge.signed})
        graph = trust_graph(store)
        assert _edges_of(graph) == set(made)
        assert graph.skills == ["brazing", "tig welding"]
        assert graph.flags == []
        assert graph.forked == frozenset()
        # the subject withdraws one acceptance: that edge is gone
        _, withdrawn = made[(ANCHOR.did, WORKER.did)]
        store.append(WORKER, "withdrawal", {"credential": withdrawn.credential})
        assert (ANCHOR.did, WORKER.did) not in _edges_of(trust_graph(store))
        # the issuer revokes one: gone too (and a revocation by anyone else does nothing)
        credential, revoked = made[(PEER.did, WORKER.did)]
        digest = credential_digest(credential)
        assert digest == revoked.credential
        store.append(
            FLAGGER,
            "revocation",
            {"credential": digest, "list": list_id(FLAGGER.did, 1), "index": 7},
        )
        assert (PEER.did, WORKER.did) in _edges_of(trust_graph(store))
        store.append(
            PEER, "revocation", {"credential": digest, "list": list_id(PEER.did, 1), "index": 7}
        )
        assert _edges_of(trust_graph(store)) == {(ANCHOR.did, PEER.did), (FLAGGER.did, WORKER.did)}
        # suspended: gone while suspended
        credential, suspended = made[(FLAGGER.did, WORKER.did)]
        status = {"credential": suspended.credential, "list": list_id(FLAGGER.did, 1), "index": 9}
        store.append(FLAGGER, "suspension", status)
        assert _edges_of(trust_graph(store)) == {(ANCHOR.did, PEER.did)}
        store.append(FLAGGER, "unsuspension", status)
        assert (FLAGGER.did, WORKER.did) in _edges_of(trust_graph(store))
        # flags: about a DID, and about a credential (its digest, as hex)
        store.append(FLAGGER, "flag", {"target": PEER.did, "reason": "never met"})
        store.append(FLAGGER, "flag", {"target": digest, "reason": "copied"})
        graph = trust_graph(store)
        assert sorted(graph.flags, key=lambda f: f.target) == sorted(
            [Flag(FLAGGER.did, PEER.did), Flag(FLAGGER.did, digest.hex())],
            key=lambda f: f.target,
        )
        # an equivocating author (a second entry at a held position) is forked
        last = list(store.entries(FLAGGER.did))[-1]
        forged = Entry.create(
            FLAGGER,
            seq=last.seq,
            prev=last.prev,
            time=T,
            kind="flag",
            body={"target": ANCHOR.did, "reason": "x"},
        )
        assert store.ingest([forged.signed]).forks
        graph = trust_graph(store)
        assert graph.forked == frozenset({FLAGGER.did})
        assert compute(graph, [ANCHOR.did]).score(FLAGGER.did) == 0.0


# -- snapshots -------------------------------------------------------------------------------


def test_snapshot_round_trip_through_the_ledger(tmp_path: Path) -> None:
    rows = [
        Edge(ANCHOR.did, PEER.did, "tig welding", 6),
        Edge(PEER.did, WORKER.did, "tig welding", 5),
        Edge(ANCHOR.did, FLAGGER.did, "brazing", 3),
        Edge(FLAGGER.did, WORKER.did, "brazing", None),
        Edge(WORKER.did, "did:ex:unreached", "brazing", None),
    ]
    graph = TrustGraph.from_edges(rows)
    bodies = snapshot_bodies(graph, [ANCHOR.did])
    assert all(b["metric"] == METRIC and b["anchors"] == [ANCHOR.did] for b in bodies)
    node = KeyPair(seed=b"\x20" * 32)
    with LedgerStore(tmp_path / "ledger.db") as store:
        assert latest_snapshot(store, node.did) is None
        store.append_many(node, [("trust-snapshot", b) for b in bodies])
        snapshot = latest_snapshot(store, node.did)
    assert snapshot is not None
    assert snapshot.author == node.did
    assert snapshot.anchors == (ANCHOR.did,)
    issuers = {e.source for e in rows}
    for skill in (None, "tig welding", "brazing"):
        expected = compute(graph, [ANCHOR.did], skill=skill)
        for did in issuers:
            listed = snapshot.score(did, skill)
            if expected.score(did) == 0:
                assert listed is None
            else:
                assert listed == pytest.approx(expected.score(did), abs=1e-6)
        assert snapshot.score(FRESH, skill) is None
    assert set(snapshot.scores) == {ALL_SKILLS, "tig welding", "brazing"}
    # an unknown skill falls back to all skills alike
    assert snapshot.score(PEER.did, "bookkeeping") == snapshot.score(PEER.did, None)


def test_a_legacy_snapshot_is_skipped_not_an_error(tmp_path: Path) -> None:
    node = KeyPair(seed=b"\x21" * 32)
    graph = TrustGraph.from_edges(
        [Edge(ANCHOR.did, PEER.did, "tig welding", 6), Edge(PEER.did, WORKER.did, "tig welding")]
    )
    with LedgerStore(tmp_path / "ledger.db") as store:
        store.append(node, "trust-snapshot", {"scores": {PEER.did: 900}}, when=T)
        assert latest_snapshot(store, node.did) is None
        for body in snapshot_bodies(graph, [ANCHOR.did]):
            store.append(node, "trust-snapshot", body, when=T + 1)
        store.append(node, "trust-snapshot", {"scores": {PEER.did: 900}}, when=T + 2)
        snapshot = latest_snapshot(store, node.did)
    assert snapshot is not None
    assert snapshot.time == T + 1
    assert snapshot.score(PEER.did, None) == pytest.approx(
        compute(graph, [ANCHOR.did]).score(PEER.did), abs=1e-6
    )
