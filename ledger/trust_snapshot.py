"""Signed trust snapshots: a node's scores, published in its feed (``specs/trust.md`` §6).

A snapshot is one or more ``trust-snapshot`` entries of the node's feed with the same
time, each with the body

    {"metric": "musette-ppr/1", "anchors": [did…],
     "scores": {skill: {did: uint}}}

where ``skill`` is a normalised skill key or ``"*"`` (all skills alike) and each score is
in millionths (0 … 1,000,000) of the [0, 1] scale: integers, so that the signed bytes are
the same on every machine. Every identity with a positive score is listed (a snapshot
answers "how much is this issuer's word worth", and anyone endorsed may issue), highest
first, at most :data:`MAX_PER_SKILL` per skill and :data:`MAX_PER_ENTRY` per entry.
Entries gossip like any other, so a recruiter offline can use the snapshot of a node it
trusts, knowing whose anchors it reflects and when.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .entries import Entry
from .errors import EncodingError
from .store import LedgerStore
from .trust import Scores, TrustGraph, compute

__all__ = [
    "ALL_SKILLS",
    "METRIC",
    "Snapshot",
    "latest_snapshot",
    "snapshot_bodies",
    "snapshot_entries",
    "snapshot_from_entries",
]

METRIC: Final = "musette-ppr/1"
ALL_SKILLS: Final = "*"
MAX_PER_ENTRY: Final = 3000  # ~63 bytes a score: well under the 256 KiB entry limit
MAX_PER_SKILL: Final = 10_000  # the highest scores of each skill; the rest are left out
_UNIT: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One node's published scores, as of ``time``."""

    author: str
    time: int
    anchors: tuple[str, ...]
    scores: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def score(self, did: str, skill: str | None) -> float | None:
        """The published score, or None when the snapshot does not list ``did``."""
        table = self.scores.get(skill if skill is not None else ALL_SKILLS)
        if table is None:
            table = self.scores.get(ALL_SKILLS, {})
        return table.get(did)


def snapshot_bodies(graph: TrustGraph, anchors: Iterable[str]) -> list[dict[str, Any]]:
    """The bodies of a snapshot of ``graph`` from ``anchors``: every positive score for
    each skill and for all skills alike, split into entries of at most MAX_PER_ENTRY."""
    chosen = sorted(set(anchors))
    issuers = graph.nodes  # anyone endorsed may issue: every identity with trust is listed
    rows: list[tuple[str, str, int]] = []
    for skill in [ALL_SKILLS, *graph.skills]:
        scores: Scores = compute(graph, chosen, skill=None if skill == ALL_SKILLS else skill)
        ranked = sorted(
            ((round(scores.score(did) * _UNIT), did) for did in issuers),
            key=lambda r: (-r[0], r[1]),
        )
        rows += [(skill, did, value) for value, did in ranked[:MAX_PER_SKILL] if value > 0]
    bodies: list[dict[str, Any]] = []
    for start in range(0, max(len(rows), 1), MAX_PER_ENTRY):
        table: dict[str, dict[str, int]] = {}
        for skill, did, value in rows[start : start + MAX_PER_ENTRY]:
            table.setdefault(skill, {})[did] = value
        bodies.append({"metric": METRIC, "anchors": chosen, "scores": table})
    return bodies


def _read_body(body: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    if body.get("metric") != METRIC:
        raise EncodingError(f"trust snapshot of an unknown metric {body.get('metric')!r}")
    table: dict[str, dict[str, float]] = {}
    for skill, scores in body["scores"].items():
        if not isinstance(scores, dict):
            raise EncodingError("trust snapshot: each skill maps DIDs to scores")
        for did, value in scores.items():
            if type(value) is not int or not 0 <= value <= _UNIT:
                raise EncodingError(f"trust snapshot: score of {did} is not 0 … {_UNIT}")
            table.setdefault(str(skill), {})[str(did)] = value / _UNIT
    return table


def snapshot_entries(store: LedgerStore, author: str) -> list[bytes]:
    """The signed entries of ``author``'s latest snapshot (to carry it, verifiable)."""
    found = latest_snapshot(store, author)
    if found is None:
        return []
    rows = store.db.conn.execute(
        "SELECT data FROM entries WHERE author=? AND kind='trust-snapshot' AND time=? ORDER BY seq",
        (author, found.time),
    )
    return [bytes(r[0]) for r in rows]


def latest_snapshot(store: LedgerStore, author: str) -> Snapshot | None:
    """``author``'s latest snapshot in ``store`` (its entries of the latest time), or
    None. Snapshots of another metric (or the reserved form of earlier versions, which
    named none) are skipped: they cannot be read on our scale."""
    rows = store.db.conn.execute(
        "SELECT data FROM entries WHERE author=? AND kind='trust-snapshot' ORDER BY seq DESC",
        (author,),
    )
    latest: int | None = None
    anchors: tuple[str, ...] = ()
    merged: dict[str, dict[str, float]] = {}
    for (data,) in rows:
        entry = Entry.from_bytes(bytes(data), verify=False)
        if latest is not None and entry.time != latest:
            break
        try:
            table = _read_body(entry.body)
        except EncodingError:
            if latest is None:
                continue  # an unreadable snapshot: look further back
            break
        latest = entry.time
        anchors = tuple(entry.body.get("anchors", ()))
        for skill, scores in table.items():
            merged.setdefault(skill, {}).update(scores)
    if latest is None:
        return None
    return Snapshot(author, latest, anchors, merged)


def snapshot_from_entries(entries: Iterable[Entry]) -> Snapshot | None:
    """The snapshot that already-verified ``entries`` carry: those of one author's latest
    time (the form :func:`snapshot_entries` hands out), or None when none is readable.
    Verifying each entry's signature is the caller's step (``Entry.from_bytes``)."""
    readable: list[tuple[Entry, dict[str, dict[str, float]]]] = []
    for entry in entries:
        if entry.kind != "trust-snapshot":
            continue
        try:
            readable.append((entry, _read_body(entry.body)))
        except (EncodingError, AttributeError, KeyError, TypeError) as e:
            raise EncodingError(f"trust snapshot entry {entry.seq} is unreadable: {e}") from e
    if not readable:
        return None
    authors = {entry.author for entry, _ in readable}
    if len(authors) > 1:
        raise EncodingError("trust snapshot entries of several authors")
    latest = max(entry.time for entry, _ in readable)
    anchors: tuple[str, ...] = ()
    merged: dict[str, dict[str, float]] = {}
    for entry, table in sorted(readable, key=lambda r: r[0].seq):
        if entry.time != latest:
            continue
        anchors = tuple(entry.body.get("anchors", ()))
        for skill, scores in table.items():
            merged.setdefault(skill, {}).update(scores)
    return Snapshot(authors.pop(), latest, anchors, merged)
