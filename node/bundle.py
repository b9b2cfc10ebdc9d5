"""The offline bundle: one JSON file a worker hands a recruiter, enough to verify a
presentation with no network (``specs/recruiter.md`` §3).

    {"type": "MusetteBundle", "version": 1,
     "presentation": VP,
     "status_lists": [BitstringStatusListCredential…],
     "trust_snapshot": {"author": DID, "entries": [base64url signed ledger entry…]} | null}

Nothing in a bundle is trusted for being there: the presentation and the status lists are
verified as usual (the lists by their issuers' signatures), and the snapshot's entries by
their author's signature, one by one (``ledger.entries.Entry.from_bytes``). A snapshot says
what its author's anchors make of an issuer, and is labelled with that author: the holder
chose it, so a recruiter with anchors of their own uses those instead.

:func:`read_bundle` parses untrusted JSON into a :class:`Bundle` or raises
:class:`BundleError` (an ``InputError``: exit 2). :func:`claim_rows` turns a verified
report into one row per claim under a :class:`Policy`. Neither does I/O.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from credentials.errors import InputError
from credentials.models import SkillClaim
from credentials.report import Check, CheckStatus, Report
from ledger.entries import Entry
from ledger.errors import LedgerError
from ledger.trust_snapshot import Snapshot, snapshot_from_entries

from .status import STATUS_LIST_TYPE

__all__ = [
    "BUNDLE_TYPE",
    "BUNDLE_VERSION",
    "Bundle",
    "BundleError",
    "Policy",
    "SignedSnapshot",
    "claim_rows",
    "is_bundle",
    "make_bundle",
    "read_bundle",
]

BUNDLE_TYPE: Final = "MusetteBundle"
BUNDLE_VERSION: Final = 1
_MAX_ENTRIES: Final = 64  # a snapshot is at most a few entries (3000 scores each)


class BundleError(InputError):
    """A file that says it is a bundle but is not a well-formed one."""


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded, altchars=b"-_", validate=True)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class SignedSnapshot:
    """A node's trust snapshot as its signed entries (not yet verified)."""

    author: str
    entries: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {"author": self.author, "entries": [_b64encode(e) for e in self.entries]}

    def verified(self) -> Snapshot:
        """Each entry's signature checked, its author the snapshot's: the Snapshot, or a
        LedgerError saying which entry failed."""
        entries: list[Entry] = []
        for number, data in enumerate(self.entries, 1):
            try:
                entry = Entry.from_bytes(data)
            except LedgerError as e:
                raise LedgerError(f"trust snapshot entry {number} does not verify: {e}") from e
            if entry.author != self.author:
                raise LedgerError(
                    f"trust snapshot entry {number} is signed by {entry.author}, "
                    f"not by the snapshot's author {self.author}"
                )
            entries.append(entry)
        snapshot = snapshot_from_entries(entries)
        if snapshot is None:
            raise LedgerError("the trust snapshot holds no trust-snapshot entry")
        return snapshot


@dataclass(frozen=True, slots=True)
class Bundle:
    presentation: dict[str, Any]
    status_lists: tuple[dict[str, Any], ...]
    trust_snapshot: SignedSnapshot | None

    def to_json(self) -> dict[str, Any]:
        return {
            "type": BUNDLE_TYPE,
            "version": BUNDLE_VERSION,
            "presentation": self.presentation,
            "status_lists": list(self.status_lists),
            "trust_snapshot": None
            if self.trust_snapshot is None
            else self.trust_snapshot.to_json(),
        }


def make_bundle(
    presentation: dict[str, Any],
    status_lists: Sequence[Mapping[str, Any]],
    snapshot: Mapping[str, Any] | None,
) -> Bundle:
    """A bundle of a presentation, the status lists it needs (deduplicated by id) and a
    node's ``/trust/snapshot`` answer (its ``author`` and base64url ``entries``)."""
    seen: set[Any] = set()
    lists: list[dict[str, Any]] = []
    for document in status_lists:
        if document.get("id") not in seen:
            seen.add(document.get("id"))
            lists.append(dict(document))
    signed = _snapshot(snapshot) if snapshot is not None else None
    return Bundle(presentation, tuple(lists), signed)


def is_bundle(value: Any) -> bool:
    """Whether a parsed JSON value says it is a bundle (to be read by read_bundle)."""
    return isinstance(value, Mapping) and value.get("type") == BUNDLE_TYPE


def read_bundle(text: str) -> Bundle:
    """Parse a bundle; a BundleError says what is wrong in one line."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise BundleError(f"the bundle is not JSON: {e}") from e
    if not is_bundle(value):
        raise BundleError(f"not a bundle: its type is not {BUNDLE_TYPE!r}")
    if value.get("version") != BUNDLE_VERSION:
        raise BundleError(f"bundle version {value.get('version')!r} is not {BUNDLE_VERSION}")
    presentation = value.get("presentation")
    if not isinstance(presentation, dict):
        raise BundleError("the bundle's 'presentation' is not a JSON object")
    lists = value.get("status_lists", [])
    if not isinstance(lists, list) or not all(isinstance(d, dict) for d in lists):
        raise BundleError("the bundle's 'status_lists' is not a list of JSON objects")
    for document in lists:
        types = document.get("type")
        if not isinstance(types, list) or STATUS_LIST_TYPE not in types:
            raise BundleError(f"a bundled status list is not a {STATUS_LIST_TYPE}")
    snapshot = value.get("trust_snapshot")
    if snapshot is not None and not isinstance(snapshot, Mapping):
        raise BundleError("the bundle's 'trust_snapshot' is not an object or null")
    return Bundle(presentation, tuple(lists), _snapshot(snapshot) if snapshot is not None else None)


def _snapshot(value: Mapping[str, Any]) -> SignedSnapshot:
    author, entries = value.get("author"), value.get("entries")
    if not isinstance(author, str) or not author.startswith("did:"):
        raise BundleError("the trust snapshot's 'author' is not a DID")
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise BundleError("the trust snapshot's 'entries' is not a list of base64url text")
    if len(entries) > _MAX_ENTRIES:
        raise BundleError(f"the trust snapshot has over {_MAX_ENTRIES} entries")
    try:
        decoded = tuple(_b64decode(e) for e in entries)
    except (binascii.Error, ValueError) as e:
        raise BundleError(f"a trust snapshot entry is not base64url: {e}") from e
    return SignedSnapshot(author, decoded)


# -- claims under a policy ----------------------------------------------------------------

PolicyName = Literal["strict", "lenient"]


@dataclass(frozen=True, slots=True)
class Policy:
    """The recruiter's rules beyond the checks: ``max_status_age`` (seconds) fails a claim
    whose status list is older; ``strict`` fails a claim whose status or trust could not
    be checked (lenient reports it plainly). ``min_trust`` is the trust check's own."""

    name: PolicyName = "lenient"
    max_status_age: int | None = None


def _status_list_ids(credential: Mapping[str, Any]) -> set[str]:
    status = credential.get("credentialStatus")
    entries = status if isinstance(status, list) else [status]
    return {
        e["statusListCredential"]
        for e in entries
        if isinstance(e, Mapping) and isinstance(e.get("statusListCredential"), str)
    }


def _list_age(
    credential: Mapping[str, Any], lists: Sequence[Mapping[str, Any]], now: datetime
) -> int | None:
    """Seconds since the oldest status list this credential points to was issued."""
    wanted = _status_list_ids(credential)
    starts: list[datetime] = []
    for document in lists:
        if document.get("id") in wanted:
            raw = document.get("validFrom") or document.get("issuanceDate")
            try:
                starts.append(datetime.fromisoformat(str(raw).replace("Z", "+00:00")))
            except ValueError:
                continue
    if not starts:
        return None
    return max(0, int((now - min(starts)).total_seconds()))


def _describe(credential: Mapping[str, Any]) -> str:
    claim = SkillClaim.from_credential(credential)  # never raises: "other" when unknown
    level = f", level {claim.level}" if claim.level else ""
    return f"{claim.kind} {claim.name!r}{level}"


def claim_rows(
    report: Report,
    presentation: Mapping[str, Any],
    lists: Sequence[Mapping[str, Any]],
    policy: Policy,
    now: datetime,
) -> list[dict[str, Any]]:
    """One row per credential in the presentation (stapled status lists aside): genuine,
    revoked, expired, status age, trust figure, and whether the claim is accepted."""
    inner = presentation.get("verifiableCredential", [])
    inner = inner if isinstance(inner, list) else [inner]
    rows: list[dict[str, Any]] = []
    for item, nested in zip(inner, report.credentials, strict=False):
        document = item if isinstance(item, Mapping) else {}
        if STATUS_LIST_TYPE in (document.get("type") or []):
            continue
        rows.append(_row(len(rows) + 1, document, nested, lists, policy, now))
    return rows


def _status_of(check: Check | None) -> str:
    return CheckStatus.NOT_CHECKED.value if check is None else check.status.value


def _row(
    number: int,
    credential: Mapping[str, Any],
    report: Report,
    lists: Sequence[Mapping[str, Any]],
    policy: Policy,
    now: datetime,
) -> dict[str, Any]:
    proof, binding = report.check("proof"), report.check("issuer-binding")
    validity, status, trust = (report.check(n) for n in ("validity", "status", "trust"))
    genuine = all(c is not None and c.status is CheckStatus.PASSED for c in (proof, binding))
    said = status.detail if status is not None and status.status is CheckStatus.FAILED else ""
    revoked, suspended = "revoked (" in said, "suspended (" in said
    expired = (
        validity is not None
        and validity.status is CheckStatus.FAILED
        and "expired" in validity.detail
    )
    age = _list_age(credential, lists, now)  # of the lists at hand, whatever they said
    problems = [f"{c.name}: {c.detail}" for c in report.failures()]
    not_checked = [
        f"{c.name}: {c.detail}"
        for c in (status, trust)
        if c is not None and c.status is CheckStatus.NOT_CHECKED
    ]
    if policy.max_status_age is not None and age is not None and age > policy.max_status_age:
        problems.append(
            f"status list is {age} s old, over the policy's maximum of {policy.max_status_age} s"
        )
    if policy.name == "strict":
        problems += [f"strict policy: {text}" for text in not_checked]
        if status is None:
            problems.append("strict policy: status: not checked")
        if trust is None:
            problems.append("strict policy: trust: not checked")
    if not report.verified and not problems:
        problems.append("the credential does not verify")
    return {
        "number": number,
        "claim": _describe(credential),
        "issuer": _issuer(credential),
        "genuine": genuine,
        "revoked": revoked,
        "suspended": suspended,
        "expired": expired,
        "status": _status_of(status),
        "status_age_seconds": age,
        "trust": trust.value if trust is not None else None,
        "trust_status": _status_of(trust),
        "accepted": not problems,
        "problems": problems,
        "not_checked": not_checked,
    }


def _issuer(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    issuer = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return issuer if isinstance(issuer, str) else None
