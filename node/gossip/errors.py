"""Errors of the gossip layer.

GossipError
├── WireError         bytes that are not a well-formed, correctly signed gossip message
├── PeerError         a peer answered with an error, or broke the protocol
└── TransportError    the message did not arrive (timeout, refused, lost)
    └── RefusedError  the peer is up and declined to serve us (rate limit, back-off)
"""

from __future__ import annotations

from ..errors import NodeError

__all__ = ["GossipError", "PeerError", "RefusedError", "TransportError", "WireError"]


class GossipError(NodeError):
    """Base of every error raised by ``node.gossip``."""


class WireError(GossipError):
    """A message that is malformed, stale, or not signed by the key it names."""


class PeerError(GossipError):
    """A peer that answered with an error or broke the protocol."""


class TransportError(GossipError):
    """A message that did not arrive."""


class RefusedError(TransportError):
    """The peer answered that it will not serve us now: not a fault to score it for
    (scoring it would let two nodes that limit each other end up banning each other)."""
