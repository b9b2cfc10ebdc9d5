"""COSE_Sign1 with EdDSA: the cose-wg examples, the profile's refusals, and the laws
(sign → verify holds; any flipped bit, truncation or other external_aad fails).

Of the cose-wg vectors, eddsa-sig-01 (Ed25519, COSE_Sign1) is reproduced byte for byte
and verified; it carries its kid in the unprotected header, which our profile refuses, so
it is read with ``allow_unprotected=True``. The others fall outside the profile and must
be refused, each for its own reason: eddsa-sig-02 signs with Ed448 (114-byte signature),
eddsa-01/02 are COSE_Sign (tag 98, several signers), and every sign1-tests vector is
ES256, which we cannot verify and refuse by algorithm (and, by default, for its
unprotected kid). Their corruptions (wrong tag, changed payload, changed or added or
removed protected attribute, no tag, external data) are therefore also applied to an
EdDSA message of the same content and checked to fail for the reason they test.
"""

from __future__ import annotations

import json
from typing import Any

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from credentials.keys import KeyPair
from ledger.cose import Sign1, _sign1, decode_sign1, sign1, verify_sign1
from ledger.errors import EncodingError, SignatureError
from tests.conftest import SHARED_VECTORS, shared_vectors_dir

KEY = KeyPair(seed=bytes(range(32)))
OTHER = KeyPair(seed=bytes(range(1, 33)))
PLAINTEXT = b"This is the content."


def _vector(folder: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((shared_vectors_dir("cose", folder) / name).read_text())
    return data


def _eddsa_sig_01() -> tuple[dict[str, Any], KeyPair, bytes]:
    v = _vector("eddsa-examples", "eddsa-sig-01.json")
    jwk = v["input"]["sign0"]["key"]
    key = KeyPair(seed=bytes.fromhex(jwk["d_hex"]))
    assert key.public.raw.hex() == jwk["x_hex"]
    return v, key, bytes.fromhex(v["output"]["cbor"])


def _message(
    protected: bytes,
    unprotected: Any,
    payload: Any,
    *,
    key: KeyPair = KEY,
    tag: int | None = 18,
    aad: bytes = b"",
) -> bytes:
    """A COSE_Sign1 built with cbor2 and correctly signed over whatever it holds, so that
    a refusal can only come from its structure."""
    to_be_signed = cbor2.dumps(["Signature1", protected, aad, payload])
    body = [protected, unprotected, payload, key.sign(to_be_signed)]
    return cbor2.dumps(body if tag is None else cbor2.CBORTag(tag, body))


# ---------------------------------------------------------------------------------------
# The published examples (cose-wg/Examples)


def test_eddsa_sig_01_verifies_and_is_reproduced_byte_for_byte() -> None:
    v, key, data = _eddsa_sig_01()
    with pytest.raises(EncodingError, match=r"unprotected header holds labels \[4\]"):
        decode_sign1(data)
    with pytest.warns(UserWarning, match="signature does not cover"):
        message = decode_sign1(data, allow_unprotected=True)
    assert message.protected == {1: -8, 3: 0}
    assert message.unprotected == {4: b"11"}
    assert message.kid == b"11"
    assert message.payload == v["input"]["plaintext"].encode()
    assert message.to_be_signed().hex().upper() == v["intermediates"]["ToBeSign_hex"]
    with pytest.warns(UserWarning, match="signature does not cover"):
        assert verify_sign1(data, key.public, allow_unprotected=True) == PLAINTEXT
    assert verify_sign1(message, key.public) == PLAINTEXT
    assert message.to_bytes() == data
    # Its headers (a content type, the kid unprotected) are not what sign1 writes; the
    # signing path under sign1, given them, gives the very same bytes.
    again = _sign1(
        PLAINTEXT,
        key,
        protected={1: -8, 3: 0},
        unprotected={4: b"11"},
        external_aad=b"",
        tagged=True,
    )
    assert again == data


def test_our_profile_signs_the_same_content_with_the_kid_protected() -> None:
    _, key, _ = _eddsa_sig_01()
    data = sign1(PLAINTEXT, key, kid=b"11")
    assert data.hex().startswith("d28447a2012704423131a054")  # 18([h'A2 01 27 04 42 3131', {}
    message = decode_sign1(data)
    assert message.protected == {1: -8, 4: b"11"}
    assert message.unprotected == {}
    assert message.signature == key.sign(message.to_be_signed())
    assert verify_sign1(data, key.public) == PLAINTEXT


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("eddsa-sig-02.json", "Ed448 is not in this profile"),
        ("eddsa-01.json", "got tag 98"),
        ("eddsa-02.json", "got tag 98"),
    ],
)
def test_other_eddsa_examples_are_outside_the_profile(name: str, reason: str) -> None:
    data = bytes.fromhex(_vector("eddsa-examples", name)["output"]["cbor"])
    with pytest.raises(EncodingError, match=reason):
        decode_sign1(data, allow_unprotected=True)


SIGN1_TESTS = {
    # name: (how it fails under our profile, tagged form expected)
    "sign-fail-01.json": ("got tag 998", True),
    "sign-fail-02.json": ("alg -7 is not EdDSA", True),
    "sign-fail-03.json": ("alg -999 is not EdDSA", True),
    "sign-fail-04.json": ("alg 'unknown' is not EdDSA", True),
    "sign-fail-06.json": ("alg -7 is not EdDSA", True),
    "sign-fail-07.json": ("alg -7 is not EdDSA", True),
    "sign-pass-01.json": ("alg must be in the protected header", True),
    "sign-pass-02.json": ("alg -7 is not EdDSA", True),
    "sign-pass-03.json": ("alg -7 is not EdDSA", False),
}


def _sign1_test_names() -> list[str]:
    folder = SHARED_VECTORS / "cose" / "sign1-tests"
    return sorted(p.name for p in folder.glob("*.json")) or ["(vectors absent)"]


@pytest.mark.parametrize("name", _sign1_test_names())
def test_sign1_tests_are_refused_for_their_reason(name: str) -> None:
    v = _vector("sign1-tests", name)
    assert v["input"]["sign0"]["alg"] == "ES256"
    reason, tagged = SIGN1_TESTS[name]
    data = bytes.fromhex(v["output"]["cbor"])
    first = "got tag 998" if name == "sign-fail-01.json" else "unprotected header holds labels"
    with pytest.raises(EncodingError, match=first):
        decode_sign1(data, tagged=tagged)
    with pytest.raises(EncodingError, match=reason):
        decode_sign1(data, tagged=tagged, allow_unprotected=True)


def test_sign1_corruptions_applied_to_an_eddsa_message() -> None:
    _, key, _ = _eddsa_sig_01()
    data = sign1(PLAINTEXT, key, kid=b"11")
    message = decode_sign1(data)
    protected, signed = message.protected_bytes, message.signature
    # sign-fail-01: another tag.
    with pytest.raises(EncodingError, match="got tag 998"):
        decode_sign1(cbor2.dumps(cbor2.CBORTag(998, [protected, {}, PLAINTEXT, signed])))
    # sign-fail-02: the payload changed.
    changed = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, PLAINTEXT[:-1] + b"/", signed]))
    with pytest.raises(SignatureError):
        verify_sign1(changed, key.public)
    # sign-fail-03/04: another algorithm, numeric or text.
    for alg in (-999, "unknown", -7):
        tampered = cbor2.dumps(
            cbor2.CBORTag(18, [cbor2.dumps({1: alg, 4: b"11"}), {}, PLAINTEXT, signed])
        )
        with pytest.raises(EncodingError, match="is not EdDSA"):
            decode_sign1(tampered)
    # sign-fail-06/07: a protected attribute added or removed.
    for headers in ({1: -8}, {1: -8, 3: 0, 4: b"11"}):
        tampered = cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps(headers), {}, PLAINTEXT, signed]))
        with pytest.raises(SignatureError):
            verify_sign1(tampered, key.public)
    # sign-pass-01: an empty protected map, alg unprotected — outside the profile.
    outside = _message(b"\xa0", {1: -8}, PLAINTEXT, key=key)
    with pytest.raises(EncodingError, match=r"holds labels \[1\]"):
        decode_sign1(outside)
    with pytest.raises(EncodingError, match="alg must be in the protected header"):
        decode_sign1(outside, allow_unprotected=True)
    # sign-pass-03: no tag, read as the untagged form.
    assert verify_sign1(data[1:], key.public, tagged=False) == PLAINTEXT
    with pytest.raises(EncodingError, match="got no tag"):
        decode_sign1(data[1:])
    # sign-pass-02: external data, bound by the signature.
    aad = bytes.fromhex("11aa22bb33cc44dd55006699")
    bound = sign1(PLAINTEXT, key, external_aad=aad)
    assert verify_sign1(bound, key.public, external_aad=aad) == PLAINTEXT
    with pytest.raises(SignatureError):
        verify_sign1(bound, key.public)


# ---------------------------------------------------------------------------------------
# What decoding refuses


def test_well_formed_reference_message_is_accepted() -> None:
    # The helper builds what sign1 builds: its refusals below are the deviations only.
    data = _message(cbor2.dumps({1: -8, 4: b"k"}), {}, PLAINTEXT)
    assert data == sign1(PLAINTEXT, KEY, kid=b"k")
    assert verify_sign1(data, KEY.public) == PLAINTEXT


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        # RFC 8949 §4.2.1 deterministic encoding
        (
            bytes.fromhex("d29f") + _message(b"\xa1\x01\x27", {}, b"x", tag=None)[1:] + b"\xff",
            "indefinite length",
        ),
        (
            bytes.fromhex("d298") + bytes([4]) + _message(b"\xa1\x01\x27", {}, b"x", tag=None)[1:],
            "longer than needed",
        ),
        (_message(bytes.fromhex("a204410101 27"), {}, b"x"), "not in deterministic order"),
        (_message(bytes.fromhex("a201270127"), {}, b"x"), "repeats label 1"),
        (_message(bytes.fromhex("a1015827"), {}, b"x"), "truncated"),
        (_message(bytes.fromhex("a1013800"), {}, b"x"), "longer than needed"),
        (_message(bytes.fromhex("a10127 00"), {}, b"x"), "protected header has 1 trailing"),
        (_message(b"\xa1\x01\x27", {}, b"x") + b"\x00", "COSE_Sign1 has 1 trailing"),
        # structure
        (cbor2.dumps(cbor2.CBORTag(18, [b"\xa1\x01\x27", {}, b"x"])), "array of 4 items, got 3"),
        (
            cbor2.dumps(cbor2.CBORTag(18, [b"\xa1\x01\x27", {}, b"x", b"s" * 64, b""])),
            "array of 4 items, got 5",
        ),
        (cbor2.dumps(cbor2.CBORTag(18, {})), "must be an array, got a map"),
        (_message(b"\xa1\x01\x27", {}, None), "detached payloads are not supported"),
        (_message(b"\xa1\x01\x27", {}, "text"), "payload must be a byte string"),
        (_message(b"\xa1\x01\x27", [], b"x"), "unprotected header must be a map"),
        (
            cbor2.dumps(cbor2.CBORTag(18, [{1: -8}, {}, b"x", b"s" * 64])),
            "protected header must be a byte string",
        ),
        (
            cbor2.dumps(cbor2.CBORTag(18, [b"\xa1\x01\x27", {}, b"x", b"s" * 63])),
            "signature is 63 bytes",
        ),
        (
            cbor2.dumps(cbor2.CBORTag(18, [b"\xa1\x01\x27", {}, b"x", "s" * 64])),
            "signature must be a byte string",
        ),
        # headers
        (_message(b"", {}, b"x"), "protected header has no alg"),
        (_message(b"\xa0", {}, b"x"), "protected header has no alg"),
        (_message(cbor2.dumps({1: -7}), {}, b"x"), "alg -7 is not EdDSA"),
        (_message(cbor2.dumps({1: -8, 2: [1]}), {}, b"x"), "integers and strings only"),
        (_message(cbor2.dumps({1: -8, 2: 99}), {}, b"x"), "crit header present"),
        (_message(cbor2.dumps({1: -8, 33: b"cert"}), {}, b"x"), "label 33 is not in this"),
        (_message(cbor2.dumps({1: -8, "x": 1}), {}, b"x"), "label 'x' is not in this"),
        (_message(cbor2.dumps({1: -8, 4: "text"}), {}, b"x"), "kid must be a byte string"),
        (_message(cbor2.dumps({1: -8, 3: b"\xff"}), {}, b"x"), "content type must be"),
        (_message(bytes.fromhex("a201270362ff00"), {}, b"x"), "not valid UTF-8"),
        (bytes.fromhex("d284") + b"\x5c", "malformed CBOR head"),
        (b"", "truncated"),
    ],
)
def test_decoding_refuses(data: bytes, reason: str) -> None:
    with pytest.raises(EncodingError, match=reason):
        decode_sign1(data)


@pytest.mark.parametrize(
    ("protected", "unprotected", "reason"),
    [
        ({1: -8, 4: b"a"}, {4: b"b"}, "label 4 is in both"),
        ({1: -8}, {1: -8}, "label 1 is in both"),
        ({1: -8}, {3: -1}, "content type must be"),
        ({1: -8}, {3: 1.5}, "integers and strings only"),
        ({1: -8}, {2: 1}, "crit header present"),
    ],
)
def test_unprotected_headers_are_refused_and_checked_even_when_allowed(
    protected: dict[int, Any], unprotected: dict[int, Any], reason: str
) -> None:
    data = _message(cbor2.dumps(protected), unprotected, b"x")
    with pytest.raises(EncodingError, match=r"unprotected header|integers and strings only"):
        decode_sign1(data)
    with pytest.raises(EncodingError, match=reason):
        decode_sign1(data, allow_unprotected=True)


def test_an_unprotected_header_would_make_the_bytes_malleable() -> None:
    # Why the profile refuses it: the same signature stays valid over other bytes.
    data = sign1(PLAINTEXT, KEY)
    message = decode_sign1(data)
    padded = _message(message.protected_bytes, {4: b"anything"}, PLAINTEXT)
    assert padded != data
    with pytest.raises(EncodingError, match="unprotected header"):
        verify_sign1(padded, KEY.public)
    with pytest.warns(UserWarning, match="signature does not cover"):
        assert verify_sign1(padded, KEY.public, allow_unprotected=True) == PLAINTEXT


def test_untagged_form_is_refused_when_a_tag_is_expected_and_vice_versa() -> None:
    tagged = sign1(PLAINTEXT, KEY)
    untagged = sign1(PLAINTEXT, KEY, tagged=False)
    assert tagged == b"\xd2" + untagged
    assert verify_sign1(untagged, KEY.public, tagged=False) == PLAINTEXT
    with pytest.raises(EncodingError, match="got no tag"):
        decode_sign1(untagged)
    with pytest.raises(EncodingError, match="untagged COSE_Sign1 expected, got tag 18"):
        decode_sign1(tagged, tagged=False)


def test_building_a_sign1_directly_checks_the_same_invariants() -> None:
    message = decode_sign1(sign1(PLAINTEXT, KEY, kid=b"k"))
    with pytest.raises(EncodingError, match="not what protected_bytes encodes"):
        Sign1(
            protected_bytes=message.protected_bytes,
            protected={1: -8},
            unprotected={},
            payload=PLAINTEXT,
            signature=message.signature,
        )
    with pytest.raises(EncodingError, match="signature is 3 bytes"):
        Sign1(
            protected_bytes=message.protected_bytes,
            protected=message.protected,
            unprotected={},
            payload=PLAINTEXT,
            signature=b"sig",
        )
    with pytest.raises(EncodingError, match="label 99 is not in this profile"):
        _sign1(
            PLAINTEXT, KEY, protected={1: -8, 99: 1}, unprotected={}, external_aad=b"", tagged=True
        )
    assert hash(message) == hash(decode_sign1(message.to_bytes()))


def test_wrong_key_fails() -> None:
    with pytest.raises(SignatureError):
        verify_sign1(sign1(PLAINTEXT, KEY), OTHER.public)


# ---------------------------------------------------------------------------------------
# Laws

payloads = st.binary(max_size=300)
kids = st.none() | st.binary(max_size=40)
aads = st.binary(max_size=40)


@given(payloads, kids, aads, st.booleans())
def test_sign_then_verify_round_trips(
    payload: bytes, kid: bytes | None, aad: bytes, tagged: bool
) -> None:
    data = sign1(payload, KEY, kid=kid, external_aad=aad, tagged=tagged)
    message = decode_sign1(data, tagged=tagged)
    assert message.kid == kid
    assert message.payload == payload
    assert message.to_bytes(tagged=tagged) == data
    assert verify_sign1(data, KEY.public, external_aad=aad, tagged=tagged) == payload
    assert verify_sign1(message, KEY.public, external_aad=aad) == payload
    # cbor2, an independent decoder, reads the same structure.
    value = cbor2.loads(data)
    body = value.value if tagged else value
    assert cbor2.loads(body[0]) == ({1: -8} if kid is None else {1: -8, 4: kid})
    assert list(body[1:3]) == [{}, payload]


@given(payloads, kids, aads, st.binary(min_size=1, max_size=40))
def test_external_aad_is_bound(payload: bytes, kid: bytes | None, aad: bytes, other: bytes) -> None:
    data = sign1(payload, KEY, kid=kid, external_aad=aad)
    if other != aad:
        with pytest.raises(SignatureError):
            verify_sign1(data, KEY.public, external_aad=other)


def _fails(data: bytes) -> None:
    with pytest.raises((EncodingError, SignatureError)):
        verify_sign1(data, KEY.public)


@given(payloads, kids, st.data())
def test_any_flipped_bit_fails(payload: bytes, kid: bytes | None, data: st.DataObject) -> None:
    encoded = sign1(payload, KEY, kid=kid)
    bit = data.draw(st.integers(min_value=0, max_value=len(encoded) * 8 - 1))
    flipped = bytearray(encoded)
    flipped[bit // 8] ^= 1 << (bit % 8)
    _fails(bytes(flipped))


def test_every_flipped_bit_of_one_message_fails() -> None:
    encoded = sign1(PLAINTEXT, KEY, kid=b"did:key:z6Mk")
    for bit in range(len(encoded) * 8):
        flipped = bytearray(encoded)
        flipped[bit // 8] ^= 1 << (bit % 8)
        _fails(bytes(flipped))


@given(payloads, kids)
def test_truncated_or_extended_input_is_an_encoding_error(
    payload: bytes, kid: bytes | None
) -> None:
    encoded = sign1(payload, KEY, kid=kid)
    for end in range(len(encoded)):
        with pytest.raises(EncodingError):
            decode_sign1(encoded[:end])
    with pytest.raises(EncodingError, match="trailing"):
        decode_sign1(encoded + b"\x00")


@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_refused_cleanly(data: bytes) -> None:
    try:
        message = decode_sign1(data)
    except EncodingError:
        return
    assert message.to_bytes() == data


@given(payloads, kids, st.data())
def test_edited_messages_fail_and_whatever_decodes_has_one_encoding(
    payload: bytes, kid: bytes | None, data: st.DataObject
) -> None:
    encoded = sign1(payload, KEY, kid=kid)
    edited = bytearray(encoded)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        at = data.draw(st.integers(min_value=0, max_value=len(edited)))
        edit = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        if edit == "insert" or at == len(edited):
            edited.insert(at, data.draw(st.integers(min_value=0, max_value=255)))
        elif edit == "replace":
            edited[at] = data.draw(st.integers(min_value=0, max_value=255))
        else:
            del edited[at]
    if bytes(edited) == encoded:
        return
    try:
        message = decode_sign1(bytes(edited))
    except EncodingError:
        return
    # Deterministic encoding: a message that decodes has exactly these bytes ...
    assert message.to_bytes() == bytes(edited)
    # ... so it is another message, and the signature no longer covers it.
    with pytest.raises(SignatureError):
        verify_sign1(message, KEY.public)


def test_worked_example_of_the_spec() -> None:
    # specs/ledger-merkle-cose.md §8: keep the document true.
    key = KeyPair(
        seed=bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    )
    data = sign1(PLAINTEXT, key, kid=b"11")
    assert data.hex() == (
        "d28447a2012704423131a054546869732069732074686520636f6e74656e742e5840"
        "0e21f6825a41fde57bfe971a9a817a831e079f32118289107d83762071d0dcb4"
        "1489f8744467ee555f620e03a90d548458d935a5b4cd38923e8eda16ee2c1101"
    )
    assert decode_sign1(data).to_be_signed().hex() == (
        "846a5369676e61747572653147a20127044231314054546869732069732074686520636f6e74656e742e"
    )
