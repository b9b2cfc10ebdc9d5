"""W3C Bitstring Status List v1.0 for Musette's issuers: the bitstring, its encoding, the
random index a credential gets, its ``credentialStatus`` entries and the unsigned list
credential. Pure: no I/O, no clock, randomness injected. ``specs/status-list.md`` is the
normative text; :mod:`ledger.status_check` is the verifier's side.

What it implements, named after the sections of :data:`SPEC_BITSTRING_STATUS_LIST`:

* *BitstringStatusListEntry* → :func:`status_entries` (one entry per purpose);
* *BitstringStatusListCredential* → :func:`status_list_credential` (unsigned: the caller
  signs it with ``credentials.issuance.issue``);
* *Bitstring Generation Algorithm* → :meth:`StatusList.encode`; *Bitstring Expansion
  Algorithm* and the length rule of the *Validate Algorithm* → :meth:`StatusList.decode`;
* herd privacy (*Privacy Considerations*): lists of at least :data:`MIN_ENTRIES` entries,
  and :func:`allocate_index` picks a uniformly random free index.

Identifiers (the list credential's id names its issuer and its number)::

    list id        urn:musette:status:<fingerprint>:<n>
                   https://<node>/status/<fingerprint>/<n>        (issuer with a public node)
    list credential   <list id>:<purpose>  (URN)   <list id>/<purpose>  (https)
    entry id          <list credential id>#<index>

``<fingerprint>`` is the method-specific part of the issuer's ``did:key`` (``z6Mk…``).

Contexts: the VC 2.0 base context already defines every Bitstring Status List term, so a
VC 2.0 credential and the list credential carry no extra context (as the specification's
examples). A VC 1.1 credential needs :data:`CONTEXT_STATUS_V1`; :func:`attach_status`
adds it. didkit's ``ld2018`` format cannot sign one (didkit does not bundle that context).

Raises :class:`~ledger.errors.StatusListError` for everything it refuses.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import secrets
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, Protocol

from credentials.errors import CredentialError
from credentials.keys import Ed25519PublicKey
from credentials.loader import CONTEXT_VC_V1, CONTEXT_VC_V2

from .errors import StatusListError

__all__ = [
    "CONTEXT_STATUS_V1",
    "MAX_ENTRIES",
    "MIN_ENTRIES",
    "PURPOSES",
    "SPEC_BITSTRING_STATUS_LIST",
    "Purpose",
    "RandomSource",
    "StatusList",
    "allocate_index",
    "attach_status",
    "list_credential_id",
    "list_id",
    "list_of_credential",
    "list_owner",
    "status_entries",
    "status_list_credential",
]

SPEC_BITSTRING_STATUS_LIST: Final = "https://www.w3.org/TR/vc-bitstring-status-list/"  # v1.0
CONTEXT_STATUS_V1: Final = "https://www.w3.org/ns/credentials/status/v1"

#: The specification's minimum (16 KiB of bits): every list is at least this long, so a
#: verifier fetching it learns nothing about which of ~131,000 credentials it checks.
MIN_ENTRIES: Final = 131_072
#: The most entries we build or decode (2 MiB of bits). The bound a gzip bomb meets.
MAX_ENTRIES: Final = 1 << 24
_MAX_BYTES: Final = MAX_ENTRIES // 8
# Incompressible bits grow a little under gzip (5 bytes per stored block, a header and a
# trailer), then by 4/3 in base64: anything longer cannot be a list we would decode.
_MAX_TEXT: Final = 1 + 4 * ((_MAX_BYTES + _MAX_BYTES // 1000 + 64) // 3 + 1)

Purpose = Literal["revocation", "suspension"]
PURPOSES: Final[tuple[Purpose, ...]] = ("revocation", "suspension")

_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_FINGERPRINT: Final = r"(z[1-9A-HJ-NP-Za-km-z]{20,100})"
_NUMBER: Final = r"(0|[1-9][0-9]{0,8})"
_URN_LIST: Final = re.compile(rf"urn:musette:status:{_FINGERPRINT}:{_NUMBER}")
_HTTPS_LIST: Final = re.compile(rf"https://[^/?#\s]+(?:/[^?#\s]*)?/status/{_FINGERPRINT}/{_NUMBER}")
_MAX_LIST_NUMBER: Final = 10**9


# ------------------------------------------------------------------------------ bitstring


@dataclass(frozen=True, slots=True)
class StatusList:
    """An immutable bitstring of status bits; index 0 is the left-most (most significant)
    bit of the first byte, as the specification's generation algorithm lays them out.

    Build one with :meth:`empty`, :meth:`from_indices` or :meth:`decode`. ``set`` returns
    a new list (a list that was encoded into a signed credential cannot drift from it).
    """

    bitstring: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.bitstring, bytes):  # a bytearray would make it mutable
            object.__setattr__(self, "bitstring", bytes(self.bitstring))
        _check_size(len(self.bitstring) * 8)

    @classmethod
    def empty(cls, size: int = MIN_ENTRIES) -> StatusList:
        """``size`` entries, all 0. Raises StatusListError for a size out of bounds."""
        _check_size(size)
        return cls(bytes(size // 8))

    @classmethod
    def from_indices(cls, indices: Iterable[int], size: int = MIN_ENTRIES) -> StatusList:
        """``size`` entries with exactly ``indices`` set (rebuilding a list from a feed)."""
        _check_size(size)
        data = bytearray(size // 8)
        for index in indices:
            _check_index(index, size)
            data[index >> 3] |= 0x80 >> (index & 7)
        return cls(bytes(data))

    @property
    def size(self) -> int:
        """The number of entries."""
        return len(self.bitstring) * 8

    def get(self, index: int) -> bool:
        """The bit at ``index``; raises StatusListError when it is not in the list."""
        _check_index(index, self.size)
        return bool(self.bitstring[index >> 3] & (0x80 >> (index & 7)))

    def set(self, index: int, value: bool = True) -> StatusList:
        """A new list with the bit at ``index`` set to ``value`` (this one is unchanged)."""
        _check_index(index, self.size)
        data = bytearray(self.bitstring)
        mask = 0x80 >> (index & 7)
        data[index >> 3] = data[index >> 3] | mask if value else data[index >> 3] & ~mask
        return StatusList(bytes(data))

    def indices(self) -> Iterator[int]:
        """The indices whose bit is set, ascending."""
        for position, byte in enumerate(self.bitstring):
            if byte:
                for bit in range(8):
                    if byte & (0x80 >> bit):
                        yield position * 8 + bit

    def count(self) -> int:
        """How many bits are set."""
        return int.from_bytes(self.bitstring, "big").bit_count()

    def __repr__(self) -> str:
        return f"StatusList(size={self.size}, set={self.count()})"

    def encode(self) -> str:
        """The ``encodedList`` value: multibase base64url without padding (prefix ``u``)
        of the GZIP-compressed bitstring. Deterministic (mtime 0, level 9)."""
        compressed = gzip.compress(self.bitstring, compresslevel=9, mtime=0)
        return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, text: str, *, max_entries: int = MAX_ENTRIES) -> StatusList:
        """Parse an ``encodedList``, refusing anything a verifier should not inflate.

        Refused (StatusListError): not a string; no ``u`` multibase prefix; longer than any
        list of ``max_entries`` could encode; characters outside base64url, padding, or a
        non-canonical encoding; not one complete GZIP member (bad header or checksum,
        truncated, trailing bytes); more than ``max_entries`` entries once inflated
        (detected after inflating at most one byte past the cap: a gzip bomb is never
        expanded); fewer than :data:`MIN_ENTRIES` (the specification's length rule).
        """
        cap = min(max_entries, MAX_ENTRIES) // 8
        if not isinstance(text, str):
            raise StatusListError("encodedList is not a string")
        if not text.startswith("u"):
            raise StatusListError("encodedList lacks the multibase prefix 'u' (base64url)")
        if len(text) > _MAX_TEXT:
            raise StatusListError(f"encodedList is {len(text)} characters, over {_MAX_TEXT}")
        body = text[1:]
        if not _BASE64URL.fullmatch(body) or len(body) % 4 == 1:
            raise StatusListError("encodedList is not base64url without padding")
        try:
            compressed = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_")
        except binascii.Error as e:
            raise StatusListError(f"encodedList is not base64url: {e}") from e
        if base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=") != body:
            raise StatusListError("encodedList is not in canonical base64url")
        # wbits=31: a GZIP wrapper (RFC 1952), whose CRC-32 and length zlib checks.
        inflater = zlib.decompressobj(wbits=31)
        try:
            bits = inflater.decompress(compressed, cap + 1)
        except zlib.error as e:
            raise StatusListError(f"encodedList is not GZIP data: {e}") from e
        if len(bits) > cap:
            raise StatusListError(
                f"encodedList inflates to more than {cap * 8} entries (refused unexpanded)"
            )
        if not inflater.eof:
            raise StatusListError("encodedList is a truncated GZIP stream")
        if inflater.unused_data:
            raise StatusListError("encodedList has bytes after its GZIP member")
        if len(bits) * 8 < MIN_ENTRIES:
            raise StatusListError(
                f"status list has {len(bits) * 8} entries, under the minimum of {MIN_ENTRIES}"
            )
        return cls(bits)


def _check_size(size: int) -> None:
    if not isinstance(size, int) or isinstance(size, bool):
        raise StatusListError("a status list size is an integer")
    if size % 8:
        raise StatusListError(f"a status list size is a whole number of bytes, not {size} bits")
    if size < MIN_ENTRIES:
        raise StatusListError(f"a status list has at least {MIN_ENTRIES} entries, not {size}")
    if size > MAX_ENTRIES:
        raise StatusListError(f"a status list has at most {MAX_ENTRIES} entries, not {size}")


def _check_index(index: int, size: int) -> None:
    if not isinstance(index, int) or isinstance(index, bool):
        raise StatusListError(f"a status list index is an integer, not {index!r}")
    if not 0 <= index < size:
        raise StatusListError(f"index {index} is outside the list (0 to {size - 1})")


# ------------------------------------------------------------------------ index allocation


class RandomSource(Protocol):
    """Uniform integers in ``[0, stop)``: ``secrets.SystemRandom()``, or a seeded
    ``random.Random`` in tests."""

    def randrange(self, stop: int, /) -> int: ...


_SYSTEM_RANDOM: Final = secrets.SystemRandom()
_TRIES: Final = 64


def allocate_index(
    used: Set[int] | Callable[[int], bool],
    size: int = MIN_ENTRIES,
    rng: RandomSource = _SYSTEM_RANDOM,
) -> int:
    """A uniformly random index in ``[0, size)`` that ``used`` does not hold.

    ``used`` is the set of taken indices, or a predicate telling whether one is taken. A
    random index, not the next one, is what gives herd privacy: sequential indices would
    tell an observer the order (and so the date) of issuance. Exactly uniform over the
    free indices: rejection sampling, then, when the list is nearly full, a draw among the
    free indices counted by one pass. Raises StatusListError when none is free.
    """
    _check_size_loose(size)
    taken: Callable[[int], bool] = used.__contains__ if isinstance(used, Set) else used
    for _ in range(_TRIES):
        index = rng.randrange(size)
        if not taken(index):
            return index
    free = [index for index in range(size) if not taken(index)]
    if not free:
        raise StatusListError(f"the status list is full: all {size} indices are taken")
    return free[rng.randrange(len(free))]


def _check_size_loose(size: int) -> None:
    # Allocation needs only the bounds; the list built later also wants whole bytes.
    if (
        not isinstance(size, int)
        or isinstance(size, bool)
        or not MIN_ENTRIES <= size <= MAX_ENTRIES
    ):
        raise StatusListError(
            f"a status list has {MIN_ENTRIES} to {MAX_ENTRIES} entries, not {size!r}"
        )


# ------------------------------------------------------------------------------ identifiers


def list_id(issuer_did: str, number: int, *, base_url: str | None = None) -> str:
    """The identifier of an issuer's list number ``number`` (the pair of purpose lists).

    With ``base_url`` (the issuer's public node, ``https://…``) an https URL outside
    verifiers can fetch: ``<base_url>/status/<fingerprint>/<number>``; otherwise
    ``urn:musette:status:<fingerprint>:<number>``. Raises StatusListError for an issuer
    that is not a ``did:key``, a negative number, or a base URL that is not plain https.
    """
    fingerprint = _fingerprint(issuer_did)
    if not isinstance(number, int) or isinstance(number, bool):
        raise StatusListError(f"a list number is an integer, not {number!r}")
    if not 0 <= number < _MAX_LIST_NUMBER:
        raise StatusListError(f"a list number is 0 to {_MAX_LIST_NUMBER - 1}, not {number}")
    if base_url is None:
        return f"urn:musette:status:{fingerprint}:{number}"
    base = base_url.rstrip("/")
    if not re.fullmatch(r"https://[^/?#\s]+(?:/[^?#\s]*)?", base):
        raise StatusListError(f"a status base URL is https:// without query or fragment: {base!r}")
    return f"{base}/status/{fingerprint}/{number}"


def list_credential_id(list_id: str, purpose: Purpose) -> str:
    """The id of the list credential for ``purpose``: ``<list id>:<purpose>`` for a URN,
    ``<list id>/<purpose>`` for an https URL. Raises StatusListError for an id that is
    not one :func:`list_id` makes, or an unknown purpose."""
    _parse_list_id(list_id)
    if purpose not in PURPOSES:
        raise StatusListError(f"status purpose is one of {', '.join(PURPOSES)}, not {purpose!r}")
    return f"{list_id}:{purpose}" if list_id.startswith("urn:") else f"{list_id}/{purpose}"


def list_owner(list_id: str) -> str:
    """The did:key of the issuer a list id names. Raises StatusListError for an id that
    is not one :func:`list_id` makes."""
    return "did:key:" + _parse_list_id(list_id)


def list_of_credential(list_credential: str) -> tuple[str, Purpose]:
    """Split a list credential id (``statusListCredential``) into (list id, purpose)."""
    for purpose in PURPOSES:
        for sep in (":", "/"):
            suffix = sep + purpose
            if list_credential.endswith(suffix):
                base = list_credential[: -len(suffix)]
                _parse_list_id(base)
                return base, purpose
    raise StatusListError(f"{list_credential!r} is not a Musette status list credential id")


def _parse_list_id(value: str) -> str:
    """The issuer fingerprint a list id names."""
    match = None
    if isinstance(value, str):
        match = _URN_LIST.fullmatch(value) or _HTTPS_LIST.fullmatch(value)
    if match is None:
        raise StatusListError(
            f"{value!r} is not a Musette status list id "
            "(urn:musette:status:<fingerprint>:<n> or https://…/status/<fingerprint>/<n>)"
        )
    return match[1]


def _fingerprint(issuer_did: str) -> str:
    try:
        key = Ed25519PublicKey.from_did(issuer_did)
    except CredentialError as e:
        raise StatusListError(f"status lists are named after a did:key issuer: {e}") from e
    if key.did != issuer_did:
        raise StatusListError(f"issuer {issuer_did!r} is not a plain did:key")
    return issuer_did.removeprefix("did:key:")


# -------------------------------------------------------------------------------- documents


def status_entries(list_id: str, index: int) -> list[dict[str, Any]]:
    """The two ``credentialStatus`` entries for ``index`` on list ``list_id``: revocation
    then suspension, each a ``BitstringStatusListEntry`` pointing at its purpose's list
    credential. One random index serves both lists. Raises StatusListError."""
    _check_index(index, MAX_ENTRIES)
    entries = []
    for purpose in PURPOSES:
        credential_id = list_credential_id(list_id, purpose)
        entries.append(
            {
                "id": f"{credential_id}#{index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(index),  # a string, by the specification
                "statusListCredential": credential_id,
            }
        )
    return entries


def attach_status(
    credential: Mapping[str, Any], entries: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """A copy of ``credential`` carrying ``entries`` as its ``credentialStatus``.

    A VC 1.1 credential also gets :data:`CONTEXT_STATUS_V1` (its base context does not
    define the terms) and takes one entry only, as an object (VC DM 1.1 §4.9 describes one
    status; didkit, which signs 1.1 formats, refuses an array): give it the revocation
    entry. A VC 2.0 credential needs no extra context. The result is unsigned. Raises
    StatusListError for no entry, or several on a VC 1.1 credential.
    """
    items = [dict(entry) for entry in entries]
    if not items:
        raise StatusListError("no status entry to attach")
    document = dict(credential)
    context = document.get("@context")
    contexts = list(context) if isinstance(context, list) else [context]
    if contexts[:1] != [CONTEXT_VC_V1]:
        document["credentialStatus"] = items
        return document
    if len(items) > 1:
        raise StatusListError("a VC 1.1 credential carries one status entry, not several")
    document["credentialStatus"] = items[0]
    if CONTEXT_STATUS_V1 not in contexts:
        document["@context"] = [*contexts, CONTEXT_STATUS_V1]
    return document


def status_list_credential(
    issuer_did: str,
    list_id: str,
    purpose: Purpose,
    bits: StatusList,
    *,
    valid_from: datetime,
    valid_until: datetime | None = None,
    ttl: timedelta | None = None,
) -> dict[str, Any]:
    """The unsigned VC 2.0 ``BitstringStatusListCredential`` of ``issuer_did`` for one
    purpose of list ``list_id``; sign it with ``credentials.issuance.issue``.

    ``valid_from`` is when the list was built: verifiers report the list's age from it.
    ``valid_until`` bounds how long a stapled copy is accepted. ``ttl`` (a cache hint for
    online fetchers) is left out unless given. Raises StatusListError when the list id
    names another issuer, for an unknown purpose, or for naive or disordered dates.
    """
    if _parse_list_id(list_id) != _fingerprint(issuer_did):
        raise StatusListError(f"list id {list_id} does not name the issuer {issuer_did}")
    credential_id = list_credential_id(list_id, purpose)
    document: dict[str, Any] = {
        "@context": [CONTEXT_VC_V2],
        "id": credential_id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did,
        "validFrom": _timestamp(valid_from),
    }
    if valid_until is not None:
        if valid_until < valid_from:
            raise StatusListError("validUntil is before validFrom")
        document["validUntil"] = _timestamp(valid_until)
    subject: dict[str, Any] = {
        "id": f"{credential_id}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": bits.encode(),
    }
    if ttl is not None:
        milliseconds = int(ttl.total_seconds() * 1000)
        if milliseconds <= 0:
            raise StatusListError("ttl must be positive")
        subject["ttl"] = milliseconds
    document["credentialSubject"] = subject
    return document


def _timestamp(when: datetime) -> str:
    if when.tzinfo is None:
        raise StatusListError("status list dates must carry a time zone")
    return when.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
