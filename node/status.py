"""The ``status`` check as ``musette verify`` runs it, and status lookups for the CLI.

Sources, in this order (``specs/ledger.md`` §7): status list credentials given with
``--status-list FILE``, then lists stapled inside the presentation being verified (as
``BitstringStatusListCredential`` entries of its ``verifiableCredential``), then the home's
own ledger, where the issuer's signed status entries were verified when stored. With none
of these, the check is ``not-checked``, never ``passed``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from credentials.errors import InputError
from credentials.inputs import ParsedInput
from credentials.report import Check, CheckStatus
from credentials.sd_jwt_view import credential_view, issuer_signed_jwt, payload_unverified
from credentials.verifier import Verifier
from ledger.entries import credential_digest
from ledger.errors import LedgerError
from ledger.revocation import RevocationState, Status
from ledger.status_check import StatusListCheck
from ledger.statuslist import list_of_credential
from ledger.store import LedgerStore

__all__ = [
    "LedgerStatus",
    "StatusSources",
    "credential_status",
    "stapled_lists",
    "status_subject",
]

STATUS_LIST_TYPE = "BitstringStatusListCredential"
_STATUSES = ("valid", "revoked", "suspended", "unknown")


def _types(document: Mapping[str, Any]) -> list[Any]:
    kinds = document.get("type", [])
    return kinds if isinstance(kinds, list) else [kinds]


def stapled_lists(presentation: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The status list credentials stapled inside a presentation."""
    if presentation is None:
        return []
    inner = presentation.get("verifiableCredential", [])
    inner = inner if isinstance(inner, list) else [inner]
    return [c for c in inner if isinstance(c, Mapping) and STATUS_LIST_TYPE in _types(c)]


@dataclass(frozen=True)
class LedgerStatus:
    """A credential's status as its issuer's feed in a ledger says it."""

    status: Literal["valid", "revoked", "suspended", "unknown"]
    detail: str
    issuer: str | None = None
    list: str | None = None
    index: int | None = None
    as_of: datetime | None = None

    @classmethod
    def from_json(cls, value: Any) -> LedgerStatus:
        """Read a node's answer (``POST /status/check``); InputError if it is not one."""
        if not isinstance(value, Mapping) or value.get("status") not in _STATUSES:
            raise InputError("the node's answer is not a status")
        as_of = value.get("as_of")
        index = value.get("index")
        return cls(
            value["status"],
            str(value.get("detail", "")),
            value.get("issuer") if isinstance(value.get("issuer"), str) else None,
            value.get("list") if isinstance(value.get("list"), str) else None,
            index if isinstance(index, int) else None,
            datetime.strptime(as_of, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            if isinstance(as_of, str)
            else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "detail": self.detail,
            "issuer": self.issuer,
            "list": self.list,
            "index": self.index,
            "as_of": self.as_of.strftime("%Y-%m-%dT%H:%M:%SZ") if self.as_of else None,
        }


def _issuer(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    value = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return value if isinstance(value, str) else None


def status_reference(credential: Mapping[str, Any]) -> tuple[str, int] | None:
    """(list id, index) of a Musette status entry of ``credential``, if it has one."""
    entries = credential.get("credentialStatus")
    for entry in entries if isinstance(entries, list) else [entries]:
        if not isinstance(entry, Mapping):
            continue
        try:
            list_id, _ = list_of_credential(str(entry.get("statusListCredential", "")))
            return list_id, int(str(entry.get("statusListIndex")))
        except (LedgerError, ValueError):
            continue
    return None


def status_subject(parsed: ParsedInput) -> tuple[dict[str, Any], str | None]:
    """The credential whose status is asked: its JSON (for a VC-JWT its ``vc`` claim) and
    the JWT itself, if any, whose digest names it.

    An SD-JWT VC gives its VC-shaped view (issuer, subject, status entry from its
    ``status`` claim) and its issuer-signed JWT. InputError for a presentation."""
    if parsed.format == "sd-jwt":
        assert parsed.token is not None
        view = credential_view(payload_unverified(parsed.token))
        return view, issuer_signed_jwt(parsed.token)
    if parsed.token is not None:
        from credentials._didkit import decode_jwt_unverified

        claims = decode_jwt_unverified(parsed.token)[1]
        body = claims.get("vc")
        if not isinstance(body, dict):
            raise InputError("the JWT carries no vc claim (a presentation is not revoked)")
        return body, parsed.token
    assert parsed.document is not None
    if "VerifiablePresentation" in _types(parsed.document):
        raise InputError("a presentation has no status of its own: ask about a credential")
    return parsed.document, None


def credential_status(
    store: LedgerStore, credential: Mapping[str, Any], token: str | None = None
) -> LedgerStatus:
    """What ``store`` knows of ``credential``'s status (JWTs: pass the token for the digest)."""
    issuer = _issuer(credential)
    reference = status_reference(credential)
    if issuer is None or reference is None:
        return LedgerStatus("unknown", "the credential declares no Musette status entry", issuer)
    list_id, index = reference
    head = store.head(issuer)
    if head.size == 0:
        return LedgerStatus(
            "unknown", f"this ledger holds no feed of the issuer {issuer}", issuer, list_id, index
        )
    state = RevocationState.of(e for e in store.entries(issuer) if e.kind != "acceptance")
    by_index = state.status(issuer, list_id, index)
    by_digest = state.status_of_credential(issuer, credential_digest(token or dict(credential)))
    status: Status = by_index
    if "revoked" in (by_index, by_digest):
        status = "revoked"
    elif "suspended" in (by_index, by_digest):
        status = "suspended"
    checkpoint = store.checkpoint(issuer)
    as_of = datetime.fromtimestamp(checkpoint.time, UTC) if checkpoint else None
    when = f" as of {as_of:%Y-%m-%d %H:%M} UTC" if as_of else ""
    return LedgerStatus(
        status,
        f"{status} per the issuer's feed ({_count(head.size)}){when}",
        issuer,
        list_id,
        index,
        as_of,
    )


class StatusSources:
    """The ``status`` plug-in: status lists at hand first, then the home's ledger."""

    name = "status"

    def __init__(
        self,
        *,
        lists: Iterable[Mapping[str, Any]],
        store: LedgerStore | None,
        lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self._lists = StatusListCheck(status_lists=list(lists), verifier=Verifier())
        self._store = store
        self._lock = lock or nullcontext()  # a store shared between threads (the node)

    def check(self, credential: Mapping[str, Any], *, now: datetime) -> Check:
        from_lists = self._lists.check(credential, now=now)
        if from_lists.status is not CheckStatus.NOT_CHECKED or self._store is None:
            return from_lists
        if credential.get("credentialStatus") is None:
            return from_lists
        with self._lock:
            found = credential_status(self._store, credential)
        if found.status == "unknown":
            return Check.not_checked(self.name, f"{from_lists.detail}; {found.detail}")
        age = f", {_age(now - found.as_of)} old" if found.as_of else ""
        detail = f"{found.detail} (home ledger{age})"
        if found.status == "valid":
            return Check.passed(self.name, f"not revoked or suspended: {detail}")
        return Check.failed(self.name, detail)


def _age(delta: Any) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400 * 2:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _count(entries: int) -> str:
    return f"{entries} entry" if entries == 1 else f"{entries} entries"
