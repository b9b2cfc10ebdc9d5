"""Errors of the node layer (the HTTP service, gossip, the node's own database).

NodeError
├── NodeUnreachableError   a node that did not answer, or answered with an error
└── node.gossip.errors.GossipError (and its subclasses)
"""

from __future__ import annotations

__all__ = ["NodeError", "NodeUnreachableError"]


class NodeError(Exception):
    """Base of every error raised by ``node`` outside the CLI's own usage errors."""


class NodeUnreachableError(NodeError):
    """A node that could not be reached, or that refused the request (with its reason)."""
