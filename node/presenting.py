"""Choosing what a presentation holds: credentials from files or the wallet (by id or by
skill), the persona that presents them, and the status lists to staple; and presenting an
SD-JWT VC, which is its own presentation (``specs/sd-jwt.md`` §5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from credentials.errors import InputError
from credentials.inputs import parse_input
from credentials.keys import KeyPair
from credentials.sd_jwt import present_sd_jwt
from credentials.sd_jwt_view import payload_unverified
from wallet.errors import IdentityError
from wallet.store import CredentialStore

from .common import read_source
from .home import Home
from .status import STATUS_LIST_TYPE

__all__ = [
    "choose_credentials",
    "held_status_lists",
    "is_sd_jwt",
    "present_selective",
    "presenting_persona",
]

Chosen = tuple[str | None, dict[str, Any] | str]  # (subject DID, credential)


def _subject(document: Mapping[str, Any]) -> str | None:
    subject = document.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    value = subject.get("id") if isinstance(subject, Mapping) else None
    return value if isinstance(value, str) else None


def choose_credentials(
    place: Home, files: Sequence[str], ids: Sequence[str], skill: str | None
) -> list[Chosen]:
    """The credentials to present, in the order given; at least one."""
    chosen: list[Chosen] = []
    for source in files:
        parsed = parse_input(read_source(source))
        if parsed.format == "sd-jwt":
            assert parsed.token is not None
            sub = payload_unverified(parsed.token).get("sub")
            chosen.append((sub if isinstance(sub, str) else None, parsed.token))
        elif parsed.token is not None:
            chosen.append((None, parsed.token))
        else:
            assert parsed.document is not None
            chosen.append((_subject(parsed.document), dict(parsed.document)))
    if ids or skill:
        with CredentialStore.in_home(place.path) as store:
            items = [store.get(i) for i in ids]
            if skill:
                found = store.list(skill=skill)
                if not found:
                    raise InputError(f"your wallet holds no credential for the skill {skill!r}")
                items += [item for item in found if item.state != "withdrawn"]
            seen: set[str] = set()
            for item in items:
                if item.id not in seen:
                    seen.add(item.id)
                    chosen.append((item.subject, store.document(item.id)))
    if not chosen:
        raise InputError("nothing to present: give credential files, --credential ID or --skill")
    return chosen


def presenting_persona(place: Home, chosen: Sequence[Chosen]) -> str | None:
    """The one persona the credentials are about (a presentation never links personas)."""
    mine = {identity.did for identity in place.identities.list()}
    subjects = {subject for subject, _ in chosen if subject in mine}
    if len(subjects) > 1:
        raise IdentityError(
            "these credentials belong to different personas: present each persona's apart"
        )
    return subjects.pop() if subjects else None


def held_status_lists(
    place: Home, documents: Sequence[dict[str, Any] | str]
) -> list[dict[str, Any]]:
    """The issuers' status lists the wallet holds for these credentials."""
    wanted: set[str] = set()
    for document in documents:
        if not isinstance(document, Mapping):
            continue
        entries = document.get("credentialStatus")
        for entry in entries if isinstance(entries, list) else [entries]:
            if isinstance(entry, Mapping) and isinstance(entry.get("statusListCredential"), str):
                wanted.add(entry["statusListCredential"])
    if not wanted or not (place.path / "wallet.db").exists():
        return []
    with CredentialStore.in_home(place.path) as store:
        return [d for d in store.status_lists(wanted) if STATUS_LIST_TYPE in d.get("type", [])]


def is_sd_jwt(credential: dict[str, Any] | str) -> bool:
    """Whether a chosen credential is an SD-JWT VC (a VC-JWT has no ``~``)."""
    return isinstance(credential, str) and "~" in credential


def present_selective(
    credentials: Sequence[dict[str, Any] | str],
    holder: KeyPair,
    *,
    disclose: Sequence[str],
    challenge: str,
    domain: str,
) -> str:
    """The SD-JWT+KB of the one SD-JWT VC in ``credentials``, revealing only ``disclose``:
    the challenge is the KB-JWT ``nonce``, the domain its ``aud``. An SD-JWT cannot sit in
    a JSON-LD presentation, so mixing formats, or several SD-JWTs, is an InputError."""
    if not all(is_sd_jwt(c) for c in credentials):
        raise InputError(
            "an SD-JWT VC is its own presentation: present it apart from JSON-LD or JWT ones"
        )
    if len(credentials) != 1:
        raise InputError("present one SD-JWT VC at a time (each is its own presentation)")
    token = credentials[0]
    assert isinstance(token, str)
    return present_sd_jwt(
        token,
        holder,
        disclose=list(disclose),
        nonce=challenge,
        audience=domain,
        iat=datetime.now(UTC),
    )
