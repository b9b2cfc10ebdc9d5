"""Ledger bundles: feeds as signed, in one CBOR file or HTTP body (``specs/ledger.md`` §8).

``{"v": 1, "type": "musette-ledger-bundle", "feeds": [{"author", "entries": [bstr…],
"checkpoint": bstr / null}]}`` in deterministic CBOR. A bundle carries no trust of its
own: whoever reads one verifies every entry and checkpoint before storing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from . import encoding
from .entries import FORMAT_VERSION
from .errors import EncodingError
from .store import LedgerStore

__all__ = ["BUNDLE_TYPE", "MAX_BUNDLE_BYTES", "Bundle", "FeedPart"]

BUNDLE_TYPE: Final = "musette-ledger-bundle"
MAX_BUNDLE_BYTES: Final = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class FeedPart:
    """Part of one author's feed: entries (from any position) and a checkpoint."""

    author: str
    entries: Sequence[bytes]
    checkpoint: bytes | None = None


@dataclass(frozen=True, slots=True)
class Bundle:
    feeds: Sequence[FeedPart] = field(default_factory=tuple)

    @property
    def entries(self) -> list[bytes]:
        return [e for feed in self.feeds for e in feed.entries]

    @property
    def checkpoints(self) -> list[bytes]:
        return [f.checkpoint for f in self.feeds if f.checkpoint is not None]

    @classmethod
    def of_store(
        cls, store: LedgerStore, authors: Sequence[str], starts: dict[str, int] | None = None
    ) -> Bundle:
        """The feeds of ``authors`` from ``store``, each from ``starts[author]`` (or 0)."""
        parts = []
        for author in authors:
            checkpoint = store.checkpoint(author)
            start = (starts or {}).get(author, 0)
            parts.append(
                FeedPart(
                    author,
                    store.signed_entries(author, start),
                    checkpoint.signed if checkpoint else None,
                )
            )
        return cls(tuple(parts))

    def to_bytes(self) -> bytes:
        feeds = [
            {"author": f.author, "entries": list(f.entries), "checkpoint": f.checkpoint}
            for f in self.feeds
        ]
        return encoding.encode({"v": FORMAT_VERSION, "type": BUNDLE_TYPE, "feeds": feeds})

    @classmethod
    def from_bytes(cls, data: bytes, *, max_bytes: int = MAX_BUNDLE_BYTES) -> Bundle:
        """Parse (not verify) a bundle; EncodingError with the reason otherwise."""
        value = encoding.decode(data, "ledger bundle", max_bytes=max_bytes)
        if (
            not isinstance(value, dict)
            or value.get("type") != BUNDLE_TYPE
            or value.get("v") != FORMAT_VERSION
        ):
            raise EncodingError(f"not a version {FORMAT_VERSION} Musette ledger bundle")
        feeds = value.get("feeds")
        if not isinstance(feeds, list):
            raise EncodingError("a ledger bundle's feeds must be a list")
        parts = []
        for feed in feeds:
            if not (
                isinstance(feed, dict)
                and isinstance(feed.get("author"), str)
                and isinstance(feed.get("entries"), list)
                and all(isinstance(e, bytes) for e in feed["entries"])
                and isinstance(feed.get("checkpoint"), bytes | None)
            ):
                raise EncodingError("a feed of the ledger bundle is malformed")
            parts.append(FeedPart(feed["author"], feed["entries"], feed.get("checkpoint")))
        return cls(tuple(parts))
