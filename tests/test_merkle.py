"""RFC 9162 Merkle trees: the published transparency-dev vectors, a straight transcription
of the RFC's recursive definitions as an oracle, and the laws of proofs as properties."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import merkle
from ledger.errors import ProofError
from ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from tests.conftest import SHARED_VECTORS, shared_vectors_dir

#: The eight inputs of the RFC 6962 reference tests; the published vectors use this tree.
RFC6962_INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]

# ---------------------------------------------------------------------------------------
# The oracle: RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 exactly as written, recursion and
# all. Slow, so only for small trees.


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + _mth(d[:k]) + _mth(d[k:])).digest()


def _path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) <= 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*_path(m, d[:k]), _mth(d[k:])]
    return [*_path(m - k, d[k:]), _mth(d[:k])]


def _subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*_subproof(m, d[:k], b), _mth(d[k:])]
    return [*_subproof(m - k, d[k:], False), _mth(d[:k])]


def _sides(m: int, n: int) -> list[str]:
    """Which side each sibling of PATH(m, D[n]) is on, leaf end first (§2.1.3.1)."""
    if m >= n:
        return ["outside"]
    if n <= 1:
        return []
    k = _k(n)
    return [*_sides(m, k), "right"] if m < k else [*_sides(m - k, n - k), "left"]


def _leaves(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


# ---------------------------------------------------------------------------------------
# Hashing


def test_leaf_and_node_hashes_carry_their_domain_prefixes() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )
    assert root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


def test_rfc6962_reference_tree_of_eight_leaves() -> None:
    leaves = [leaf_hash(d) for d in RFC6962_INPUTS]
    assert root(leaves).hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    assert (
        root(leaves[:1]).hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )


@pytest.mark.parametrize("n", range(70))
def test_root_and_proofs_match_the_rfc_definitions(n: int) -> None:
    d = _leaves(n)
    assert root(d) == _mth(d)
    for m in range(n):
        assert inclusion_proof(d, m) == _path(m, d)
    for m in range(1, n + 1):
        assert consistency_proof(d, m) == _subproof(m, d, True)


def test_leaf_hashes_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        root([b"raw data, not a leaf hash"])


# ---------------------------------------------------------------------------------------
# Published vectors (transparency-dev/merkle testdata)


def _vector_names(kind: str) -> list[str]:
    folder = SHARED_VECTORS / "merkle" / kind
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.json"))
    return names or ["(vectors absent)"]


def _load(kind: str, name: str) -> dict[str, Any]:
    vector: dict[str, Any] = json.loads((shared_vectors_dir("merkle", kind) / name).read_text())
    return vector


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


@pytest.mark.parametrize("name", _vector_names("inclusion"))
def test_inclusion_vector(name: str) -> None:
    v = _load("inclusion", name)
    args = (
        _b64(v["leafHash"]),
        v["leafIdx"],
        v["treeSize"],
        [_b64(p) for p in v["proof"] or []],
        _b64(v["root"]),
    )
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("name", _vector_names("consistency"))
def test_consistency_vector(name: str) -> None:
    v = _load("consistency", name)
    args = (
        v["size1"],
        v["size2"],
        _b64(v["root1"]),
        _b64(v["root2"]),
        [_b64(p) for p in v["proof"] or []],
    )
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_vector_counts() -> None:
    counts = {}
    for kind in ("inclusion", "consistency"):
        folder = shared_vectors_dir("merkle", kind)
        vectors = [json.loads(p.read_text()) for p in folder.rglob("*.json")]
        counts[kind] = (len(vectors), sum(1 for v in vectors if v["wantErr"]))
    print(f"\nmerkle vectors (total, negative): {counts}")
    assert counts == {"inclusion": (98, 92), "consistency": (98, 92)}


def test_happy_path_vectors_are_proofs_we_generate() -> None:
    # The vectors' happy paths are proofs in the RFC 6962 reference tree: we generate them.
    leaves = [leaf_hash(d) for d in RFC6962_INPUTS]
    for path in (shared_vectors_dir("merkle", "inclusion")).glob("*/happy-path.json"):
        v = json.loads(path.read_text())
        assert leaves[v["leafIdx"]] == _b64(v["leafHash"])
        proof = inclusion_proof(leaves, v["leafIdx"], tree_size=v["treeSize"])
        assert proof == [_b64(p) for p in v["proof"] or []]
    for path in (shared_vectors_dir("merkle", "consistency")).glob("*/happy-path.json"):
        v = json.loads(path.read_text())
        proof = consistency_proof(leaves, v["size1"], new_size=v["size2"])
        assert proof == [_b64(p) for p in v["proof"] or []]


# ---------------------------------------------------------------------------------------
# Properties


leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=40, unique=True).map(
    lambda data: [leaf_hash(d) for d in data]
)


def _flip(value: bytes, bit: int) -> bytes:
    bit %= len(value) * 8
    return value[: bit // 8] + bytes([value[bit // 8] ^ (1 << (bit % 8))]) + value[bit // 8 + 1 :]


@given(leaf_lists, st.integers(min_value=0))
def test_inclusion_proof_verifies_for_every_index_and_breaks_when_altered(
    leaves: list[bytes], bit: int
) -> None:
    n, r = len(leaves), root(leaves)
    for index in range(n):
        proof = inclusion_proof(leaves, index)
        verify_inclusion(leaves[index], index, n, proof, r)
        with pytest.raises(ProofError):
            verify_inclusion(_flip(leaves[index], bit), index, n, proof, r)
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, n, proof, _flip(r, bit))
        for position in range(len(proof)):
            altered = [*proof]
            altered[position] = _flip(altered[position], bit)
            with pytest.raises(ProofError):
                verify_inclusion(leaves[index], index, n, altered, r)
        for other in range(n + 2):
            if other != index:
                with pytest.raises(ProofError):
                    verify_inclusion(leaves[index], other, n, proof, r)
        for size in range(2 * n + 2):
            # §2.1.3.2 binds the size only through the shape of the path: a size whose
            # path has the same length and sides accepts the same proof (0 of 3 and 0 of
            # 4 both climb right, right), which is why a root is trusted only together
            # with its size, in a signed checkpoint. Every other size fails.
            if size != n and _sides(index, size) != _sides(index, n):
                with pytest.raises(ProofError):
                    verify_inclusion(leaves[index], index, size, proof, r)
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, n, [*proof, r], r)
        if proof:
            with pytest.raises(ProofError):
                verify_inclusion(leaves[index], index, n, proof[:-1], r)


@given(leaf_lists, st.integers(min_value=0))
def test_inclusion_in_an_earlier_tree(leaves: list[bytes], bit: int) -> None:
    for size in range(1, len(leaves) + 1):
        index = bit % size
        proof = inclusion_proof(leaves, index, tree_size=size)
        verify_inclusion(leaves[index], index, size, proof, root(leaves[:size]))


@given(leaf_lists, st.integers(min_value=0))
def test_consistency_proof_verifies_for_every_old_size_and_breaks_when_altered(
    leaves: list[bytes], bit: int
) -> None:
    n, new_root = len(leaves), root(leaves)
    for old_size in range(1, n + 1):
        old_root = root(leaves[:old_size])
        proof = consistency_proof(leaves, old_size)
        verify_consistency(old_size, n, old_root, new_root, proof)
        # An old leaf changed: the old tree is not a prefix of the new one.
        changed = [*leaves[:old_size]]
        changed[bit % old_size] = _flip(changed[bit % old_size], bit)
        with pytest.raises(ProofError):
            verify_consistency(old_size, n, root(changed), new_root, proof)
        with pytest.raises(ProofError):
            verify_consistency(old_size, n, old_root, _flip(new_root, bit), proof)
        for position in range(len(proof)):
            altered = [*proof]
            altered[position] = _flip(altered[position], bit)
            with pytest.raises(ProofError):
                verify_consistency(old_size, n, old_root, new_root, altered)
        with pytest.raises(ProofError):
            verify_consistency(old_size, n, old_root, new_root, [*proof, new_root])
        if proof:
            with pytest.raises(ProofError):
                verify_consistency(old_size, n, old_root, new_root, proof[:-1])
        with pytest.raises(ProofError):
            verify_consistency(n, old_size - 1, new_root, old_root, proof)


def test_consistency_from_the_empty_tree_is_refused() -> None:
    with pytest.raises(ProofError, match="non-empty"):
        verify_consistency(0, 3, EMPTY_ROOT, root(_leaves(3)), [])
    with pytest.raises(ValueError, match="0 < old"):
        consistency_proof(_leaves(3), 0)


@given(st.lists(st.binary(max_size=4), max_size=80))
def test_compact_range_root_matches_root_for_every_prefix(data: list[bytes]) -> None:
    leaves = [leaf_hash(d) for d in data]
    compact = CompactRange()
    assert compact.root() == EMPTY_ROOT
    for size, leaf in enumerate(leaves, start=1):
        compact.append(leaf)
        assert compact.size == size
        assert len(compact.hashes) == size.bit_count()
        assert compact.root() == root(leaves[:size])
        assert CompactRange.from_bytes(compact.to_bytes()) == compact
        assert CompactRange(size=compact.size, hashes=compact.hashes) == compact
        assert CompactRange.from_leaf_hashes(leaves, size) == compact


def test_compact_range_refuses_inconsistent_state() -> None:
    with pytest.raises(ValueError, match="holds 2 hashes"):
        CompactRange(size=3, hashes=[b"\0" * 32])
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange(size=1, hashes=[b"\0" * 31])
    with pytest.raises(ValueError, match="8 bytes of size"):
        CompactRange.from_bytes(b"\0" * 7)
    with pytest.raises(ValueError, match="holds 1 hashes"):
        CompactRange.from_bytes((1).to_bytes(8, "big"))
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange().append(b"short")


def test_copy_is_independent() -> None:
    compact = CompactRange()
    compact.extend(_leaves(5))
    other = compact.copy()
    other.append(leaf_hash(b"more"))
    assert compact.size == 5
    assert other.size == 6


# ---------------------------------------------------------------------------------------
# Proofs from a leaf reader (a store that reads leaf hashes in ranges)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 9, 31, 33, 64, 100])
def test_reader_proofs_equal_list_proofs_across_chunks(
    n: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(merkle, "READ_CHUNK", 4)  # make small trees span many chunks
    leaves = _leaves(n)
    reads: list[tuple[int, int]] = []

    def read(start: int, end: int) -> list[bytes]:
        reads.append((start, end))
        return leaves[start:end]

    assert CompactRange.from_leaf_hashes(read, n).root() == _mth(leaves)
    for m in range(n):
        assert inclusion_proof(read, m, tree_size=n) == _path(m, leaves)
    for m in range(1, n + 1):
        assert consistency_proof(read, m, new_size=n) == _subproof(m, leaves, True)
    assert all(end - start <= 4 for start, end in reads)


def test_reader_must_be_given_a_size_and_return_what_was_asked() -> None:
    leaves = _leaves(10)
    with pytest.raises(ValueError, match="tree size is required"):
        inclusion_proof(lambda s, e: leaves[s:e], 0)
    with pytest.raises(ValueError, match="leaf reader returned 1 hashes for leaves"):
        inclusion_proof(lambda s, e: leaves[s : e - 1], 0, tree_size=10)
    with pytest.raises(ValueError, match="not in a tree of 10"):
        inclusion_proof(leaves, 10)
    with pytest.raises(ValueError, match="not within the 10 leaves"):
        inclusion_proof(leaves, 0, tree_size=11)


def test_a_tree_larger_than_one_chunk() -> None:
    n = merkle.READ_CHUNK * 2 + 5
    leaves = _leaves(n)
    compact = CompactRange()
    compact.extend(leaves)
    r = root(leaves)
    assert compact.root() == r
    for index in (0, merkle.READ_CHUNK, n - 1):
        verify_inclusion(leaves[index], index, n, inclusion_proof(leaves, index), r)
    old = merkle.READ_CHUNK + 3
    verify_consistency(old, n, root(leaves[:old]), r, consistency_proof(leaves, old))


def test_inclusion_binds_the_size_only_through_the_path_shape() -> None:
    # Documented limit of RFC 9162 §2.1.3.2, not a bug: leaf 0 of 3 and leaf 0 of 4 have
    # siblings on the same sides, so the proof checks against either size. A forger would
    # still need a 4-leaf tree with that root, i.e. a leaf hash equal to a node hash.
    leaves = _leaves(3)
    proof = inclusion_proof(leaves, 0)
    verify_inclusion(leaves[0], 0, 3, proof, root(leaves))
    verify_inclusion(leaves[0], 0, 4, proof, root(leaves))
    with pytest.raises(ProofError):
        verify_inclusion(leaves[0], 0, 5, proof, root(leaves))


def test_worked_example_of_the_spec() -> None:
    # specs/ledger-merkle-cose.md §6: keep the document true.
    leaves = [leaf_hash(d) for d in (b"a", b"b", b"c", b"d", b"e")]
    n01, n0123 = node_hash(leaves[0], leaves[1]), root(leaves[:4])
    assert leaves[2].hex() == "597fcb31282d34654c200d3418fca5705c648ebf326ec73d8ddef11841f876d8"
    assert n01.hex() == "b137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb"
    assert n0123.hex() == "33376a3bd63e9993708a84ddfe6c28ae58b83505dd1fed711bd924ec5a6239f0"
    assert root(leaves[:3]).hex() == (
        "36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1"
    )
    assert root(leaves).hex() == "fe14a5426fbd70c0fa73f52342afed0da0bd23c4838662ccf6b88a3070ead97b"
    assert inclusion_proof(leaves, 2) == [leaves[3], n01, leaves[4]]
    assert consistency_proof(leaves, 3) == [leaves[2], leaves[3], n01, leaves[4]]
    compact = CompactRange()
    compact.extend(leaves)
    assert compact.to_bytes() == bytes.fromhex("0000000000000005") + n0123 + leaves[4]
