"""Offline DID resolution: from a verification-method URL to an Ed25519 key.

Only methods that resolve without a network are served: ``did:key`` always, ``did:web``
only from DID documents the caller has cached beforehand (a recruiter syncs them while
online). Anything else raises :class:`~credentials.errors.UnsupportedDidMethodError`;
nothing is ever fetched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import DidError, KeyFormatError, UnsupportedDidMethodError
from .keys import Ed25519PublicKey, b58decode

__all__ = ["OfflineResolver", "ResolvedKey", "Resolver", "did_method", "did_of"]


@dataclass(frozen=True, slots=True)
class ResolvedKey:
    """A verification method, resolved: its full id, its controller DID and its key."""

    id: str
    controller: str
    key: Ed25519PublicKey


class Resolver(Protocol):
    """Resolves a verification-method URL for a given proof purpose, offline."""

    def resolve(self, verification_method: str, *, purpose: str) -> ResolvedKey: ...


def did_of(did_url: str) -> str:
    """The DID part of a DID URL (before any ``#``, ``?`` or path)."""
    base = did_url.split("#", 1)[0].split("?", 1)[0]
    if not base.startswith("did:") or base.count(":") < 2:
        raise DidError(f"{did_url[:80]!r} is not a DID URL")
    return base


def did_method(did: str) -> str:
    return did_of(did).split(":")[1]


@dataclass(frozen=True)
class OfflineResolver:
    """did:key, plus did:web from ``cached_documents`` (DID → DID document)."""

    cached_documents: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def resolve(self, verification_method: str, *, purpose: str) -> ResolvedKey:
        did = did_of(verification_method)
        method = did.split(":")[1]
        if method == "key":
            key = Ed25519PublicKey.from_did(verification_method)
            # did:key: the one key serves every purpose of the method's document.
            return ResolvedKey(id=key.verification_method, controller=key.did, key=key)
        if did in self.cached_documents:
            return _from_document(self.cached_documents[did], verification_method, purpose)
        if method == "web":
            raise UnsupportedDidMethodError(
                f"{did} cannot be resolved offline: no cached DID document "
                "(did:web is never fetched)"
            )
        raise UnsupportedDidMethodError(f"DID method {method!r} cannot be resolved offline")


def _from_document(document: Mapping[str, Any], vm_url: str, purpose: str) -> ResolvedKey:
    did = did_of(vm_url)
    if document.get("id") != did:
        raise DidError(f"cached DID document's id is not {did}")

    def absolute(ref: str) -> str:
        return did + ref if ref.startswith("#") else ref

    allowed = {
        absolute(item) if isinstance(item, str) else absolute(str(item.get("id", "")))
        for item in document.get(purpose, [])
    }
    if vm_url not in allowed:
        raise DidError(f"{vm_url} is not authorised for {purpose} in its DID document")
    methods = list(document.get("verificationMethod", [])) + [
        item for item in document.get(purpose, []) if isinstance(item, Mapping)
    ]
    for method in methods:
        if absolute(str(method.get("id", ""))) != vm_url:
            continue
        return ResolvedKey(
            id=vm_url, controller=str(method.get("controller", did)), key=_method_key(method)
        )
    raise DidError(f"{vm_url} is not in its DID document")


def _method_key(method: Mapping[str, Any]) -> Ed25519PublicKey:
    try:
        if "publicKeyMultibase" in method:
            return Ed25519PublicKey.from_multibase(str(method["publicKeyMultibase"]))
        if "publicKeyJwk" in method:
            return Ed25519PublicKey.from_jwk(dict(method["publicKeyJwk"]))
        if "publicKeyBase58" in method:
            return Ed25519PublicKey(raw=b58decode(str(method["publicKeyBase58"])))
    except KeyFormatError as e:
        raise DidError(f"verification method {method.get('id')!r}: {e}") from e
    raise DidError(f"verification method {method.get('id')!r} has no Ed25519 key we can read")
