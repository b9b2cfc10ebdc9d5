"""The trust metric's input, read from a ledger (``specs/trust.md`` §2).

An edge exists while its credential's subject holds it accepted (an acceptance entry, not
withdrawn) and its issuer has neither revoked nor suspended it; each edge statement was
verified (issuer's and subject's signatures) when its acceptance was stored. Flags come
from ``flag`` entries; fork proofs remove their authors.
"""

from __future__ import annotations

from collections.abc import Iterator

from .entries import EdgeStatement, Entry
from .revocation import RevocationState
from .store import LedgerStore
from .trust import Edge, Flag, TrustGraph

__all__ = ["edges_in_force", "flags_of", "trust_graph"]

_KINDS = "('acceptance','withdrawal','revocation','suspension','unsuspension')"


def edges_in_force(store: LedgerStore) -> Iterator[EdgeStatement]:
    """Edge statements accepted and not withdrawn, whose credential is neither revoked
    nor suspended by its issuer."""
    accepted: dict[tuple[str, bytes], EdgeStatement] = {}
    status: list[Entry] = []
    rows = store.db.conn.execute(
        f"SELECT data FROM entries WHERE kind IN {_KINDS} ORDER BY author, seq"  # noqa: S608
    )
    for (data,) in rows:
        entry = Entry.from_bytes(bytes(data), verify=False)  # verified when stored
        if entry.kind == "acceptance":
            edge = entry.edge(verify=False)  # both signatures were checked when stored
            accepted[(entry.author, edge.credential)] = edge
        elif entry.kind == "withdrawal":
            accepted.pop((entry.author, bytes(entry.body["credential"])), None)
        else:
            status.append(entry)
    state = RevocationState.of(status)
    for edge in accepted.values():
        if state.status_of_credential(edge.issuer, edge.credential) == "valid":
            yield edge


def flags_of(store: LedgerStore) -> Iterator[Flag]:
    for (data,) in store.db.conn.execute("SELECT data FROM entries WHERE kind='flag'"):
        entry = Entry.from_bytes(bytes(data), verify=False)
        target = entry.body["target"]
        yield Flag(entry.author, target.hex() if isinstance(target, bytes) else str(target))


def trust_graph(store: LedgerStore) -> TrustGraph:
    """The whole trust input of a ledger: edges in force, flags, forked authors."""
    edges = [Edge(e.issuer, e.subject, e.skill_key, e.level) for e in edges_in_force(store)]
    forked = [proof.author for proof in store.forks()]
    return TrustGraph.from_edges(edges, flags=flags_of(store), forked=forked)
