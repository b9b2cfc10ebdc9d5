"""RDFC-1.0 canonicalization (credentials.rdfc) and the fast JSON-LD converter behind it.

(a) the published W3C vectors, byte for byte; (b) the fast converter against pyld, on the
Open Badges examples and on generated credentials, and the fallback for what it leaves to
pyld; (c) the cost guard against documents built to make canonicalization explode;
(d) contexts that are not bundled.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld

from credentials import _jsonld_fast, limits, rdfc
from credentials.errors import (
    ContextError,
    CredentialError,
    LimitExceededError,
    MalformedInputError,
)
from credentials.loader import pyld_document_loader
from tests.conftest import shared_vectors_dir

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB_303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
ED25519_2020 = "https://w3id.org/security/suites/ed25519-2020/v1"
DATA_INTEGRITY = "https://w3id.org/security/data-integrity/v2"

# The Open Badges examples whose contexts are all bundled (the others also name
# extensions.json, which is not).
OB_EXAMPLES = [
    "basicOpenBadgeCredential.json",
    "achievementAlignmentCase.json",
    "achievementAlignmentCe.json",
]


def _fast(document: dict[str, Any]) -> str:
    """The fast converter's dataset, labelled by pyoxigraph; Unsupported propagates."""
    return rdfc._canonical_nquads(_jsonld_fast.to_quads(document))


def _through_pyld(document: dict[str, Any]) -> str:
    """pyld's to_rdf dataset (the fallback path), labelled by pyoxigraph."""
    return rdfc._canonical_nquads(rdfc._pyld_quads(document))


def _pyld_normalize(document: dict[str, Any]) -> str:
    """pyld's own URDNA2015, independent of pyoxigraph."""
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": pyld_document_loader,
    }
    result: str = jsonld.normalize(document, options)
    return result


# -- (a) published vectors -------------------------------------------------------------------


def _vector(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text("utf-8"))


@pytest.mark.parametrize(
    ("suite", "signed", "canonical_document", "config", "canonical_config", "document_hash"),
    [
        (
            "eddsa-rdfc-2022",
            "signedDataInt.json",
            "canonDocDataInt.txt",
            "proofConfigDataInt.json",
            "proofCanonDataInt.txt",
            "docHashDataInt.txt",
        ),
        (
            "Ed25519Signature2020",
            "signedEdSig.json",
            "canonDocEdSig.txt",
            "proofConfigEdSig.json",
            "proofCanonEdSig.txt",
            "docHashEdSig.txt",
        ),
    ],
)
def test_published_vectors_byte_for_byte(
    suite: str,
    signed: str,
    canonical_document: str,
    config: str,
    canonical_config: str,
    document_hash: str,
) -> None:
    folder = shared_vectors_dir("w3c-vc-di-eddsa", suite)
    document = _vector(folder, signed)
    del document["proof"]
    expected = (folder / canonical_document).read_text("utf-8")
    assert rdfc.canonicalize(document) == expected
    assert _fast(document) == expected  # and it was the fast path that gave it
    expected_hash = (folder / document_hash).read_text("utf-8").strip()
    assert rdfc.canonical_document_hash(document).hex() == expected_hash
    proof_config = _vector(folder, config)
    assert rdfc.canonicalize(proof_config) == (folder / canonical_config).read_text("utf-8")
    assert _fast(proof_config) == (folder / canonical_config).read_text("utf-8")


def test_canonicalize_leaves_the_document_untouched() -> None:
    folder = shared_vectors_dir("ob3-examples")
    document = _vector(folder, OB_EXAMPLES[0])
    before = copy.deepcopy(document)
    rdfc.canonicalize(document)
    rdfc.check_canonicalization_cost(document)
    assert document == before


# -- (b) differential: fast converter == pyld ----------------------------------------------


@pytest.mark.parametrize("name", OB_EXAMPLES)
def test_open_badges_examples_fast_equals_pyld(name: str) -> None:
    document = _vector(shared_vectors_dir("ob3-examples"), name)
    fast = _fast(document)
    assert fast == _through_pyld(document)
    # No control characters in these, so pyld's own URDNA2015 must agree too: this checks
    # pyoxigraph's blank node labelling against an independent implementation.
    assert fast == _pyld_normalize(document)
    assert rdfc.canonicalize(document) == fast


_TEXT = st.text(max_size=24)
# Text that pyld's N-Quads writer escapes as canonical N-Quads does (it leaves other
# control characters raw), for comparisons with pyld's own normalize.
_PLAIN_TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x7f").filter(
        lambda c: c >= " " or c in "\t\n\r"
    ),
    max_size=24,
)
_NUMBERS = st.one_of(
    st.integers(min_value=-(10**25), max_value=10**25),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.5, -0.0, 1e21, 1e-7, 5.0, 123456.789, 2**53 + 1]),
)
_IRIS = st.one_of(
    st.uuids().map(lambda u: f"urn:uuid:{u}"),
    st.from_regex(r"https://example\.org/[a-z0-9_\-/]{1,12}", fullmatch=True),
    st.from_regex(r"did:example:[a-zA-Z0-9]{1,16}", fullmatch=True),
    st.from_regex(
        r"did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{8}#z6Mk[1-9A-HJ-NP-Za-km-z]{8}", fullmatch=True
    ),
)
_DATES = st.datetimes().map(lambda d: d.replace(microsecond=0).isoformat() + "Z")
# Property names no bundled context defines: with examples/v2 they fall to its @vocab,
# without it pyld drops them.
_EXTRA_KEYS = st.from_regex(r"extra[A-Z][a-zA-Z0-9]{0,6}", fullmatch=True)


def _extra_values(text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    scalars = st.one_of(text, _NUMBERS, st.booleans(), st.none(), _DATES)

    def objects(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        node = st.dictionaries(_EXTRA_KEYS, children, max_size=3)
        with_id = st.builds(lambda n, i: {**n, "id": i}, node, _IRIS)
        return st.one_of(st.lists(children, max_size=3), node, with_id)

    return st.recursive(scalars, objects, max_leaves=6)


@st.composite
def _credentials(draw: st.DrawFn, text: st.SearchStrategy[str] = _TEXT) -> dict[str, Any]:
    """Random OB 3.0 / VC 2.0 shaped credentials that keep to bundled contexts."""
    contexts = draw(
        st.sampled_from(
            [
                [VC_V2, OB_303],
                [VC_V2, OB_303, EXAMPLES_V2],
                [VC_V2, EXAMPLES_V2],
                [VC_V2, OB_303, ED25519_2020],
                [VC_V1, OB_V3],
                [VC_V1, OB_V3, DATA_INTEGRITY],
            ]
        )
    )
    v1 = contexts[0] == VC_V1
    maybe = st.booleans()
    extras = st.dictionaries(_EXTRA_KEYS, _extra_values(text), max_size=3)

    achievement: dict[str, Any] = {
        "type": ["Achievement"],
        "achievementType": draw(st.sampled_from(["Competency", "Badge", "Certificate"])),
        "name": draw(text),
        "criteria": {"narrative": draw(text)},
    }
    if draw(maybe):
        achievement["id"] = draw(_IRIS)
    if draw(maybe):
        achievement["description"] = draw(text)
    if draw(maybe):
        achievement["creditsAvailable"] = draw(_NUMBERS)
    if draw(maybe):
        achievement["tag"] = draw(st.lists(text, max_size=3))
    achievement["alignment"] = [
        {
            "type": ["Alignment"],
            "targetName": draw(text),
            "targetUrl": draw(_IRIS),
            **({"targetCode": draw(text)} if draw(maybe) else {}),
            **({"targetFramework": draw(text)} if draw(maybe) else {}),
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    if draw(maybe):
        achievement["resultDescription"] = [
            {
                "id": draw(_IRIS),
                "type": ["ResultDescription"],
                "name": draw(text),
                "resultType": "RubricCriterionLevel",
                "allowedValue": draw(st.lists(text, max_size=4)),
                "rubricCriterionLevel": [
                    {"id": draw(_IRIS), "type": ["RubricCriterionLevel"], "level": draw(text)}
                ],
            }
        ]
    subject: dict[str, Any] = {"type": ["AchievementSubject"], "achievement": achievement}
    if draw(maybe):
        subject["id"] = draw(_IRIS)
    if draw(maybe):
        subject["result"] = [
            {"type": ["Result"], "value": draw(text), "achievedLevel": draw(_IRIS)}
        ]
    if draw(maybe):
        subject["creditsEarned"] = draw(_NUMBERS)
    if draw(maybe):
        subject["activityEndDate"] = draw(_DATES)
    subject.update(draw(extras))

    document: dict[str, Any] = {
        "@context": contexts,
        "type": [
            "VerifiableCredential",
            draw(st.sampled_from(["OpenBadgeCredential", "AchievementCredential"])),
        ],
        "issuer": draw(
            st.one_of(
                _IRIS,
                st.builds(lambda i, n: {"id": i, "type": ["Profile"], "name": n}, _IRIS, text),
            )
        ),
        "credentialSubject": subject,
    }
    document["issuanceDate" if v1 else "validFrom"] = draw(_DATES)
    if draw(maybe):
        document["id"] = draw(_IRIS)
    if draw(maybe):
        document["name"] = draw(st.one_of(text, st.lists(text, max_size=2)))
    if draw(maybe):
        document["evidence"] = [
            {
                "type": ["Evidence"],
                "narrative": draw(text),
                **({"id": draw(_IRIS)} if draw(maybe) else {}),
                **({"genre": draw(text)} if draw(maybe) else {}),
            }
        ]
    if draw(maybe):
        proof: dict[str, Any] = {
            "created": draw(_DATES),
            "verificationMethod": draw(_IRIS),
            "proofPurpose": draw(st.sampled_from(["assertionMethod", "authentication"])),
        }
        signature = "z" + draw(st.from_regex(r"[1-9A-HJ-NP-Za-km-z]{8}", fullmatch=True))
        if ED25519_2020 in contexts:
            proof.update(type="Ed25519Signature2020", proofValue=signature)
        elif v1 and DATA_INTEGRITY not in contexts:
            proof.update(type="Ed25519Signature2018", jws=signature)
        else:
            proof.update(
                type="DataIntegrityProof", cryptosuite="eddsa-rdfc-2022", proofValue=signature
            )
        document["proof"] = proof
    document.update(draw(extras))
    return document


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_credentials())
def test_generated_credentials_fast_equals_pyld(document: dict[str, Any]) -> None:
    fast = _fast(document)  # these keep to what the fast converter implements
    assert fast == _through_pyld(document)
    # and labelling by sorted first-degree hashes, when they are unique, is RDFC-1.0's
    assert rdfc.canonicalize(document) == fast


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_credentials(text=_PLAIN_TEXT))
def test_generated_credentials_match_pyld_urdna2015(document: dict[str, Any]) -> None:
    assert rdfc.canonicalize(document) == _pyld_normalize(document)


@settings(max_examples=60, deadline=None)
@given(_credentials(), st.randoms(use_true_random=False))
def test_key_order_does_not_change_the_canonical_form(document: dict[str, Any], rng: Any) -> None:
    def shuffled(value: Any) -> Any:
        if isinstance(value, dict):
            items = list(value.items())
            rng.shuffle(items)
            return {key: shuffled(member) for key, member in items}
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return [shuffled(member) for member in value]
        return value

    assert rdfc.canonicalize(shuffled(document)) == rdfc.canonicalize(document)


# Keys and types from every bundled context, keywords, compact and relative IRIs, mixed
# at random: most such documents need pyld, but whenever the fast path answers, it must
# answer as pyld does (and refuse exactly when pyld refuses).
_WILD_KEYS = [
    "id", "type", "@id", "@type", "name", "description", "proof", "credentialSubject",
    "achievement", "alignment", "image", "url", "allowedValue", "proofPurpose", "jsonSchema",
    "statusMessage", "verifiableCredential", "holder", "issuer", "validFrom",
    "creditsAvailable", "hashed", "resultDescription", "result", "evidence", "targetUrl",
    "cryptosuite", "created", "verificationMethod", "credentialSchema", "credentialStatus",
    "related", "tag", "awardedDate", "_sd", "cnf", "jwk", "exp", "statusSize", "sec:proof",
    "cred:issuer", "https://example.org/p", "ex:p", "undefined", "@value", "@list", "@graph",
    "@language", "@foo", "assertionMethod", "address", "geo", "signature", "encodedList",
]  # fmt: skip
_WILD_TYPES = [
    "VerifiableCredential", "OpenBadgeCredential", "AchievementCredential", "Achievement",
    "AchievementSubject", "Profile", "Alignment", "Result", "ResultDescription",
    "DataIntegrityProof", "Ed25519Signature2020", "Ed25519Signature2018", "JsonSchema",
    "BitstringStatusListEntry", "Evidence", "VerifiablePresentation", "Address",
    "GeoCoordinates", "Undefined", "ex:Foo", "https://example.org/T",
]  # fmt: skip
_WILD_STRINGS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        ["https://example.org/x", "urn:x:1", "did:example:1", "relative", "sec:foo",
         "xsd:string", "assertionMethod", "authentication", "2024-01-01T00:00:00Z", "//x"]
    ),
)  # fmt: skip


def _wild_nodes(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    value = st.one_of(
        children, st.sampled_from(_WILD_TYPES), st.lists(st.sampled_from(_WILD_TYPES), max_size=3)
    )
    entries = st.lists(st.tuples(st.sampled_from(_WILD_KEYS), value), max_size=5).map(dict)
    return st.one_of(st.lists(children, max_size=3), entries)


_WILD_DOCUMENTS = st.builds(
    lambda contexts, body: {**body, "@context": contexts},
    st.sampled_from(
        [
            [VC_V2, OB_303],
            [VC_V2, OB_303, EXAMPLES_V2],
            [VC_V2, OB_303, ED25519_2020],
            [VC_V1, OB_V3],
            [VC_V1, DATA_INTEGRITY],
            [VC_V2],
            [EXAMPLES_V2],
        ]
    ),
    st.lists(
        st.tuples(
            st.sampled_from(_WILD_KEYS),
            st.recursive(
                st.one_of(_WILD_STRINGS, _NUMBERS, st.booleans(), st.none()),
                _wild_nodes,
                max_leaves=10,
            ),
        ),
        max_size=8,
    ).map(dict),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_WILD_DOCUMENTS)
def test_wild_documents_fast_path_answers_as_pyld(document: dict[str, Any]) -> None:
    try:
        fast: str | None = _fast(document)
    except _jsonld_fast.Unsupported:
        return
    except CredentialError:
        fast = None
    try:
        slow: str | None = _through_pyld(document)
    except CredentialError:
        slow = None
    assert fast == slow


def test_canonical_escapes_follow_rdfc_not_pyld() -> None:
    # N-Quads 1.2 §4.4 (canonical form, used by RDFC-1.0): \b \t \n \f \r \" \\ and \uXXXX
    # with upper-case hex for other control characters; pyld writes those raw.
    document = {
        "@context": [VC_V2, EXAMPLES_V2],
        "id": "urn:x",
        "note": '\x08\t\n\x0b\x0c\r"\\\x7f\x01é',
    }
    assert rdfc.canonicalize(document) == (
        "<urn:x> <https://www.w3.org/ns/credentials/examples#note> "
        '"\\b\\t\\n\\u000B\\f\\r\\"\\\\\\u007F\\u0001é" .\n'
    )


_BASE: dict[str, Any] = {
    "@context": [VC_V2, OB_303],
    "id": "urn:uuid:00000000-0000-4000-8000-000000000001",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": "did:example:issuer",
    "validFrom": "2026-01-01T00:00:00Z",
}


def _with(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(_BASE)
    document.update(changes)
    return document


# Each uses something the fast converter leaves to pyld; the fallback must be taken and
# give pyld's answer.
UNSUPPORTED = {
    "value object": _with(name={"@value": "Teamwork", "@language": "en"}),
    "embedded context": _with(
        credentialSubject={"@context": {"p": "https://example.org/p"}, "p": "v"}
    ),
    "embedded context at the top": {**_BASE, "@context": [VC_V2, {"p": "https://ex.org/p"}]},
    "relative @id": _with(credentialSubject={"id": "relative/subject"}),
    "undefined type": _with(type=["VerifiableCredential", "UndefinedType"]),
    "blank node label": _with(credentialSubject={"id": "_:b0", "type": ["AchievementSubject"]}),
    "@graph keyword": {"@context": [VC_V2], "@graph": [{"id": "urn:a", "name": "a"}]},
    "@included": _with(**{"@included": [{"id": "urn:a", "name": "a"}]}),
    "@reverse": _with(**{"@reverse": {"https://example.org/knows": {"id": "urn:a"}}}),
    "@list keyword": _with(name={"@list": ["a", "b"]}),
    "presentation": {
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "holder": "did:example:holder",
        "verifiableCredential": [_with(credentialSubject={"id": "did:example:s"})],
    },
    "proof with its own @context": _with(
        proof={"@context": [VC_V2], "type": "DataIntegrityProof", "cryptosuite": "x"}
    ),
    "IRI-typed string in a @graph container": _with(proof="urn:proof"),
    "no @context": {"id": "urn:a", "https://example.org/p": "v"},
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_features_fall_back_to_pyld(name: str) -> None:
    document = UNSUPPORTED[name]
    with pytest.raises(_jsonld_fast.Unsupported):
        _jsonld_fast.to_quads(document)
    assert rdfc.canonicalize(document) == _pyld_normalize(document)


@pytest.mark.parametrize(
    "document",
    [
        _with(credentialSubject={"type": ["AchievementSubject"], "creditsEarned": 2.5}),
        _with(credentialSubject={"type": ["IdentityObject"], "hashed": [True, False, 1, 0]}),
        _with(
            credentialSubject={
                "type": ["AchievementSubject"],
                "achievement": {
                    "type": ["Achievement"],
                    "resultDescription": [
                        {"type": ["ResultDescription"], "allowedValue": ["A", "B", "A"]},
                        {"type": ["ResultDescription"], "allowedValue": []},
                    ],
                },
            }
        ),
        _with(
            credentialSchema={
                "id": "https://example.org/schema",
                "type": "JsonSchema",
                "jsonSchema": {"b": [1, 2.5, None, {"z": True}], "a": 1e30, "c": "é"},
            }
        ),
        _with(
            credentialSchema=[
                {"id": "https://example.org/s1", "type": "JsonSchema", "jsonSchema": None},
                {"id": "https://example.org/s2", "type": "JsonSchema", "jsonSchema": [[]]},
            ]
        ),
        _with(
            credentialStatus={
                "type": "BitstringStatusListEntry",
                "statusPurpose": "message",
                "statusSize": 2,
                "statusMessage": [{"status": "0x1", "message": "ok"}],
            }
        ),
        _with(
            proof=[
                {"type": "DataIntegrityProof", "proofPurpose": "capabilityInvocation"},
                {"type": "DataIntegrityProof", "proofPurpose": "assertionMethod"},
            ]
        ),
        _with(credentialSubject={}, evidence=[], name=None, description=[[["nested"]], None]),
        {
            "@context": [VC_V1, OB_V3],
            "type": ["VerifiableCredential", "sec:Extra"],
            "issuer": "cred:issuer",
            "issuanceDate": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "xsd:thing"},
        },
    ],
    ids=[
        "typed float",
        "booleans",
        "@list",
        "@json",
        "@json null and arrays",
        "scoped map",
        "proofs",
        "empties",
        "prefixes",
    ],
)
def test_features_the_fast_path_implements(document: dict[str, Any]) -> None:
    assert _fast(document) == _through_pyld(document) == _pyld_normalize(document)


def test_not_json_is_refused() -> None:
    with pytest.raises(MalformedInputError):
        rdfc.canonicalize(_with(name={"@value": {1, 2}}))


def test_iri_rdf_cannot_carry_is_refused() -> None:
    with pytest.raises(MalformedInputError):
        rdfc.canonicalize(_with(issuer="https://example.org/a>b"))


def test_nesting_over_the_depth_limit_is_refused() -> None:
    nested: dict[str, Any] = {"name": "leaf"}
    for _ in range(limits.MAX_DEPTH + 5):
        nested = {"type": ["Achievement"], "related": [nested]}
    with pytest.raises(LimitExceededError):
        rdfc.canonicalize(_with(credentialSubject=nested))


# -- (c) the cost guard ------------------------------------------------------------------------


def _linked_blank_nodes(count: int) -> dict[str, Any]:
    """A credential whose ``count`` labelled blank nodes all point at each other."""
    nodes = [
        {
            "id": f"_:n{i}",
            "type": "Node",
            "knows": [{"id": f"_:n{j}"} for j in range(count) if j != i],
        }
        for i in range(count)
    ]
    return {
        "@context": [VC_V2, EXAMPLES_V2],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject", "network": nodes},
    }


def _look_alike_subtrees(parents: int, children: int) -> dict[str, Any]:
    """No labels, no identical siblings: ``parents`` objects that look alike to RDFC, each
    with ``children`` look-alikes, made distinct only two levels down."""
    return {
        "@context": [VC_V2, EXAMPLES_V2],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {
            "id": "did:example:subject",
            "part": [
                {
                    "type": "Part",
                    "piece": [
                        {"type": "Piece", "detail": {"serial": f"{p}-{c}"}} for c in range(children)
                    ],
                }
                for p in range(parents)
            ],
        },
    }


def _refused_quickly(document: dict[str, Any]) -> None:
    for check in (rdfc.check_canonicalization_cost, rdfc.canonicalize):
        started = time.perf_counter()
        with pytest.raises(LimitExceededError, match="look-alike blank nodes"):
            check(document)
        assert time.perf_counter() - started < 1.0


def test_linked_blank_nodes_are_refused_quickly() -> None:
    document = _linked_blank_nodes(9)
    assert len(json.dumps(document)) < 2048  # pyoxigraph alone: > 20 s on this
    with pytest.raises(LimitExceededError):
        limits.check_structure(document)  # the JSON-level check refuses the labels too
    _refused_quickly(document)


def test_poison_that_passes_the_structure_check_is_refused_quickly() -> None:
    # Two look-alike parents with ten look-alike children each: 10! permutations per
    # N-degree call; pyoxigraph alone takes well over 20 s on these 900 bytes.
    document = _look_alike_subtrees(2, 10)
    limits.check_structure(document)
    _refused_quickly(document)


def test_a_long_chain_of_look_alikes_is_refused_not_a_crash() -> None:
    # 3,000 repeated list members: 8 KB, each list cell looks like its neighbours.
    document = {"@context": [VC_V2, EXAMPLES_V2], "id": "urn:x", "list": {"@list": ["v"] * 3000}}
    limits.check_structure(document)
    _refused_quickly(document)


@pytest.mark.parametrize(
    "document",
    [
        _look_alike_subtrees(2, 4),
        _look_alike_subtrees(4, 3),
        _linked_blank_nodes(4),
        {"@context": [VC_V2, EXAMPLES_V2], "id": "urn:x", "list": {"@list": ["same"] * 40}},
    ],
    ids=["2x4 look-alikes", "4x3 look-alikes", "4 linked", "list of 40 repeats"],
)
def test_modest_look_alikes_are_admitted_and_fast(document: dict[str, Any]) -> None:
    started = time.perf_counter()
    canonical = rdfc.canonicalize(document)
    assert time.perf_counter() - started < 1.0
    assert canonical == _pyld_normalize(document)


@pytest.mark.parametrize("name", OB_EXAMPLES)
def test_ordinary_credentials_pass_the_guard(name: str) -> None:
    rdfc.check_canonicalization_cost(_vector(shared_vectors_dir("ob3-examples"), name))


# -- (d) contexts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "contexts",
    [
        [VC_V2, "https://evil.example/context.json"],
        "https://evil.example/context.json",
        [VC_V2, {"p": "https://example.org/p"}, "https://evil.example/context.json"],
    ],
    ids=["fast path", "single URL", "fallback path"],
)
def test_unknown_context_is_a_context_error(contexts: Any) -> None:
    document = {**_BASE, "@context": contexts}
    for check in (rdfc.canonicalize, rdfc.check_canonicalization_cost):
        with pytest.raises(ContextError):
            check(document)
