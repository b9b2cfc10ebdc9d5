"""The verifier's ``status`` check: revocation and suspension read from issuer-signed
Bitstring Status List credentials that are already at hand (never fetched).

:class:`StatusListCheck` is a :class:`credentials.verifier.CredentialCheck`. It is given
the status list credentials the caller has, in the caller's order of preference (a
``--status-list FILE``, the lists stapled to a presentation, the home's ledger): the
first list with a given id wins. For each ``BitstringStatusListEntry`` of a credential it
follows the *Validate Algorithm* of Bitstring Status List v1.0, in this order:

1. the entry is well formed (``statusPurpose``, ``statusListIndex``,
   ``statusListCredential``); a type, purpose or ``statusSize`` we do not implement makes
   the check ``not-checked``;
2. a list credential with that id is at hand, else ``not-checked``;
3. the list credential verifies (proof and issuer binding, by the injected verifier),
   is a ``BitstringStatusListCredential`` and its ``encodedList`` decodes
   (:meth:`ledger.statuslist.StatusList.decode`); cached per list id;
4. its issuer is the credential's issuer (Musette's rule: only the issuer speaks for its
   credentials);
5. its ``statusPurpose`` includes the entry's;
6. it is valid at *now* (``validFrom`` is required: it dates the list), and not older
   than ``max_age`` when one is set;
7. the index is inside the list; the bit is read.

Any failure in 1 (malformed) and 3–7 fails the check with its reason; a list that does
not verify is reported as such, never as "revoked". A set bit fails the check
("revoked …", "suspended …"). The check passes only when every entry was read from a
verified list, and always says how old the list is.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from credentials import datamodel, limits
from credentials.errors import CredentialError
from credentials.inputs import ParsedInput
from credentials.report import Check, CheckStatus, Report
from credentials.verifier import Verifier

from .errors import StatusListError
from .statuslist import PURPOSES, StatusList

__all__ = ["ListVerifier", "StatusListCheck"]

#: Verifies a status list credential: proof, issuer binding (and more, ignored here).
ListVerifier = Callable[[Mapping[str, Any]], Report]

_INDEX: Final = re.compile(r"0|[1-9][0-9]{0,18}")
_WORD: Final = {"revocation": "revoked", "suspension": "suspended"}
# What a list's report must show: these passed, and no failure but validity (judged here
# at the credential's *now*, as the report is cached) or a plug-in's (none run on lists).
_REQUIRED: Final = ("proof", "issuer-binding")
_NOT_REQUIRED: Final = frozenset({"validity", "status"})


@dataclass(frozen=True, slots=True)
class _List:
    """A status list credential that verified and decoded."""

    id: str
    issuer: str
    purposes: frozenset[str]
    valid_from: datetime
    valid_until: datetime | None
    bits: StatusList


@dataclass(frozen=True, slots=True)
class _Read:
    """What one entry gave."""

    outcome: Literal["set", "clear", "failed", "not-checked"]
    detail: str = ""
    purpose: str = ""
    source: _List | None = None
    age: timedelta = timedelta(0)


class StatusListCheck:
    """The ``status`` check, from status list credentials at hand.

    ``status_lists``: list credentials (JSON objects), first match by id wins; copied when
    the check is made. ``verifier``: a :class:`~credentials.verifier.Verifier` (its plug-in
    checks are dropped for lists) or a function returning a report for a list.
    ``max_age``: refuse lists older than this (default: any age, always reported).
    Verification of a list is done once per list and cached. Never raises for bad data.
    """

    name: str = "status"

    def __init__(
        self,
        *,
        status_lists: Iterable[Mapping[str, Any]],
        verifier: Verifier | ListVerifier,
        max_age: timedelta | None = None,
    ) -> None:
        self._lists: dict[str, Mapping[str, Any]] = {}
        for document in status_lists:
            list_id = document.get("id") if isinstance(document, Mapping) else None
            if isinstance(list_id, str) and list_id not in self._lists:
                self._lists[list_id] = copy.deepcopy(document)
        self._verify = _list_verifier(verifier)
        self._max_age = max_age
        self._vetted: dict[str, _List | str] = {}

    def check(self, credential: Mapping[str, Any], *, now: datetime) -> Check:
        """The status of ``credential`` at ``now``: passed, failed or not-checked."""
        status = credential.get("credentialStatus")
        entries = status if isinstance(status, list) else [status]
        if status is None or not entries:
            return Check.not_checked(self.name, "credential declares no status entry")
        issuer = _issuer_id(credential)
        reads = [self._read(entry, issuer, now) for entry in entries]
        return _summary(self.name, reads)

    # -- one entry ----------------------------------------------------------------------

    def _read(self, entry: Any, issuer: str | None, now: datetime) -> _Read:
        # 1. the entry
        if not isinstance(entry, Mapping):
            return _Read("failed", "a credentialStatus entry is not an object")
        types = _as_list(entry.get("type"))
        if "BitstringStatusListEntry" not in types:
            return _Read("not-checked", f"status entry of type {types!r} is not supported")
        purpose = entry.get("statusPurpose")
        if purpose not in PURPOSES:
            return _Read("not-checked", f"status purpose {purpose!r} is not checked")
        size = entry.get("statusSize", 1)
        if size != 1 or isinstance(size, bool):
            return _Read("not-checked", f"statusSize {size!r} is not supported")
        list_id = entry.get("statusListCredential")
        raw_index = entry.get("statusListIndex")
        if not isinstance(list_id, str):
            return _Read("failed", f"{purpose} entry names no statusListCredential")
        if not isinstance(raw_index, str) or not _INDEX.fullmatch(raw_index):
            return _Read("failed", f"statusListIndex {raw_index!r} is not a decimal string")
        # 2. the list at hand
        if list_id not in self._lists:
            return _Read("not-checked", f"no status list {list_id} available offline")
        # 3. verified and decoded (cached)
        found = self._vetted_list(list_id)
        if isinstance(found, str):
            return _Read("failed", found)
        # 4. same issuer
        if issuer is None:
            return _Read("failed", "the credential names no issuer to match its status list")
        if found.issuer != issuer:
            return _Read(
                "failed",
                f"status list {list_id} is issued by {found.issuer}, "
                f"not by the credential's issuer {issuer}",
            )
        # 5. purpose
        if purpose not in found.purposes:
            listed = ", ".join(sorted(found.purposes))
            return _Read("failed", f"status list {list_id} is for {listed}, not {purpose}")
        # 6. valid now, and fresh enough
        if now < found.valid_from:
            return _Read(
                "failed", f"status list {list_id} is not valid before {_iso(found.valid_from)}"
            )
        if found.valid_until is not None and now > found.valid_until:
            return _Read("failed", f"status list {list_id} expired on {_iso(found.valid_until)}")
        age = now - found.valid_from
        if self._max_age is not None and age > self._max_age:
            return _Read(
                "failed",
                f"status list {list_id} is {_age(age)} old, over the maximum of "
                f"{_age(self._max_age)}",
            )
        # 7. the bit
        index = int(raw_index)
        if index >= found.bits.size:
            return _Read(
                "failed",
                f"statusListIndex {index} is past the end of status list {list_id} "
                f"({found.bits.size} entries)",
            )
        outcome: Literal["set", "clear"] = "set" if found.bits.get(index) else "clear"
        return _Read(outcome, purpose=purpose, source=found, age=age)

    # -- one list -----------------------------------------------------------------------

    def _vetted_list(self, list_id: str) -> _List | str:
        """The list, verified and decoded, or why it cannot be used (both cached)."""
        if list_id not in self._vetted:
            try:
                self._vetted[list_id] = self._vet(list_id, self._lists[list_id])
            except StatusListError as e:
                self._vetted[list_id] = str(e)
        return self._vetted[list_id]

    def _vet(self, list_id: str, document: Mapping[str, Any]) -> _List:
        try:
            limits.check_json_size(json.dumps(document))
            report = self._verify(document)
        except (TypeError, ValueError) as e:
            raise StatusListError(f"status list {list_id} is not JSON: {e}") from e
        except CredentialError as e:
            raise StatusListError(f"status list {list_id} cannot be verified: {e}") from e
        problem = _unverified(report)
        if problem is not None:
            # A list that does not verify says nothing: its bits are not even decoded.
            raise StatusListError(
                f"status list {list_id} does not verify ({problem.name}: {problem.detail}); "
                "its bits were not read"
            )
        if "BitstringStatusListCredential" not in _as_list(document.get("type")):
            raise StatusListError(f"{list_id} is not a BitstringStatusListCredential")
        subject = document.get("credentialSubject")
        if not isinstance(subject, Mapping):
            raise StatusListError(f"status list {list_id} must have one credentialSubject")
        if "BitstringStatusList" not in _as_list(subject.get("type")):
            raise StatusListError(f"the subject of {list_id} is not a BitstringStatusList")
        purposes = _as_list(subject.get("statusPurpose"))
        if not purposes or not all(isinstance(p, str) for p in purposes):
            raise StatusListError(f"status list {list_id} states no statusPurpose")
        issuer = _issuer_id(document)
        if issuer is None:
            raise StatusListError(f"status list {list_id} names no issuer")
        encoded = subject.get("encodedList")
        if not isinstance(encoded, str):
            raise StatusListError(f"status list {list_id} has no encodedList string")
        try:
            bits = StatusList.decode(encoded)
        except StatusListError as e:
            raise StatusListError(f"status list {list_id}: {e}") from e
        if "validFrom" not in document:
            raise StatusListError(f"status list {list_id} has no validFrom: its age is unknown")
        try:
            valid_from = datamodel.parse_datetime(document["validFrom"])
            until = document.get("validUntil")
            valid_until = None if until is None else datamodel.parse_datetime(until)
        except CredentialError as e:
            raise StatusListError(f"status list {list_id}: {e}") from e
        return _List(list_id, issuer, frozenset(purposes), valid_from, valid_until, bits)


# ---------------------------------------------------------------------------- helpers


def _list_verifier(verifier: Verifier | ListVerifier) -> ListVerifier:
    if not isinstance(verifier, Verifier):
        return verifier
    # Plug-in checks are dropped: a list has no status of its own, and a trust check
    # would judge the issuer, which the credential's own report already does.
    plain = dataclasses.replace(verifier, checks=())

    def verify(document: Mapping[str, Any]) -> Report:
        return plain.verify(ParsedInput(format="jsonld", document=dict(document)))

    return verify


def _unverified(report: Report) -> Check | None:
    """The check that keeps a list's report from counting as authentic, if any."""
    for name in _REQUIRED:
        check = report.check(name)
        if check is None:
            return Check.failed(name, "not in the report")
        if check.status is not CheckStatus.PASSED:
            return check
    return next(
        (c for c in report.failures() if c.name not in _NOT_REQUIRED),
        None,
    )


def _summary(name: str, reads: list[_Read]) -> Check:
    hits = [r for r in reads if r.outcome == "set"]
    broken = [r.detail for r in reads if r.outcome == "failed"]
    unknown = [r.detail for r in reads if r.outcome == "not-checked"]
    clear = [r for r in reads if r.outcome == "clear"]
    if hits or broken:
        said = [f"{_WORD[r.purpose]} ({_list_of(r)})" for r in hits]
        return Check.failed(name, "; ".join(said + broken))
    if unknown:
        return Check.not_checked(name, "; ".join(unknown + ([_cleared(clear)] if clear else [])))
    return Check.passed(name, _cleared(clear))


def _cleared(reads: list[_Read]) -> str:
    words = " or ".join(_WORD[p] for p in PURPOSES if any(r.purpose == p for r in reads))
    oldest = max(reads, key=lambda r: r.age)
    assert oldest.source is not None
    lists = {r.source.id for r in reads if r.source is not None}
    dates = {r.source.valid_from for r in reads if r.source is not None}
    if len(dates) > 1:
        per = "the issuer's lists, the oldest of"
    else:
        per = "the issuer's list of" if len(lists) == 1 else "the issuer's lists of"
    return f"not {words}, per {per} {_iso(oldest.source.valid_from)}, {_age(oldest.age)} old"


def _list_of(read: _Read) -> str:
    assert read.source is not None
    return f"list of {_iso(read.source.valid_from)}, {_age(read.age)} old"


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _issuer_id(document: Mapping[str, Any]) -> str | None:
    issuer = document.get("issuer")
    value = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return value if isinstance(value, str) else None
