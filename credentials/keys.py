"""Ed25519 keys as did:key, and their encodings (multibase, JWK, raw).

did:key (W3C CCG did-method-key) for Ed25519: the DID is ``did:key:`` + multibase
base58btc (``z``) of the multicodec ``ed25519-pub`` (varint 0xed → bytes ``ed 01``)
followed by the 32-byte public key. The key-agreement key of the DID document is the
X25519 key derived from it (RFC 7748 birational map, libsodium's
``crypto_sign_ed25519_pk_to_curve25519``).

Secret keys are 32-byte seeds (RFC 8032 §5.1.5). Multikey secret keys use the multicodec
``ed25519-priv`` (0x1300 → bytes ``80 26``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import nacl.bindings
import nacl.exceptions
import nacl.signing

from .errors import DidError, InvalidSignatureError, KeyFormatError, UnsupportedDidMethodError

__all__ = [
    "Ed25519PublicKey",
    "KeyPair",
    "b58decode",
    "b58encode",
    "did_key_document",
    "multibase_decode",
]

_ED25519_PUB = b"\xed\x01"
_ED25519_PRIV = b"\x80\x26"
_X25519_PUB = b"\xec\x01"
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}


def b58encode(data: bytes) -> str:
    """Base58 (Bitcoin alphabet) of ``data``; leading zero bytes become ``1``."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(_B58_ALPHABET[rest])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """Decode base58 (Bitcoin alphabet); raises KeyFormatError on a foreign character."""
    number = 0
    for char in text:
        digit = _B58_INDEX.get(char)
        if digit is None:
            raise KeyFormatError(f"{char!r} is not a base58btc character")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multibase_decode(text: str) -> bytes:
    """Decode a multibase string: ``z`` (base58btc) or ``u`` (base64url, no padding)."""
    if not text:
        raise KeyFormatError("empty multibase string")
    prefix, body = text[0], text[1:]
    if prefix == "z":
        return b58decode(body)
    if prefix == "u":
        try:
            return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except ValueError as e:
            raise KeyFormatError("invalid base64url multibase string") from e
    raise KeyFormatError(f"unsupported multibase prefix {prefix!r} (expected 'z' or 'u')")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as e:
        raise KeyFormatError(f"JWK member {what!r} is not base64url") from e


@dataclass(frozen=True, slots=True)
class Ed25519PublicKey:
    """An Ed25519 public key, with its did:key identity and encodings."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != 32:
            raise KeyFormatError(f"an Ed25519 public key is 32 bytes, got {len(self.raw)}")

    @classmethod
    def from_multibase(cls, text: str) -> Ed25519PublicKey:
        """Parse a Multikey ``publicKeyMultibase`` (``z6Mk…``)."""
        data = multibase_decode(text)
        if not data.startswith(_ED25519_PUB):
            raise KeyFormatError("multikey is not an Ed25519 public key (codec 0xed)")
        return cls(raw=data[2:])

    @classmethod
    def from_did(cls, did: str) -> Ed25519PublicKey:
        """The key named by a ``did:key`` (a fragment, if any, must name the same key)."""
        base, _, fragment = did.partition("#")
        method = base.split(":")[1] if base.count(":") >= 2 and base.startswith("did:") else ""
        if not base.startswith("did:") or not method:
            raise DidError(f"{did[:80]!r} is not a DID")
        if method != "key":
            raise UnsupportedDidMethodError(
                f"DID method {method!r} cannot be resolved offline (did:key only)"
            )
        identifier = base[len("did:key:") :]
        if fragment and fragment != identifier:
            raise DidError(f"{did[:80]!r}: fragment does not name the did:key's own key")
        try:
            return cls.from_multibase(identifier)
        except KeyFormatError as e:
            raise DidError(f"{did[:80]!r} is not a valid Ed25519 did:key: {e}") from e

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> Ed25519PublicKey:
        """Parse an OKP/Ed25519 JWK (RFC 8037)."""
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise KeyFormatError("JWK is not an OKP key on the Ed25519 curve")
        x = jwk.get("x")
        if not isinstance(x, str):
            raise KeyFormatError("JWK has no 'x' member")
        return cls(raw=_b64url_decode(x, "x"))

    @property
    def multibase(self) -> str:
        """The Multikey ``publicKeyMultibase`` form, ``z6Mk…``."""
        return "z" + b58encode(_ED25519_PUB + self.raw)

    @property
    def did(self) -> str:
        return "did:key:" + self.multibase

    @property
    def verification_method(self) -> str:
        """The DID URL of this key in its did:key document."""
        return f"{self.did}#{self.multibase}"

    @property
    def base58(self) -> str:
        """``publicKeyBase58`` as in Ed25519VerificationKey2018."""
        return b58encode(self.raw)

    def to_jwk(self) -> dict[str, str]:
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(self.raw)}

    def x25519(self) -> bytes:
        """The X25519 public key derived from this Ed25519 key."""
        try:
            return bytes(nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(self.raw))
        except nacl.exceptions.RuntimeError as e:
            raise KeyFormatError("public key is not a valid Ed25519 point") from e

    def verify(self, message: bytes, signature: bytes) -> None:
        """Verify an Ed25519 signature; raises InvalidSignatureError, never returns False."""
        if len(signature) != 64:
            raise InvalidSignatureError(f"an Ed25519 signature is 64 bytes, got {len(signature)}")
        try:
            nacl.signing.VerifyKey(self.raw).verify(message, signature)
        except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError) as e:
            raise InvalidSignatureError("Ed25519 signature does not verify") from e


@dataclass(frozen=True, slots=True)
class KeyPair:
    """An Ed25519 signing key (32-byte seed) and its public key."""

    seed: bytes = field(repr=False)
    public: Ed25519PublicKey = field(init=False)
    # libsodium's expanded key, made once (deriving it costs as much as a signature)
    _signing: nacl.signing.SigningKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.seed) != 32:
            raise KeyFormatError(f"an Ed25519 seed is 32 bytes, got {len(self.seed)}")
        signing = nacl.signing.SigningKey(self.seed)
        object.__setattr__(self, "_signing", signing)
        object.__setattr__(self, "public", Ed25519PublicKey(raw=bytes(signing.verify_key)))

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(seed=bytes(nacl.signing.SigningKey.generate()))

    @classmethod
    def from_multibase(cls, text: str) -> KeyPair:
        """Parse a Multikey ``secretKeyMultibase`` (codec ed25519-priv, 0x1300).

        Also accepts the older 64-byte form (seed ‖ public key) found in some vectors.
        """
        data = multibase_decode(text)
        if not data.startswith(_ED25519_PRIV):
            raise KeyFormatError("multikey is not an Ed25519 secret key (codec 0x1300)")
        body = data[2:]
        if len(body) == 64:
            pair = cls(seed=body[:32])
            if pair.public.raw != body[32:]:
                raise KeyFormatError("64-byte secret key: its public half does not match")
            return pair
        return cls(seed=body)

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> KeyPair:
        """Parse a private OKP/Ed25519 JWK; its ``x`` must match ``d``."""
        public = Ed25519PublicKey.from_jwk(jwk)
        d = jwk.get("d")
        if not isinstance(d, str):
            raise KeyFormatError("JWK has no private member 'd'")
        pair = cls(seed=_b64url_decode(d, "d"))
        if pair.public != public:
            raise KeyFormatError("JWK 'x' is not the public key of 'd'")
        return pair

    @property
    def did(self) -> str:
        return self.public.did

    @property
    def verification_method(self) -> str:
        return self.public.verification_method

    @property
    def secret_multibase(self) -> str:
        return "z" + b58encode(_ED25519_PRIV + self.seed)

    def to_jwk(self) -> dict[str, str]:
        """The private JWK (contains the secret: never log or print it)."""
        return {**self.public.to_jwk(), "d": _b64url(self.seed)}

    def sign(self, message: bytes) -> bytes:
        """A detached Ed25519 signature (64 bytes) over ``message``."""
        return bytes(self._signing.sign(message).signature)

    def x25519_secret(self) -> bytes:
        """The X25519 secret key derived from this Ed25519 key."""
        secret = nacl.bindings.crypto_sign_seed_keypair(self.seed)[1]
        return bytes(nacl.bindings.crypto_sign_ed25519_sk_to_curve25519(secret))


def did_key_document(
    did: str, *, representation: str = "Ed25519VerificationKey2018"
) -> dict[str, Any]:
    """The DID document of an Ed25519 did:key, as the did:key method specifies it.

    ``representation`` chooses the verification-method form of the method's test vectors:
    ``Ed25519VerificationKey2018`` (``publicKeyBase58``, with an
    ``X25519KeyAgreementKey2019`` key agreement) or ``JsonWebKey2020`` (``publicKeyJwk``).
    Raises DidError for anything that is not an Ed25519 did:key.
    """
    key = Ed25519PublicKey.from_did(did)
    x25519 = key.x25519()
    x_fragment = "z" + b58encode(_X25519_PUB + x25519)
    vm_id = key.verification_method
    ka_id = f"{key.did}#{x_fragment}"
    if representation == "JsonWebKey2020":
        context = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"]
        signing: dict[str, Any] = {"type": "JsonWebKey2020", "publicKeyJwk": key.to_jwk()}
        agreement: dict[str, Any] = {
            "type": "JsonWebKey2020",
            "publicKeyJwk": {"kty": "OKP", "crv": "X25519", "x": _b64url(x25519)},
        }
    elif representation == "Ed25519VerificationKey2018":
        context = [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/suites/ed25519-2018/v1",
            "https://w3id.org/security/suites/x25519-2019/v1",
        ]
        signing = {"type": "Ed25519VerificationKey2018", "publicKeyBase58": key.base58}
        agreement = {"type": "X25519KeyAgreementKey2019", "publicKeyBase58": b58encode(x25519)}
    else:
        raise DidError(f"unknown verification-method representation {representation!r}")
    return {
        "@context": context,
        "id": key.did,
        "verificationMethod": [
            {"id": vm_id, "type": signing.pop("type"), "controller": key.did, **signing},
            {"id": ka_id, "type": agreement.pop("type"), "controller": key.did, **agreement},
        ],
        "assertionMethod": [vm_id],
        "authentication": [vm_id],
        "capabilityInvocation": [vm_id],
        "capabilityDelegation": [vm_id],
        "keyAgreement": [ka_id],
    }
