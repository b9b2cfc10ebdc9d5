"""Errors of the node layer (the HTTP service, gossip, the node's own database).

NodeError
├── NodeUnreachableError   a node that did not answer, or answered with an error
├── MailboxError           a mailbox refused a request (``specs/exchange.md`` §3)
│   ├── MalformedMessage       not a sealed message for this mailbox (or a bad request)
│   │   └── MessageTooLarge        over the 64 KiB of one message
│   ├── QuotaExceeded          an unsolicited sender over its hourly quota (retry later)
│   ├── MailboxFull            the recipient holds as many messages as allowed
│   ├── Replay                 a message whose expected token was already spent
│   └── BadProof               no valid proof of the recipient's key (or a reused one)
└── node.gossip.errors.GossipError (and its subclasses)
"""

from __future__ import annotations

__all__ = [
    "BadProof",
    "MailboxError",
    "MailboxFull",
    "MalformedMessage",
    "MessageTooLarge",
    "NodeError",
    "NodeUnreachableError",
    "QuotaExceeded",
    "Replay",
]


class NodeError(Exception):
    """Base of every error raised by ``node`` outside the CLI's own usage errors."""


class NodeUnreachableError(NodeError):
    """A node that could not be reached, or that refused the request (with its reason)."""


class MailboxError(NodeError):
    """A mailbox operation refused, with a one-line reason for the client."""


class MalformedMessage(MailboxError):
    """Not a version-1 sealed message addressed to this mailbox, or a malformed request."""


class MessageTooLarge(MalformedMessage):
    """A sealed message over the size of one message."""


class QuotaExceeded(MailboxError):
    """Over a quota; ``retry_after`` is the number of seconds until it frees up."""

    def __init__(self, reason: str, *, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = max(1, retry_after)


class MailboxFull(QuotaExceeded):
    """The recipient's mailbox holds its maximum of messages (unsolicited mail waits)."""


class Replay(MailboxError):
    """A message carrying an expected token that an earlier message already spent."""


class BadProof(MailboxError):
    """A proof of the recipient's key that is missing, wrong, expired or already used."""
