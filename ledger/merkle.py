"""RFC 9162 Merkle trees: hashing, the compact range, inclusion and consistency proofs.

Pure: no I/O, no clock. Every feed is an append-only list of entries whose leaves form the
Merkle tree of RFC 9162 §2.1 (the tree of RFC 6962, SHA-256):

* :func:`leaf_hash`, :func:`node_hash` and :func:`root` — §2.1.1, the Merkle Tree Hash;
* :class:`CompactRange` — the roots of the perfect subtrees that make up a tree of any
  size, ⌈log₂ n⌉ hashes at most: a store appends to it and persists it instead of
  rehashing every leaf;
* :func:`inclusion_proof` / :func:`verify_inclusion` — §2.1.3.1 / §2.1.3.2;
* :func:`consistency_proof` / :func:`verify_consistency` — §2.1.4.1 / §2.1.4.2.

Verification raises :class:`~ledger.errors.ProofError` with its reason and never returns
``False``. Proof *generation* is given its leaf hashes either as a sequence or as a
:data:`LeafReader` (``read(start, end)`` returns the leaf hashes ``[start, end)``, e.g.
from a database), and raises :class:`ValueError` when called outside its preconditions
(an index outside the tree, a reader that returns the wrong count): those are bugs of the
caller, not properties of untrusted input.

Complexity (n leaves): :func:`root` and each proof generation hash every leaf once,
O(n) time, and read leaves in chunks of :data:`READ_CHUNK`, so memory is
O(READ_CHUNK + log n) beyond the caller's own list; :meth:`CompactRange.append` is O(1)
amortised (O(log n) worst case); verification is O(log n). Nothing recurses: a tree of
2⁶⁴ leaves needs no deeper Python stack than a tree of one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Final

from .errors import ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "READ_CHUNK",
    "SPEC",
    "CompactRange",
    "LeafReader",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

SPEC: Final = "RFC 9162 §2.1 (SHA-256)"
HASH_SIZE: Final = 32
#: RFC 9162 §2.1.1: the hash of an empty list is the hash of an empty string.
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()
#: Leaf hashes read at a time by proof generation (a power of two, so full chunks are
#: perfect subtrees).
READ_CHUNK: Final = 1 << 16
#: ``read(start, end)`` returns the leaf hashes of the leaves ``start`` to ``end - 1``.
LeafReader = Callable[[int, int], Sequence[bytes]]

_LEAF_PREFIX: Final = b"\x00"
_NODE_PREFIX: Final = b"\x01"
_MAX_SIZE: Final = (1 << 64) - 1  # tree sizes and indices are uint64 on the wire
_sha256 = hashlib.sha256


# ---------------------------------------------------------------------------------------
# RFC 9162 §2.1.1: the Merkle Tree Hash


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 ‖ d): the hash of one leaf (RFC 9162 §2.1.1)."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right): the hash of an interior node (RFC 9162 §2.1.1)."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the leaves whose leaf hashes are given (RFC 9162 §2.1.1).

    The empty tree's root is :data:`EMPTY_ROOT`. O(n) hashes. Raises ValueError if a leaf
    hash is not 32 bytes (raw data passed instead of :func:`leaf_hash` of it).
    """
    return _range_root(_reader(leaf_hashes), 0, len(leaf_hashes))


def _mth(hashes: Sequence[bytes]) -> bytes:
    """MTH of a non-empty list of leaf hashes, level by level.

    §2.1.1 splits D[n] at k, the largest power of two below n. Pairing neighbours level by
    level and carrying an odd last node up unchanged builds the same tree: the left part
    of every split is a perfect subtree, so its nodes pair exactly, and only the right
    edge ever has a node without a sibling. Iterating per level keeps the per-hash cost to
    one comprehension step.
    """
    level = list(hashes)
    for item in level:
        if len(item) != HASH_SIZE:
            raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, got {len(item)}")
    sha, prefix = _sha256, _NODE_PREFIX
    while len(level) > 1:
        paired = [
            sha(prefix + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _reader(leaf_hashes: Sequence[bytes] | LeafReader) -> LeafReader:
    if callable(leaf_hashes):
        return leaf_hashes
    sequence = leaf_hashes
    return lambda start, end: sequence[start:end]


def _read(read: LeafReader, start: int, end: int) -> Sequence[bytes]:
    hashes = read(start, end)
    if len(hashes) != end - start:
        raise ValueError(f"leaf reader returned {len(hashes)} hashes for leaves [{start}, {end})")
    return hashes


def _range_root(read: LeafReader, start: int, end: int) -> bytes:
    """MTH(D[start:end]), reading at most READ_CHUNK leaf hashes at a time.

    Full chunks are perfect subtrees of the range (READ_CHUNK is a power of two and the
    chunks are aligned on ``start``); equal-sized neighbours merge as they arrive, which
    leaves the range's frontier, folded from the right as in :meth:`CompactRange.root`.
    """
    if start == end:
        return EMPTY_ROOT
    frontier: list[tuple[int, bytes]] = []  # (size, root) of perfect subtrees, left first
    for chunk in range(start, end, READ_CHUNK):
        stop = min(chunk + READ_CHUNK, end)
        frontier.append((stop - chunk, _mth(_read(read, chunk, stop))))
        while len(frontier) > 1 and frontier[-2][0] == frontier[-1][0]:
            (size, right), (_, left) = frontier.pop(), frontier.pop()
            frontier.append((2 * size, node_hash(left, right)))
    result = frontier[-1][1]
    for _, left in reversed(frontier[:-1]):
        result = node_hash(left, result)
    return result


def _split(size: int) -> int:
    """k, the largest power of two smaller than ``size`` (≥ 2), as §2.1.1 splits D[n]."""
    return 1 << ((size - 1).bit_length() - 1)


# ---------------------------------------------------------------------------------------
# The compact range: a tree of any size as the roots of its perfect subtrees


class CompactRange:
    """The frontier of a Merkle tree: enough to append leaves and compute the root.

    A tree of ``size`` leaves is, left to right, one perfect subtree for each bit set in
    ``size``, largest first (13 = 8 + 4 + 1 leaves). Keeping only their roots — at most
    64 hashes — a store can append leaves and recompute the root without the leaves
    themselves, and persist the whole state with :meth:`to_bytes`. Folding the roots from
    the right gives exactly MTH(D[size]) of §2.1.1, since each split of the recursive
    definition falls on one of these subtree boundaries.

    Not thread-safe; :meth:`copy` before sharing.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, *, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        """Build from a persisted state; raises ValueError unless it is consistent
        (one 32-byte hash per bit set in ``size``)."""
        stored = [bytes(h) for h in hashes]
        if not 0 <= size <= _MAX_SIZE:
            raise ValueError(f"tree size {size} is outside [0, 2**64 - 1]")
        if len(stored) != size.bit_count():
            raise ValueError(
                f"a compact range of {size} leaves holds {size.bit_count()} hashes, "
                f"got {len(stored)}"
            )
        if any(len(h) != HASH_SIZE for h in stored):
            raise ValueError(f"compact range hashes are {HASH_SIZE} bytes each")
        self._size = size
        self._hashes = stored

    @classmethod
    def from_leaf_hashes(cls, leaf_hashes: Sequence[bytes] | LeafReader, size: int) -> CompactRange:
        """The compact range of the first ``size`` leaves, in O(size) hashes."""
        read = _reader(leaf_hashes)
        hashes: list[bytes] = []
        start = 0
        for bit in reversed(range(size.bit_length())):
            if size >> bit & 1:
                hashes.append(_range_root(read, start, start + (1 << bit)))
                start += 1 << bit
        return cls(size=size, hashes=hashes)

    @property
    def size(self) -> int:
        """How many leaves have been appended."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The perfect subtrees' roots, largest (leftmost) first."""
        return tuple(self._hashes)

    def append(self, leaf: bytes) -> None:
        """Append one leaf, given as its :func:`leaf_hash`. O(1) amortised."""
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, got {len(leaf)}")
        if self._size == _MAX_SIZE:
            raise ValueError("the tree is full (2**64 - 1 leaves)")
        # Each trailing 1 bit of the size is a perfect subtree as large as what we carry:
        # merge them, as a binary counter carries.
        carry, size, hashes = leaf, self._size, self._hashes
        while size & 1:
            carry = _sha256(_NODE_PREFIX + hashes.pop() + carry).digest()  # node_hash, inlined
            size >>= 1
        hashes.append(carry)
        self._size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Append each leaf hash in turn."""
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        """MTH(D[size]) (RFC 9162 §2.1.1); :data:`EMPTY_ROOT` when empty. O(log n)."""
        if not self._hashes:
            return EMPTY_ROOT
        result = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            result = node_hash(left, result)
        return result

    def copy(self) -> CompactRange:
        return CompactRange(size=self._size, hashes=self._hashes)

    def to_bytes(self) -> bytes:
        """``size`` as 8 bytes big-endian, then the hashes, largest subtree first."""
        return self._size.to_bytes(8, "big") + b"".join(self._hashes)

    @classmethod
    def from_bytes(cls, data: bytes) -> CompactRange:
        """Read :meth:`to_bytes` back; raises ValueError if the length does not match."""
        if len(data) < 8 or (len(data) - 8) % HASH_SIZE:
            raise ValueError("a compact range is 8 bytes of size and 32-byte hashes")
        size = int.from_bytes(data[:8], "big")
        body = data[8:]
        hashes = [body[i : i + HASH_SIZE] for i in range(0, len(body), HASH_SIZE)]
        return cls(size=size, hashes=hashes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"


# ---------------------------------------------------------------------------------------
# RFC 9162 §2.1.3: inclusion proofs


def inclusion_proof(
    leaf_hashes: Sequence[bytes] | LeafReader, index: int, *, tree_size: int | None = None
) -> list[bytes]:
    """PATH(index, D[tree_size]) of RFC 9162 §2.1.3.1, the audit path, leaf end first.

    ``tree_size`` defaults to the length of a sequence (a smaller one proves inclusion in
    an earlier tree); it is required with a :data:`LeafReader`. Raises ValueError unless
    0 ≤ index < tree_size. O(tree_size) hashes.
    """
    read = _reader(leaf_hashes)
    size = _size_of(leaf_hashes, tree_size)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of {size} leaves")
    # §2.1.3.1, unrolled from the top: for m < k, PATH(m, D[n]) = PATH(m, D[0:k]) :
    # MTH(D[k:n]); otherwise PATH(m - k, D[k:n]) : MTH(D[0:k]). Each step appends the
    # sibling of the half holding the leaf, so the path comes out root end first.
    path: list[bytes] = []
    low, high = 0, size
    while high - low > 1:
        middle = low + _split(high - low)
        if index < middle:
            path.append(_range_root(read, middle, high))
            high = middle
        else:
            path.append(_range_root(read, low, middle))
            low = middle
    path.reverse()
    return path


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``tree_size`` leaves with
    ``root``, by the algorithm of RFC 9162 §2.1.3.2.

    Raises ProofError, naming the reason, if it is not; returns None if it is.
    """
    _check_hash(leaf_hash, "leaf hash")
    _check_hash(root, "root")
    for position, item in enumerate(proof):
        _check_hash(item, f"proof hash {position}")
    # §2.1.3.2 step 1: the index must fall inside the tree.
    if not 0 <= index < tree_size:
        raise ProofError(f"leaf index {index} is not in a tree of {tree_size} leaves")
    # Step 2: fn is the leaf's index, sn the last index; step 3: r starts at the leaf.
    fn, sn = index, tree_size - 1
    r = leaf_hash
    # Step 4: climb one level per proof hash.
    for p in proof:
        # Step 4a: past the root already, the proof is too long.
        if sn == 0:
            raise ProofError(
                f"inclusion proof has {len(proof)} hashes, more than the path from leaf "
                f"{index} to the root of a tree of {tree_size} leaves"
            )
        # Step 4b: p is a left sibling if we are a right child, or the last node of a
        # level (which has no right sibling and rises until it is a right child).
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        # Step 4c.
        fn >>= 1
        sn >>= 1
    # Step 5: we must have reached the root, and it must be the one given.
    if sn != 0:
        raise ProofError(
            f"inclusion proof has {len(proof)} hashes, fewer than the path from leaf "
            f"{index} to the root of a tree of {tree_size} leaves"
        )
    if r != root:
        raise ProofError(
            f"inclusion proof for leaf {index} of {tree_size} leads to root {r.hex()}, "
            f"not {root.hex()}"
        )


# ---------------------------------------------------------------------------------------
# RFC 9162 §2.1.4: consistency proofs


def consistency_proof(
    leaf_hashes: Sequence[bytes] | LeafReader, old_size: int, *, new_size: int | None = None
) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1: the tree of ``new_size`` leaves
    extends the tree of its first ``old_size``.

    ``new_size`` defaults to the length of a sequence; it is required with a
    :data:`LeafReader`. Raises ValueError unless 0 < old_size ≤ new_size (§2.1.4 defines
    proofs from a non-empty tree; equal sizes give the empty proof). O(new_size) hashes.
    """
    read = _reader(leaf_hashes)
    size = _size_of(leaf_hashes, new_size)
    if not 0 < old_size <= size:
        raise ValueError(
            f"no consistency proof from {old_size} to {size} leaves (need 0 < old ≤ new)"
        )
    # §2.1.4.1, unrolled from the top. SUBPROOF(m, D[n], b):
    #   m = n: {} if b (the old root is known), else {MTH(D[n])};
    #   m ≤ k: SUBPROOF(m, D[0:k], b) : MTH(D[k:n]);
    #   m > k: SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]).
    path: list[bytes] = []
    low, high, m, known = 0, size, old_size, True
    while m != high - low:
        k = _split(high - low)
        if m <= k:
            path.append(_range_root(read, low + k, high))
            high = low + k
        else:
            path.append(_range_root(read, low, low + k))
            low, m, known = low + k, m - k, False
    if not known:
        path.append(_range_root(read, low, high))
    path.reverse()
    return path


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``new_size`` leaves with ``new_root`` extends the tree of
    ``old_size`` leaves with ``old_root``, by the algorithm of RFC 9162 §2.1.4.2.

    Equal sizes need an empty proof and equal roots. ``old_size`` 0 is refused: every tree
    extends the empty one, so such a check proves nothing and is a caller's mistake (a
    client with no earlier checkpoint has nothing to compare). Raises ProofError, naming
    the reason; returns None if the proof holds.
    """
    if old_size > new_size:
        raise ProofError(f"old tree size {old_size} is larger than new tree size {new_size}")
    if old_size <= 0:
        raise ProofError(
            f"no consistency proof from a tree of {old_size} leaves: RFC 9162 §2.1.4 "
            "proves consistency with a non-empty earlier tree"
        )
    if old_size == new_size:
        # The same tree: nothing to prove but that the roots agree.
        if proof:
            raise ProofError(f"consistency proof between equal sizes has {len(proof)} hashes")
        if old_root != new_root:
            raise ProofError(f"two different roots for the same tree size {old_size}")
        return
    _check_hash(old_root, "old root")
    _check_hash(new_root, "new root")
    for position, item in enumerate(proof):
        _check_hash(item, f"proof hash {position}")
    # §2.1.4.2 step 1: a proof between different sizes is never empty.
    if not proof:
        raise ProofError(f"empty consistency proof from {old_size} to {new_size} leaves")
    path = list(proof)
    # Step 2: an old tree that is a perfect subtree is itself the first node of the path.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # Step 3.
    fn, sn = old_size - 1, new_size - 1
    # Step 4: skip the levels where the old tree's last node is a right child; its
    # ancestors there are inside the first path node.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5: fr rebuilds the old root, sr the new one.
    fr = sr = path[0]
    # Step 6.
    for c in path[1:]:
        # Step 6a: past the new root already, the proof is too long.
        if sn == 0:
            raise ProofError(
                f"consistency proof from {old_size} to {new_size} leaves has too many hashes"
            )
        # Step 6b: c is a left sibling for both trees, or a right sibling for the new one.
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        # Step 6c.
        fn >>= 1
        sn >>= 1
    # Step 7.
    if sn != 0:
        raise ProofError(
            f"consistency proof from {old_size} to {new_size} leaves has too few hashes"
        )
    if fr != old_root:
        raise ProofError(
            f"consistency proof does not lead to the old root {old_root.hex()} "
            f"(it gives {fr.hex()})"
        )
    if sr != new_root:
        raise ProofError(
            f"consistency proof does not lead to the new root {new_root.hex()} "
            f"(it gives {sr.hex()})"
        )


# ---------------------------------------------------------------------------------------


def _size_of(leaf_hashes: Sequence[bytes] | LeafReader, size: int | None) -> int:
    if callable(leaf_hashes):
        if size is None:
            raise ValueError("a tree size is required when leaves come from a reader")
        return size
    if size is None:
        return len(leaf_hashes)
    if not 0 <= size <= len(leaf_hashes):
        raise ValueError(f"tree size {size} is not within the {len(leaf_hashes)} leaves given")
    return size


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes; SHA-256 hashes are {HASH_SIZE}")
