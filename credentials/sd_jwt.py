"""Selective disclosure for skill credentials: SD-JWT VC with Ed25519 (EdDSA) keys.

Implements SD-JWT (RFC 9901, ``SD_JWT_SPEC``) in its SD-JWT VC profile
(draft-ietf-oauth-sd-jwt-vc, ``SD_JWT_VC_SPEC``) for Musette's peer skill attestations;
the wire format, claim mapping and checks are in ``specs/sd-jwt.md``.

Three roles, all pure (no I/O; clock and randomness are passed in)::

    issue_sd_jwt     issuer   claims → <issuer-jwt>~<disclosure>~…~
    present_sd_jwt   holder   keeps the chosen disclosures, appends a Key Binding JWT
    verify_sd_jwt    verifier presentation → SdJwtResult (claims + named checks)

What this module leaves out, on purpose: disclosures of array elements (RFC 9901 §4.2.2)
are neither produced nor accepted; the ``status`` claim is carried and returned but not
consulted (a status list needs I/O; the caller's status check does it); SD-JWTs without
``cnf`` are refused at presentation, since a skill credential is always holder-bound.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from .errors import CredentialError, DataModelError, MalformedInputError, ProofError
from .jws import verify_eddsa_jws
from .keys import Ed25519PublicKey, KeyPair
from .models import SkillAttestation
from .report import Check, Report
from .resolver import Resolver, did_of

__all__ = [
    "SD_JWT_SPEC",
    "SD_JWT_VC_SPEC",
    "VCT_SKILL_ATTESTATION",
    "SdJwtResult",
    "issue_sd_jwt",
    "present_sd_jwt",
    "skill_attestation_claims",
    "verify_sd_jwt",
]

SD_JWT_SPEC: Final = "RFC 9901"
SD_JWT_VC_SPEC: Final = "draft-ietf-oauth-sd-jwt-vc-13"
VCT_SKILL_ATTESTATION: Final = "urn:musette:vct:skill-attestation:1"

TYP_SD_JWT: Final = "dc+sd-jwt"  # SD-JWT VC §3.2.1
TYP_KB_JWT: Final = "kb+jwt"  # RFC 9901 §4.3
SD_ALG: Final = "sha-256"  # RFC 9901 §4.1.1; the only hash we produce or accept
SALT_BYTES: Final = 16  # 128 bits, RFC 9901 §4.2.1 recommends at least this

# Claims that stay in the clear: SD-JWT VC §3.2.2.2 forbids disclosing iss, nbf, exp, cnf,
# vct and status selectively; iat and sub we keep plain too, so a verifier can always
# place the token in time and know whose skill it is.
_PLAIN_CLAIMS: Final = frozenset({"iss", "sub", "iat", "nbf", "exp", "cnf", "vct", "status"})
_RESERVED_NAMES: Final = frozenset({"_sd", "...", "_sd_alg"})

SaltSource = Callable[[], bytes]


def _default_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


# --- encodings ----------------------------------------------------------------------------


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str, what: str) -> bytes:
    # Strict: only the base64url alphabet, no padding (RFC 7515 §2).
    if not text or any(c not in _B64URL for c in text) or len(text) % 4 == 1:
        raise MalformedInputError(f"{what} is not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as e:
        raise MalformedInputError(f"{what} is not base64url") from e


_B64URL: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _json_bytes(value: Any) -> bytes:
    """The one serializer of what we sign: compact, sorted keys, UTF-8."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def _json_load(data: bytes, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise MalformedInputError(f"{what} is not UTF-8 JSON") from e


def _digest(text: str) -> str:
    """RFC 9901 §4.2.3: base64url(SHA-256(ASCII bytes of the encoded disclosure))."""
    return _b64e(hashlib.sha256(text.encode("ascii")).digest())


def _numeric_date(when: datetime) -> int:
    if when.tzinfo is None:
        raise DataModelError("timestamps must carry a time zone")
    return int(when.timestamp())


def _sign_jwt(header: Mapping[str, Any], payload: Mapping[str, Any], key: KeyPair) -> str:
    signing_input = f"{_b64e(_json_bytes(header))}.{_b64e(_json_bytes(payload))}"
    return f"{signing_input}.{_b64e(key.sign(signing_input.encode('ascii')))}"


# --- parsing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Jwt:
    token: str
    header: dict[str, Any]
    payload: dict[str, Any]
    signature: bytes


def _parse_jwt(token: str, what: str) -> _Jwt:
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedInputError(f"{what} is not a compact JWS (three dot-separated parts)")
    header = _json_load(_b64d(parts[0], f"{what} header"), f"{what} header")
    payload = _json_load(_b64d(parts[1], f"{what} payload"), f"{what} payload")
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise MalformedInputError(f"{what} header and payload must be JSON objects")
    return _Jwt(token, header, payload, _b64d(parts[2], f"{what} signature"))


@dataclass(frozen=True, slots=True)
class _Disclosure:
    encoded: str
    salt: str
    name: str
    value: Any

    @property
    def digest(self) -> str:
        return _digest(self.encoded)


def _parse_disclosure(encoded: str) -> _Disclosure:
    value = _json_load(_b64d(encoded, "disclosure"), "disclosure")
    if not isinstance(value, list):
        raise MalformedInputError("disclosure is not a JSON array")
    if len(value) == 2:
        raise MalformedInputError("array-element disclosures are not supported")
    if len(value) != 3 or not isinstance(value[0], str) or not isinstance(value[1], str):
        raise MalformedInputError("disclosure is not [salt, claim name, value]")
    return _Disclosure(encoded, value[0], value[1], value[2])


@dataclass(frozen=True, slots=True)
class _SdJwt:
    issuer_jwt: _Jwt
    disclosures: tuple[_Disclosure, ...]
    kb_jwt: _Jwt | None

    @property
    def presented_prefix(self) -> str:
        """The text the KB-JWT's ``sd_hash`` covers (RFC 9901 §4.3.1)."""
        return "~".join([self.issuer_jwt.token, *(d.encoded for d in self.disclosures)]) + "~"


def _parse_sd_jwt(text: str) -> _SdJwt:
    """RFC 9901 §4: ``<issuer-jwt>~<disclosure>~…~[<kb-jwt>]``; raises MalformedInputError."""
    if not isinstance(text, str) or not text.isascii():
        raise MalformedInputError("an SD-JWT is ASCII text")
    text = text.strip()
    if "~" not in text:
        raise MalformedInputError("not an SD-JWT: no '~' separator")
    parts = text.split("~")
    issuer = _parse_jwt(parts[0], "issuer-signed JWT")
    if any(not p for p in parts[1:-1]):
        raise MalformedInputError("empty disclosure between '~' separators")
    disclosures = tuple(_parse_disclosure(p) for p in parts[1:-1])
    kb = _parse_jwt(parts[-1], "key binding JWT") if parts[-1] else None
    for name in ("iat", "nbf", "exp"):
        value = issuer.payload.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise MalformedInputError(f"issuer-signed JWT claim {name!r} is not a NumericDate")
    sd_alg = issuer.payload.get("_sd_alg", SD_ALG)
    if sd_alg != SD_ALG:
        raise MalformedInputError(f"_sd_alg {sd_alg!r} is not supported (only {SD_ALG})")
    return _SdJwt(issuer, disclosures, kb)


# --- issuer -------------------------------------------------------------------------------


def skill_attestation_claims(attestation: SkillAttestation) -> dict[str, Any]:
    """Musette's claim mapping of a peer skill attestation (``specs/sd-jwt.md`` §2).

    ``sub`` is the subject; ``skill``, ``level``, ``evidence``, ``relationship`` and
    ``alignment`` carry the attestation. ``iss``, ``iat``, ``exp`` and ``vct`` are added by
    :func:`issue_sd_jwt`.
    """
    claims: dict[str, Any] = {
        "sub": attestation.subject,
        "jti": attestation.credential_id,
        "skill": attestation.skill.strip(),
        "level": attestation.level,
    }
    if attestation.description:
        claims["description"] = attestation.description.strip()
    if attestation.evidence:
        claims["evidence"] = attestation.evidence.strip()
    if attestation.relationship:
        claims["relationship"] = attestation.relationship.strip()
    if attestation.alignment:
        claims["alignment"] = list(attestation.alignment)
    return claims


def _make_disclosure(name: str, value: Any, salt: SaltSource) -> str:
    return _b64e(_json_bytes([_b64e(salt()), name, value]))


def _conceal(
    obj: Mapping[str, Any],
    tree: Mapping[str, Any],
    salt: SaltSource,
    out: list[str],
    where: str,
) -> dict[str, Any]:
    """Replace the claims named in ``tree`` (path → subtree) by digests in ``_sd``.

    Children are concealed before their parent, so a disclosable object's own disclosure
    carries the digests of its disclosable members (RFC 9901 §4.2.6, recursive).
    """
    result = dict(obj)
    digests: list[str] = []
    for name, sub in tree.items():
        path = f"{where}{name}"
        if name not in result:
            raise DataModelError(f"disclosable claim {path!r} is not among the claims")
        value = result.pop(name)
        children = {k: v for k, v in sub.items() if k != ""}
        if children:
            if not isinstance(value, Mapping):
                raise DataModelError(f"{path!r} is not an object; cannot disclose inside it")
            value = _conceal(value, children, salt, out, f"{path}.")
        if "" in sub:  # the claim itself is disclosable
            disclosure = _make_disclosure(name, value, salt)
            out.append(disclosure)
            digests.append(_digest(disclosure))
        else:
            result[name] = value
    if digests:
        result["_sd"] = sorted(digests)  # sorted: the order must not reveal claim order
    return result


def _path_tree(paths: Sequence[str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in paths:
        names = path.split(".")
        if any(not n for n in names):
            raise DataModelError(f"disclosable path {path!r} has an empty segment")
        if names[0] in _PLAIN_CLAIMS and len(names) == 1:
            raise DataModelError(f"{path!r} must stay in the clear (SD-JWT VC §3.2.2.2)")
        if any(n in _RESERVED_NAMES for n in names):
            raise DataModelError(f"{path!r} uses a name reserved by SD-JWT")
        node = tree
        for name in names:
            node = node.setdefault(name, {})
        node[""] = True
    return tree


def issue_sd_jwt(
    claims: Mapping[str, Any],
    key: KeyPair,
    *,
    disclosable: Sequence[str],
    holder_did: str,
    iat: datetime,
    exp: datetime | None = None,
    nbf: datetime | None = None,
    vct: str = VCT_SKILL_ATTESTATION,
    status: Mapping[str, Any] | None = None,
    decoys: int = 0,
    salt: SaltSource = _default_salt,
) -> str:
    """Issue an SD-JWT VC: ``<issuer-jwt>~<disclosure>~…~`` (RFC 9901 §4, SD-JWT VC §3).

    ``disclosable`` names top-level claims or dotted paths into nested objects
    (``"achievement.name"``); a path and its parent may both be disclosable. ``holder_did``
    (a did:key) is bound through ``cnf.jwk``. ``salt`` returns fresh random bytes (at least
    16); ``decoys`` adds that many digests that match no disclosure. Raises DataModelError
    for claims that cannot be issued (reserved names, a path that is not there, a claim
    SD-JWT VC keeps in the clear) and DidError for a holder DID that is not a did:key.
    """
    reserved = (_PLAIN_CLAIMS - {"sub"}) | _RESERVED_NAMES
    clash = sorted(reserved & set(claims))
    if clash:
        raise DataModelError(f"claims {clash} are set by the issuer, not passed in")
    if decoys < 0:
        raise DataModelError("decoys must not be negative")
    if exp is not None and _numeric_date(exp) <= _numeric_date(iat):
        raise DataModelError("exp must be after iat")
    holder = Ed25519PublicKey.from_did(holder_did)
    disclosures: list[str] = []
    body = _conceal(claims, _path_tree(disclosable), salt, disclosures, "")
    if decoys:
        # RFC 9901 §4.2.5: decoys are digests over random data, mixed in with the real ones.
        fake = [_b64e(hashlib.sha256(salt()).digest()) for _ in range(decoys)]
        body["_sd"] = sorted([*body.get("_sd", []), *fake])
    payload: dict[str, Any] = {
        "iss": key.did,
        "iat": _numeric_date(iat),
        "vct": vct,
        "cnf": {"jwk": holder.to_jwk()},
        "_sd_alg": SD_ALG,
        **body,
    }
    if nbf is not None:
        payload["nbf"] = _numeric_date(nbf)
    if exp is not None:
        payload["exp"] = _numeric_date(exp)
    if status is not None:
        payload["status"] = dict(status)
    header = {"alg": "EdDSA", "typ": TYP_SD_JWT, "kid": key.verification_method}
    return "~".join([_sign_jwt(header, payload, key), *disclosures]) + "~"


# --- disclosure processing (shared by holder and verifier) --------------------------------


class _DisclosureProblem(CredentialError):
    """Internal: a reason the ``disclosures`` check fails."""


@dataclass
class _Unfolded:
    claims: dict[str, Any]
    paths: dict[str, str] = field(default_factory=dict)  # disclosure digest → claim path
    parents: dict[str, str | None] = field(default_factory=dict)  # digest → parent digest


def _unfold(payload: Mapping[str, Any], disclosures: Sequence[_Disclosure]) -> _Unfolded:
    """RFC 9901 §7.1 step 3: rebuild the claims from the payload and the disclosures.

    Raises _DisclosureProblem when a digest is used twice, a disclosure is unreferenced or
    repeated, or a disclosure names a reserved claim or one already present.
    """
    by_digest: dict[str, _Disclosure] = {}
    for d in disclosures:
        if d.digest in by_digest:
            raise _DisclosureProblem(f"disclosure for {d.name!r} is presented twice")
        by_digest[d.digest] = d
    seen: set[str] = set()
    result = _Unfolded(claims={})

    def walk(obj: Mapping[str, Any], where: str, parent: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in obj.items():
            if name == "_sd":
                continue
            out[name] = walk_value(value, f"{where}{name}", parent)
        digests = obj.get("_sd", [])
        if not isinstance(digests, list) or not all(isinstance(x, str) for x in digests):
            raise _DisclosureProblem(f"'_sd' at {where or 'top level'!r} is not a string list")
        for digest in digests:
            if digest in seen:
                raise _DisclosureProblem("a digest appears more than once in the payload")
            seen.add(digest)
            found = by_digest.get(digest)
            if found is None:
                continue  # undisclosed claim or decoy
            if found.name in _RESERVED_NAMES:
                raise _DisclosureProblem(f"a disclosure uses the reserved name {found.name!r}")
            if found.name in out:
                raise _DisclosureProblem(f"disclosure for {found.name!r} overwrites a claim")
            path = f"{where}{found.name}"
            result.paths[digest] = path
            result.parents[digest] = parent
            out[found.name] = walk_value(found.value, path, digest)
        return out

    def walk_value(value: Any, path: str, parent: str | None) -> Any:
        if isinstance(value, dict):
            return walk(value, f"{path}.", parent)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and "..." in item:
                    raise _DisclosureProblem("array-element disclosures are not supported")
            return [walk_value(item, path, parent) for item in value]
        return value

    result.claims = walk(payload, "", None)
    result.claims.pop("_sd_alg", None)
    unreferenced = [d.name for d in disclosures if d.digest not in seen]
    if unreferenced:
        raise _DisclosureProblem(f"disclosure for {unreferenced[0]!r} is not signed by the issuer")
    return result


# --- holder -------------------------------------------------------------------------------


def present_sd_jwt(
    sd_jwt: str,
    holder: KeyPair,
    *,
    disclose: Sequence[str],
    nonce: str,
    audience: str,
    iat: datetime,
) -> str:
    """Present ``sd_jwt`` revealing only the claims at the paths in ``disclose``.

    A nested path brings the disclosures of its parents with it. Appends a Key Binding JWT
    (RFC 9901 §4.3) signed by ``holder`` over ``nonce``, ``audience``, ``iat`` and the
    ``sd_hash`` of what is presented. Raises MalformedInputError for an SD-JWT that does not
    parse, DataModelError for a path that is not selectively disclosable in it, and
    ProofError when ``holder`` is not the key the issuer bound in ``cnf``.
    """
    parsed = _parse_sd_jwt(sd_jwt)
    if parsed.kb_jwt is not None:
        raise MalformedInputError("already a presentation: it ends with a key binding JWT")
    cnf = parsed.issuer_jwt.payload.get("cnf")
    if not isinstance(cnf, dict) or not isinstance(cnf.get("jwk"), dict):
        raise ProofError("the SD-JWT has no cnf.jwk: it cannot be presented with key binding")
    if Ed25519PublicKey.from_jwk(cnf["jwk"]) != holder.public:
        raise ProofError("the holder key is not the key bound in the SD-JWT's cnf")
    try:
        unfolded = _unfold(parsed.issuer_jwt.payload, parsed.disclosures)
    except _DisclosureProblem as e:
        raise MalformedInputError(f"SD-JWT disclosures are inconsistent: {e}") from e
    by_path = {path: digest for digest, path in unfolded.paths.items()}
    keep: set[str] = set()
    for path in disclose:
        digest = by_path.get(path)
        if digest is None:
            raise DataModelError(f"{path!r} is not a selectively disclosable claim here")
        current: str | None = digest
        while current is not None:
            keep.add(current)
            current = unfolded.parents[current]
    chosen = [d.encoded for d in parsed.disclosures if d.digest in keep]
    presented = "~".join([parsed.issuer_jwt.token, *chosen]) + "~"
    kb_payload = {
        "iat": _numeric_date(iat),
        "aud": audience,
        "nonce": nonce,
        "sd_hash": _b64e(hashlib.sha256(presented.encode("ascii")).digest()),
    }
    return presented + _sign_jwt({"alg": "EdDSA", "typ": TYP_KB_JWT}, kb_payload, holder)


# --- verifier -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SdJwtResult:
    """What a verifier learnt: the disclosed claims and every check, by name.

    ``claims`` are the issuer's claims with the presented disclosures folded in (``_sd``
    and ``_sd_alg`` removed); trust them only when ``verified``. ``disclosed`` lists the
    paths of the selectively disclosed claims that were revealed.
    """

    claims: dict[str, Any]
    disclosed: frozenset[str]
    checks: tuple[Check, ...]

    @property
    def report(self) -> Report:
        return Report(checks=self.checks, kind="sd-jwt-vc")

    @property
    def verified(self) -> bool:
        return self.report.verified


def verify_sd_jwt(
    presentation: str,
    *,
    resolver: Resolver,
    now: datetime,
    nonce: str | None,
    audience: str | None,
    kb_max_age: timedelta = timedelta(minutes=5),
) -> SdJwtResult:
    """Verify an SD-JWT VC presentation offline (RFC 9901 §7.1–7.3, SD-JWT VC §3.4).

    Checks, in order: (1) ``parse``, (2) ``proof`` — the issuer's EdDSA signature by the
    key its ``kid`` (or did:key ``iss``) resolves to, (3) ``issuer-binding`` — that key
    belongs to ``iss``, (4) ``validity`` — ``iat``/``nbf``/``exp`` against ``now``,
    (5) ``disclosures``, (6) ``holder-binding`` — the KB-JWT, signed by ``cnf.jwk``, over
    this very presentation, no older than ``kb_max_age``, (7) ``challenge`` (``nonce``),
    (8) ``domain`` (``audience``). A ``None`` nonce or audience is reported not-checked.
    Raises MalformedInputError for text that is not an SD-JWT; returns a result otherwise.
    """
    if now.tzinfo is None:
        raise DataModelError("now must carry a time zone")
    # (1) RFC 9901 §4, §7.1 step 1: separate and decode.
    parsed = _parse_sd_jwt(presentation)
    jwt = parsed.issuer_jwt
    payload = jwt.payload
    checks = [
        Check.passed(
            "parse",
            f"SD-JWT with {len(parsed.disclosures)} disclosure(s), "
            + ("with" if parsed.kb_jwt else "without")
            + " a key binding JWT",
        )
    ]
    # (2) RFC 9901 §7.1 step 2: the issuer's signature.
    signer: str | None = None
    try:
        if jwt.header.get("typ") != TYP_SD_JWT:
            raise ProofError(f"header typ is {jwt.header.get('typ')!r}, not {TYP_SD_JWT!r}")
        header = dict(jwt.header)
        iss = payload.get("iss")
        if "kid" not in header and isinstance(iss, str) and iss.startswith("did:key:"):
            header["kid"] = iss
        signer = verify_eddsa_jws(jwt.token, header, resolver, purpose="assertionMethod").id
        checks.append(Check.passed("proof", f"EdDSA signature by {signer}"))
    except CredentialError as e:
        checks.append(Check.failed("proof", str(e)))
    # (3) SD-JWT VC §3.5: the signing key belongs to the issuer named in iss.
    checks.append(_issuer_binding(payload.get("iss"), signer))
    # (4) RFC 9901 §7.1 step 5: nbf, exp (and iat, not in the future).
    checks.append(_validity(payload, now))
    # (5) RFC 9901 §7.1 step 3–4.
    try:
        unfolded = _unfold(payload, parsed.disclosures)
        claims, disclosed = unfolded.claims, frozenset(unfolded.paths.values())
        checks.append(
            Check.passed("disclosures", f"{len(disclosed)} disclosure(s) match signed digests")
        )
    except _DisclosureProblem as e:
        claims, disclosed = {}, frozenset()
        checks.append(Check.failed("disclosures", str(e)))
    # (6)–(8) RFC 9901 §7.3: key binding.
    checks.extend(_key_binding(parsed, now, nonce, audience, kb_max_age))
    return SdJwtResult(claims=claims, disclosed=disclosed, checks=tuple(checks))


def _issuer_binding(iss: Any, signer: str | None) -> Check:
    if signer is None:
        return Check.not_checked("issuer-binding", "no verified signing key")
    if not isinstance(iss, str):
        return Check.failed("issuer-binding", "the issuer-signed JWT has no string iss")
    if did_of(signer) != iss:
        return Check.failed("issuer-binding", f"signing key {signer} is not controlled by {iss}")
    return Check.passed("issuer-binding", f"signed by a key of {iss}")


def _validity(payload: Mapping[str, Any], now: datetime) -> Check:
    stamp = now.timestamp()
    iat, nbf, exp = payload.get("iat"), payload.get("nbf"), payload.get("exp")
    if iat is None:
        return Check.failed("validity", "the issuer-signed JWT has no iat")
    if iat > stamp:
        return Check.failed("validity", f"issued in the future (iat {_iso(iat)})")
    if nbf is not None and nbf > stamp:
        return Check.failed("validity", f"not valid before {_iso(nbf)}")
    if exp is not None and exp <= stamp:
        return Check.failed("validity", f"expired at {_iso(exp)}")
    return Check.passed(
        "validity", f"valid at {_iso(stamp)}" + (f" until {_iso(exp)}" if exp else "")
    )


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key_binding(
    parsed: _SdJwt, now: datetime, nonce: str | None, audience: str | None, max_age: timedelta
) -> list[Check]:
    kb = parsed.kb_jwt
    if kb is None:
        reason = "no key binding JWT: the credential is holder-bound (cnf) and needs one"
        return [
            Check.failed("holder-binding", reason),
            _expected("challenge", nonce, None, reason),
            _expected("domain", audience, None, reason),
        ]
    try:
        _check_kb(parsed, kb, now, max_age)
        binding = Check.passed("holder-binding", "key binding JWT signed by the cnf key")
    except CredentialError as e:
        binding = Check.failed("holder-binding", str(e))
    return [
        binding,
        _expected("challenge", nonce, kb.payload.get("nonce"), "no nonce in the KB-JWT"),
        _expected("domain", audience, kb.payload.get("aud"), "no aud in the KB-JWT"),
    ]


def _check_kb(parsed: _SdJwt, kb: _Jwt, now: datetime, max_age: timedelta) -> None:
    """RFC 9901 §7.3 step 5: typ, signature by cnf.jwk, iat window, sd_hash."""
    if kb.header.get("typ") != TYP_KB_JWT:
        raise ProofError(f"key binding JWT typ is {kb.header.get('typ')!r}, not {TYP_KB_JWT!r}")
    if kb.header.get("alg") != "EdDSA":
        raise ProofError(f"key binding JWT alg is {kb.header.get('alg')!r}; only EdDSA")
    cnf = parsed.issuer_jwt.payload.get("cnf")
    if not isinstance(cnf, dict) or not isinstance(cnf.get("jwk"), dict):
        raise ProofError("the issuer-signed JWT has no cnf.jwk to check key binding against")
    key = Ed25519PublicKey.from_jwk(cnf["jwk"])
    signing_input = kb.token.rpartition(".")[0]
    key.verify(signing_input.encode("ascii"), kb.signature)
    iat = kb.payload.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise ProofError("key binding JWT has no numeric iat")
    if iat > now.timestamp():
        raise ProofError(f"key binding JWT issued in the future ({_iso(iat)})")
    if iat < (now - max_age).timestamp():
        raise ProofError(f"key binding JWT is older than {max_age} ({_iso(iat)})")
    expected = _b64e(hashlib.sha256(parsed.presented_prefix.encode("ascii")).digest())
    if kb.payload.get("sd_hash") != expected:
        raise ProofError("key binding JWT sd_hash does not match the presented SD-JWT")


def _expected(name: str, wanted: str | None, got: Any, missing: str) -> Check:
    if wanted is None:
        return Check.not_checked(name, f"the verifier expected no {name}")
    if got is None:
        return Check.failed(name, missing)
    if got != wanted:
        return Check.failed(name, f"{name} is {str(got)[:80]!r}, expected {wanted!r}")
    return Check.passed(name, f"{name} matches")
