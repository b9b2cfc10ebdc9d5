"""Gossip: push-pull anti-entropy of ledger feeds between nodes (``specs/gossip.md``).

The core (:mod:`.engine`, :mod:`.index`, :mod:`.wire`, :mod:`.peers`) is pure: it talks
to a :class:`.replica.Replica` (the node's ledger) and a :class:`.engine.Transport`
(HTTP between processes, :mod:`.memory` for simulation).
"""
