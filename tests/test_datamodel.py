"""credentials.datamodel: the W3C VC 2.0 data-model inputs, one test per rule, properties.

The published inputs (``../shared/vectors/w3c-vc2-data-model-inputs``, from
w3c/vc-data-model-2.0-test-suite ``tests/input/``) are what that suite sends to an
*issuer*. Its harness completes each credential as an issuer does before issuing it, and
:func:`_as_issued` does the same, no more: an absent ``issuer`` (or an issuer object
without ``id``) becomes the issuer's DID, and the ``"PAST DATE"``/``"FUTURE DATE"``
placeholders of the validity-order inputs become dates a year either side of now (fixed
here: the validator reads no clock). A present but wrong issuer (``null``, ``{"id": null}``,
``"fake-issuer"``) is left as it is, so those inputs still fail on the issuer rule.

Other inputs, treated deliberately (see ``specs/datamodel.md``):

* ``*-fail-or-inject.json`` (no ``@context``, or no base context): rejected, §4.3. We never
  inject a context: what a document means is decided by its contexts, and a guessed one
  would sign a meaning the issuer never wrote.
* ``presentation-self-asserted-vc-*.json``: all four are well-formed presentations, which
  is all the data model can say. Whether the embedded credential is self-asserted (secured
  only by the presentation's proof) and so needs ``holder`` equal to its ``issuer``
  (§4.13.4) is the verifier's holder-binding check, once it sees the proofs.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from pyld import jsonld

from credentials.datamodel import (
    data_model_version,
    is_presentation,
    parse_datetime,
    validate_credential,
    validate_presentation,
)
from credentials.errors import ContextError, DataModelError, LimitExceededError
from credentials.loader import pyld_document_loader
from tests.conftest import SHARED_VECTORS, shared_vectors_dir

VECTORS = "w3c-vc2-data-model-inputs"
V2 = "https://www.w3.org/ns/credentials/v2"
V1 = "https://www.w3.org/2018/credentials/v1"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
OB_303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V1 = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
ISSUER = "did:key:z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj"
PAST, FUTURE = "2025-01-15T09:30:00Z", "2027-01-15T09:30:00Z"

# The counts recorded in specs/datamodel.md: a change to the published folder must be
# looked at (and the document updated), not absorbed silently.
EXPECTED_COUNTS = {"ok": 65, "fail": 49, "fail-or-inject": 3, "self-asserted": 4}

# Each *-fail.json input and the rule it must fail on: a rejection for another reason
# would hide a missing check.
FAIL_RULES = {
    "credential-context-combo3-fail.json": "§4.3",
    "credential-context-combo4-fail.json": "§4.3",
    "credential-evidence-missing-type-fail.json": "§5.6",
    "credential-id-multi-fail.json": "§4.4",
    "credential-id-nonidentifier-fail.json": "§4.4",
    "credential-id-not-url-fail.json": "§4.4",
    "credential-id-subject-multi-fail.json": "§4.4",
    "credential-issuer-no-url-fail.json": "§4.7",
    "credential-issuer-null-fail.json": "§4.7",
    "credential-issuer-object-id-no-url-fail.json": "§4.7",
    "credential-issuer-object-id-null-fail.json": "§4.7",
    "credential-missing-required-type-fail.json": "§4.5",
    # The issuer fills in the missing issuer (as the suite's does); what is left is the
    # empty credentialSubject. A missing issuer is tested below, without the harness.
    "credential-no-issuer-fail.json": "§4.8",
    "credential-no-subject-fail.json": "§4.8",
    "credential-no-type-fail.json": "§4.5",
    "credential-proof-missing-type-fail.json": "§4.12",
    "credential-redef-type-fail.json": "§5.2.1",
    "credential-redef-type2-fail.json": "§5.2.1",
    "credential-refresh-no-type-fail.json": "§5.4",
    "credential-schema-no-id-fail.json": "§4.11",
    "credential-schema-no-type-fail.json": "§4.11",
    "credential-schema-non-url-id-fail.json": "§4.11",
    "credential-status-missing-type-fail.json": "§4.10",
    "credential-status-multiple-id-fail.json": "§4.10",
    "credential-status-nonurl-id-fail.json": "§4.10",
    "credential-status-type-nonurl-fail.json": "§4.10",
    "credential-subject-multiple-empty-fail.json": "§4.8",
    "credential-subject-no-claims-fail.json": "§4.8",
    "credential-termsofuse-missing-type-fail.json": "§5.5",
    "credential-termsofuse-no-type-fail.json": "§5.5",
    # The context itself maps the type term to "https ://…": not processable (§4.3).
    "credential-type-mapped-nonurl-fail.json": "§4.3",
    "credential-type-unmapped-fail.json": "§4.5",
    "credential-validUntil-validFrom-fail.json": "§4.9",
    "credential-validfrom-invalid-fail.json": "§4.9",
    "credential-validuntil-invalid-fail.json": "§4.9",
    "names-and-descriptions/credential-description-extra-prop-en-fail.json": "§4.6",
    "names-and-descriptions/credential-name-extra-prop-en-fail.json": "§4.6",
    "names-and-descriptions/issuer-description-extra-prop-en-fail.json": "§4.6",
    "names-and-descriptions/issuer-name-extra-prop-en-fail.json": "§4.6",
    "presentation-context-order-fail.json": "§4.3",
    "presentation-enveloped-vc-missing-type-fail.json": "§4.13",
    "presentation-holder-fail.json": "§4.13",
    "presentation-holder-name-fail.json": "§4.13",
    "presentation-holder-object-fail.json": "§4.13",
    "presentation-missing-base-context-fail.json": "§4.3",
    "presentation-missing-required-type-fail.json": "§4.5",
    "presentation-no-type-fail.json": "§4.5",
    "presentation-vc-as-string-fail.json": "§4.13",
    "presentation-vc-missing-required-type-fail.json": "§4.13",
}

# What each self-asserted input is, which the verifier's holder-binding check decides on.
SELF_ASSERTED = {
    "presentation-self-asserted-vc-ok.json": "holder equals the issuer",
    "presentation-self-asserted-vc-no-holder.json": "no holder",
    "presentation-self-asserted-vc-holder-mismatch.json": "holder differs from the issuer",
    "presentation-self-asserted-vc-issuer-mismatch.json": "holder differs from the issuer",
}


# ------------------------------------------------------------------------------ vectors


def _kind(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    if base.endswith("-fail-or-inject.json"):
        return "fail-or-inject"
    if base.endswith("-ok.json"):
        return "ok"
    if base.endswith("-fail.json"):
        return "fail"
    if base.startswith("presentation-self-asserted-vc-"):
        return "self-asserted"
    return "unclassified"


def _all_names() -> list[str]:
    folder = SHARED_VECTORS / VECTORS
    if not folder.is_dir():
        return []
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*.json"))


def _names(kind: str) -> list[str]:
    # Collected without skipping, so that an absent folder gives one placeholder case
    # whose test then skips through shared_vectors_dir with its reason.
    chosen = [
        n
        for n in _all_names()
        if _kind(n) == kind or (kind == "self-asserted" and n in SELF_ASSERTED)
    ]
    return chosen or ["(vectors absent)"]


def _load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((shared_vectors_dir(VECTORS) / name).read_text("utf-8"))
    return document


def _as_issued(credential: Mapping[str, Any]) -> dict[str, Any]:
    """What the suite's harness does to an input before its issuer validates it."""
    document = copy.deepcopy(dict(credential))
    if "issuer" not in document:
        document["issuer"] = ISSUER
    elif isinstance(document["issuer"], dict) and "id" not in document["issuer"]:
        document["issuer"]["id"] = ISSUER
    for key, value in document.items():
        if value in ("PAST DATE", "FUTURE DATE"):
            document[key] = PAST if value == "PAST DATE" else FUTURE
    return document


def _validate_vector(name: str) -> None:
    document = _load(name)
    if name.rsplit("/", 1)[-1].startswith("presentation-"):
        validate_presentation(document)
    else:
        validate_credential(_as_issued(document))


@pytest.mark.parametrize("name", _names("ok"))
def test_ok_input_is_accepted(name: str) -> None:
    _validate_vector(name)


@pytest.mark.parametrize("name", _names("fail"))
def test_fail_input_is_rejected_for_its_rule(name: str) -> None:
    with pytest.raises(DataModelError) as error:
        _validate_vector(name)
    assert FAIL_RULES[name] in str(error.value), str(error.value)


@pytest.mark.parametrize("name", _names("fail-or-inject"))
def test_fail_or_inject_input_is_rejected_never_injected(name: str) -> None:
    with pytest.raises(DataModelError, match=re.escape("§4.3")):
        _validate_vector(name)


@pytest.mark.parametrize("name", _names("self-asserted"))
def test_self_asserted_input_is_well_formed_and_left_to_holder_binding(name: str) -> None:
    document = _load(name)
    validate_presentation(document)
    # The data model accepts all four; the holder-binding check tells them apart.
    (credential,) = document["verifiableCredential"]
    assert "proof" not in credential  # secured only by the presentation's proof
    holder = document.get("holder")
    described = (
        "no holder"
        if holder is None
        else "holder equals the issuer"
        if holder == credential["issuer"]
        else "holder differs from the issuer"
    )
    assert described == SELF_ASSERTED[name]


def test_every_input_is_classified_and_counted() -> None:
    folder = shared_vectors_dir(VECTORS)
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.json"))
    assert [n for n in names if _kind(n) == "unclassified"] == []
    counts = {
        kind: len([n for n in names if _kind(n) == kind])
        for kind in ("ok", "fail", "fail-or-inject")
    }
    counts["self-asserted"] = len([n for n in names if n in SELF_ASSERTED])
    print(f"\n{VECTORS}: {counts}")
    assert counts == EXPECTED_COUNTS
    assert sorted(FAIL_RULES) == [n for n in names if _kind(n) == "fail"]


def test_an_input_without_issuer_is_rejected_until_an_issuer_fills_it() -> None:
    document = _load("credential-ok.json")
    with pytest.raises(DataModelError, match=re.escape("§4.7: issuer is missing")):
        validate_credential(document)
    validate_credential(_as_issued(document))


# ------------------------------------------------------------------- credential rules


def _credential(
    changes: Mapping[str, Any] | None = None, *, drop: tuple[str, ...] = ()
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": [V2],
        "id": "urn:uuid:2f1c8a4e-3b7d-4e51-9c0a-6d2b5e8f1a37",
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "validFrom": "2026-01-15T09:30:00Z",
        "credentialSubject": {"id": "did:example:subject", "name": "Ada"},
    }
    document.update(changes or {})
    for key in drop:
        del document[key]
    return document


def _credential_v1(
    changes: Mapping[str, Any] | None = None, *, drop: tuple[str, ...] = ()
) -> dict[str, Any]:
    document = _credential(
        {
            "@context": [V1],
            "issuanceDate": "2026-01-15T09:30:00Z",
            # "name" is a VC 2.0 term; VC 1.1's context does not define it.
            "credentialSubject": {"id": "did:example:subject"},
        },
        drop=("validFrom",),
    )
    document.update(changes or {})
    for key in drop:
        del document[key]
    return document


A_TYPE = "https://example.org/vocab#Thing"

CREDENTIAL_REJECTED = [
    # §4.3 contexts
    pytest.param({"@context": V2}, (), "VC DM 2.0 §4.3", id="context-string-in-2.0"),
    pytest.param({"@context": [EXAMPLES_V2, V2]}, (), "§4.3", id="context-base-not-first"),
    pytest.param({"@context": [V2, 42]}, (), "§4.3", id="context-number"),
    pytest.param({"@context": [V2, None]}, (), "§4.3", id="context-null-item"),
    pytest.param({"@context": [V2, "no scheme"]}, (), "§4.3", id="context-not-url"),
    pytest.param({"@context": {"@vocab": A_TYPE}}, (), "§4.3", id="context-object-only"),
    pytest.param({}, ("@context",), "§4.3", id="context-missing"),
    # §4.4 identifiers
    pytest.param({"id": ["urn:a", "urn:b"]}, (), "§4.4", id="id-two-values"),
    pytest.param({"id": "credential-1"}, (), "§4.4", id="id-no-scheme"),
    pytest.param({"id": 42}, (), "§4.4", id="id-number"),
    pytest.param({"id": ""}, (), "§4.4", id="id-empty"),
    pytest.param({"id": "https://example.org/a b"}, (), "§4.4", id="id-space"),
    pytest.param({"id": "https://example.org/%zz"}, (), "§4.4", id="id-bad-percent"),
    pytest.param({"id": "1https://example.org/"}, (), "§4.4", id="id-scheme-digit"),
    # §4.5 types
    pytest.param({}, ("type",), "§4.5", id="type-missing"),
    pytest.param({"type": []}, (), "§4.5", id="type-empty"),
    pytest.param({"type": ["VerifiableCredential", 7]}, (), "§4.5", id="type-number"),
    pytest.param({"type": [A_TYPE]}, (), "§4.5", id="type-without-vc"),
    pytest.param({"type": "VerifiablePresentation"}, (), "§4.5", id="type-presentation"),
    pytest.param(
        {"type": ["VerifiableCredential", "Undeclared"]}, (), "§4.5", id="type-undeclared"
    ),
    pytest.param({"type": ["VerifiableCredential", "_:b0"]}, (), "§4.5", id="type-blank-node"),
    pytest.param(
        {"credentialSubject": {"id": "did:example:s", "type": "Undeclared"}},
        (),
        "§4.5: type 'Undeclared' of credentialSubject",
        id="type-undeclared-in-subject",
    ),
    # §4.6 names and descriptions
    pytest.param({"name": 42}, (), "§4.6", id="name-number"),
    pytest.param({"name": {"@value": 1}}, (), "§4.6", id="name-value-number"),
    pytest.param(
        {"name": {"@value": "x", "@language": "not a tag"}}, (), "§4.6", id="name-bad-language"
    ),
    pytest.param(
        {"name": {"@value": "x", "@direction": "up"}}, (), "§4.6", id="name-bad-direction"
    ),
    pytest.param({"name": {"@value": "x", "@type": A_TYPE}}, (), "§4.6", id="name-typed-value"),
    pytest.param({"description": []}, (), "§4.6", id="description-empty"),
    pytest.param(
        {"description": [{"@value": "x", "url": "y"}]}, (), "§4.6", id="description-extra"
    ),
    # §4.7 issuer
    pytest.param({}, ("issuer",), "§4.7", id="issuer-missing"),
    pytest.param({"issuer": None}, (), "§4.7", id="issuer-null"),
    pytest.param({"issuer": "issuer"}, (), "§4.7", id="issuer-not-url"),
    pytest.param({"issuer": {"name": "Acme"}}, (), "§4.7", id="issuer-object-no-id"),
    pytest.param({"issuer": {"id": "acme"}}, (), "§4.7", id="issuer-object-bad-id"),
    pytest.param({"issuer": ["did:example:a"]}, (), "§4.7", id="issuer-array"),
    pytest.param(
        {"issuer": {"id": "did:example:i", "name": {"@value": "A", "x": 1}}},
        (),
        "§4.6: issuer.name",
        id="issuer-name-extra",
    ),
    # §4.8 credential subject
    pytest.param({}, ("credentialSubject",), "§4.8", id="subject-missing"),
    pytest.param({"credentialSubject": []}, (), "§4.8", id="subject-empty-array"),
    pytest.param({"credentialSubject": {}}, (), "§4.8", id="subject-no-claim"),
    pytest.param({"credentialSubject": "did:example:s"}, (), "§4.8", id="subject-string"),
    pytest.param(
        {"credentialSubject": [{"id": "did:example:s"}, {}]}, (), "§4.8", id="subject-one-empty"
    ),
    pytest.param({"credentialSubject": {"id": "s"}}, (), "§4.4", id="subject-bad-id"),
    # §4.9 validity period
    pytest.param({"validFrom": "2026-01-15"}, (), "§4.9", id="validfrom-date-only"),
    pytest.param({"validFrom": "2026-01-15T09:30:00"}, (), "§4.9", id="validfrom-no-timezone"),
    pytest.param({"validFrom": 1768469400}, (), "§4.9", id="validfrom-number"),
    pytest.param({"validUntil": "2026-01-15T09:29:59Z"}, (), "§4.9", id="validuntil-before"),
    pytest.param(
        {"validUntil": "2026-01-15T10:29:59+01:00"}, (), "§4.9", id="validuntil-before-offset"
    ),
    # §4.10 status, §4.11 schemas, §4.12 proofs
    pytest.param(
        {"credentialStatus": {"id": "https://ex.org/s"}}, (), "§4.10", id="status-no-type"
    ),
    pytest.param(
        {"credentialStatus": {"type": A_TYPE, "id": "status-1"}}, (), "§4.10", id="status-bad-id"
    ),
    pytest.param({"credentialSchema": {"type": A_TYPE}}, (), "§4.11", id="schema-no-id"),
    pytest.param(
        {"credentialSchema": {"id": "https://ex.org/s"}}, (), "§4.11", id="schema-no-type"
    ),
    pytest.param({"credentialSchema": []}, (), "§4.11", id="schema-empty"),
    pytest.param({"proof": {"proofValue": "z1"}}, (), "§4.12", id="proof-no-type"),
    pytest.param({"proof": "z1"}, (), "§4.12", id="proof-string"),
    # §5.3 related resources, §5.4 refresh, §5.5 terms of use, §5.6 evidence
    pytest.param(
        {"relatedResource": [{"id": "https://ex.org/r"}]}, (), "§5.3", id="related-no-digest"
    ),
    pytest.param({"relatedResource": {"digestSRI": "sha384-x"}}, (), "§5.3", id="related-no-id"),
    pytest.param({"refreshService": {"id": "https://ex.org/r"}}, (), "§5.4", id="refresh-no-type"),
    pytest.param({"termsOfUse": {}}, (), "§5.5", id="terms-no-type"),
    pytest.param(
        {"evidence": [{"type": A_TYPE}, {"name": "x"}]}, (), "§5.6", id="evidence-no-type"
    ),
    pytest.param({"evidence": {"type": A_TYPE, "id": "e 1"}}, (), "§5.6", id="evidence-bad-id"),
    # §5.2.1 protected terms, and contexts that are not processable (§4.3)
    pytest.param(
        {"@context": [V2, {"name": "https://example.org/name"}]}, (), "§5.2.1", id="redefine-name"
    ),
    pytest.param(
        {"@context": [V2, {"VerifiableCredential": A_TYPE}]},
        (),
        "§5.2.1",
        id="redefine-vc",
    ),
    pytest.param(
        {"credentialSubject": {"@context": {"id": "https://ex.org/id"}, "id": "did:example:s"}},
        (),
        "§5.2.1",
        id="redefine-id-in-nested-context",
    ),
    pytest.param(
        {"credentialSubject": {"@context": None, "id": "did:example:s"}},
        (),
        "§5.2.1",
        id="nested-null-context",
    ),
    pytest.param(
        {
            "@context": [V2, {"Kind": {"@id": A_TYPE, "@context": None}}],
            "credentialSubject": {"id": "did:example:s", "type": "Kind"},
        },
        (),
        "§5.2.1",
        id="type-scoped-null-context",  # JSON-LD 1.1 test tpr17; pyld 2.0 lets it pass
    ),
    pytest.param(
        {"@context": [V2, {"Kind": {"@id": A_TYPE, "@context": {"Bad": "not a url"}}}]},
        (),
        "§4.3",
        id="unused-scoped-context-not-processable",
    ),
    pytest.param(
        {"@context": [V2, {"myId": {"@id": "@id", "@prefix": True}}]},
        (),
        "§4.3",
        id="keyword-alias-as-prefix",
    ),
    pytest.param(
        {"@context": [V2, {"when": {"@id": A_TYPE, "@type": "not a url"}}]},
        (),
        "§4.3",
        id="type-mapping-not-url",
    ),
    pytest.param({"@context": [V2, {"ctx": "@context"}]}, (), "§4.3", id="alias-of-context"),
    pytest.param({"@context": [V2, {"Thing": "not a url"}]}, (), "§4.3", id="term-not-url"),
    pytest.param({"@context": [V2, {"Thing": {"@id": 5}}]}, (), "§4.3", id="term-id-number"),
    pytest.param({"@context": [V2, {"Thing": 5}]}, (), "§4.3", id="term-number"),
    pytest.param({"@context": [V2, {"Thing": {"@type": "@id"}}]}, (), "§4.3", id="term-no-iri"),
    pytest.param({"@context": [V2, {"a": "b:x", "b": "a:y"}]}, (), "§4.3", id="term-cycle"),
    pytest.param({"@context": [V2, {"@vocab": "no scheme"}]}, (), "§4.3", id="vocab-not-url"),
    pytest.param({"@context": [V2, {"@protected": "yes"}]}, (), "§4.3", id="protected-not-bool"),
    pytest.param({"@context": [V2, {"@import": 7}]}, (), "§4.3", id="import-not-url"),
    pytest.param(
        {
            "credentialSubject": {
                "id": "did:example:s",
                "https://ex.org/knows": {"id": ["did:a", "did:b"]},
            }
        },
        (),
        "§4.4",
        id="nested-id-two-values",
    ),
]


@pytest.mark.parametrize(("changes", "drop", "rule"), CREDENTIAL_REJECTED)
def test_credential_rule_rejects(changes: dict[str, Any], drop: tuple[str, ...], rule: str) -> None:
    with pytest.raises(DataModelError, match=re.escape(rule)):
        validate_credential(_credential(changes, drop=drop))


CREDENTIAL_ACCEPTED = [
    pytest.param({}, id="base"),
    pytest.param({"type": "VerifiableCredential"}, id="type-string"),
    pytest.param({"type": [A_TYPE, "VerifiableCredential"]}, id="type-url-first"),
    pytest.param({"id": "did:example:123#key-1"}, id="id-did-url"),
    pytest.param({"id": "https://example.org/c/1?x=%20#f"}, id="id-https"),
    pytest.param({"id": "data:,hello"}, id="id-data-url"),
    pytest.param(
        {"@context": [V2, {"Thing": A_TYPE}], "type": ["VerifiableCredential", "Thing"]},
        id="type-from-embedded-context",
    ),
    pytest.param(
        {
            "@context": [V2, {"ex": "https://example.org/vocab#"}],
            "type": ["VerifiableCredential", "ex:Thing"],
        },
        id="type-compact-iri",
    ),
    pytest.param(
        {"@context": [V2, EXAMPLES_V2], "type": ["VerifiableCredential", "AnyTerm"]},
        id="type-through-vocab",
    ),
    pytest.param(
        {
            "@context": [V2, {"@base": "https://example.org/types/"}],
            "type": ["VerifiableCredential", "Local"],
        },
        id="type-through-base",
    ),
    pytest.param(
        {"@context": [V2, {"name": "https://schema.org/name"}]}, id="identical-redefinition"
    ),
    pytest.param({"@context": [V2, {"odd": "@ignoreMe"}]}, id="keyword-form-term-ignored"),
    pytest.param(
        {
            "@context": [
                V2,
                {"wrap": {"@id": "https://ex.org/wrap", "@context": {"name": "https://ex.org/n"}}},
            ],
            "credentialSubject": {"id": "did:example:s", "wrap": {"name": "scoped"}},
        },
        id="property-scoped-override",
    ),
    pytest.param(
        {
            "@context": [V2, {"blob": {"@id": "https://ex.org/blob", "@type": "@json"}}],
            "credentialSubject": {"id": "did:example:s", "blob": {"type": "Not A Type", "id": 1}},
        },
        id="json-literal-not-walked",
    ),
    pytest.param(
        {
            "credentialSubject": {
                "id": "did:example:s",
                "name": {"@value": "Ada", "@language": "en"},
            }
        },
        id="value-object-claim",
    ),
    pytest.param({"name": "Degree", "description": "A degree"}, id="names-strings"),
    pytest.param(
        {
            "name": [
                {"@value": "Dog", "@language": "en"},
                {"@value": "Chien", "@language": "fr-CA", "@direction": "ltr"},
            ]
        },
        id="names-languages",
    ),
    pytest.param({"issuer": {"id": "did:example:i", "name": "Acme"}}, id="issuer-object"),
    pytest.param({"credentialSubject": [{"id": "did:example:a"}, {"name": "B"}]}, id="subjects"),
    pytest.param({"validUntil": "2026-01-15T09:30:00Z"}, id="valid-instant"),
    pytest.param({"validUntil": "2026-01-15T10:30:00+01:00"}, id="valid-instant-offset"),
    pytest.param({"validFrom": "4023-02-26T01:02:58.447Z"}, id="validfrom-far-future"),
    pytest.param({"credentialStatus": {"type": A_TYPE}}, id="status-without-id"),
    pytest.param({"credentialSchema": [{"id": "https://ex.org/s", "type": A_TYPE}]}, id="schema"),
    pytest.param({"refreshService": {"type": A_TYPE, "id": "https://ex.org/r"}}, id="refresh"),
    pytest.param(
        {"termsOfUse": [{"type": A_TYPE}, {"type": A_TYPE, "id": "https://ex.org/t"}]}, id="terms"
    ),
    pytest.param({"evidence": {"type": [A_TYPE], "id": "urn:uuid:1"}}, id="evidence"),
    pytest.param(
        {"relatedResource": [{"id": "https://ex.org/r", "digestSRI": "sha384-abc"}]}, id="related"
    ),
    pytest.param(
        {
            "proof": {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-rdfc-2022",
                "proofValue": "z1",
            }
        },
        id="proof-data-integrity",
    ),
    pytest.param(
        {
            "@context": [V2, "https://w3id.org/security/suites/ed25519-2020/v1"],
            "proof": {"type": "Ed25519Signature2020", "proofValue": "z1"},
        },
        id="proof-ed25519-2020",
    ),
]


@pytest.mark.parametrize("changes", CREDENTIAL_ACCEPTED)
def test_credential_rule_accepts(changes: dict[str, Any]) -> None:
    validate_credential(_credential(changes))


def test_no_validity_dates_is_accepted() -> None:
    validate_credential(_credential(drop=("validFrom",)))


def test_an_unbundled_context_could_not_be_checked() -> None:
    # Not a data-model verdict: the document's terms cannot be known offline.
    with pytest.raises(ContextError):
        validate_credential(_credential({"@context": [V2, "https://example.org/unbundled/v1"]}))


def test_nesting_beyond_any_credential_is_refused() -> None:
    claim: dict[str, Any] = {"name": "leaf"}
    for _ in range(100):
        claim = {"name": "level", "https://example.org/p": claim}
    with pytest.raises(LimitExceededError, match="nested over"):
        validate_credential(
            _credential(
                {"credentialSubject": {"id": "did:example:s", "https://example.org/p": claim}}
            )
        )


def test_open_badges_3_credential_is_accepted() -> None:
    # The shape Musette issues: VC 2.0 + OB 3.0.3, typed subject, achievement, evidence.
    validate_credential(
        _credential(
            {
                "@context": [V2, OB_303],
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "issuer": {"id": "did:example:i", "type": ["Profile"], "name": "Guild"},
                "credentialSubject": {
                    "id": "did:example:s",
                    "type": ["AchievementSubject"],
                    "achievement": {
                        "id": "urn:uuid:8194c7f6-417f-5445-9041-7d3d9b904897",
                        "type": ["Achievement"],
                        "name": "TIG welding",
                        "criteria": {"narrative": "Observed."},
                        "alignment": [
                            {
                                "type": ["Alignment"],
                                "targetName": "x",
                                "targetUrl": "https://ex.org",
                            }
                        ],
                    },
                },
                "evidence": [{"type": ["Evidence"], "narrative": "Welded.", "genre": "Work"}],
            }
        )
    )


# ------------------------------------------------------------------------- VC DM 1.1


CREDENTIAL_V1_REJECTED = [
    pytest.param({}, ("issuanceDate",), "VC DM 1.1 §4.6", id="issuance-missing"),
    pytest.param(
        {"issuanceDate": "2026-01-15T09:30:00"}, (), "VC DM 1.1 §4.6", id="issuance-no-timezone"
    ),
    pytest.param({"expirationDate": "tomorrow"}, (), "VC DM 1.1 §4.8", id="expiration-bad"),
    pytest.param({"credentialStatus": {"type": A_TYPE}}, (), "VC DM 1.1 §4.9", id="status-no-id"),
    pytest.param({"refreshService": {"type": A_TYPE}}, (), "VC DM 1.1 §5.5", id="refresh-no-id"),
    pytest.param({"evidence": {"id": "urn:x"}}, (), "VC DM 1.1 §5.7", id="evidence-no-type"),
    pytest.param({"issuer": "nope"}, (), "VC DM 1.1 §4.5", id="issuer-not-url"),
    pytest.param({"@context": [V1, V2]}, (), "VC DM 1.1 §5.3.1", id="v1-then-v2"),
    pytest.param({"@context": [V2, V1]}, (), "VC DM 2.0 §5.2.1", id="v2-then-v1"),
]


@pytest.mark.parametrize(("changes", "drop", "rule"), CREDENTIAL_V1_REJECTED)
def test_credential_v1_rule_rejects(
    changes: dict[str, Any], drop: tuple[str, ...], rule: str
) -> None:
    document = _credential_v1(changes, drop=drop)
    with pytest.raises(DataModelError, match=re.escape(rule)):
        validate_credential(document)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="base"),
        pytest.param({"@context": V1}, id="context-string"),
        pytest.param({"expirationDate": "2027-01-15T09:30:00+02:00"}, id="expiration"),
        pytest.param(
            {"credentialStatus": {"id": "https://ex.org/s#1", "type": A_TYPE}}, id="status"
        ),
        pytest.param(
            {
                "@context": [V1, OB_V1],
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "credentialSubject": {"id": "did:example:s", "type": ["AchievementSubject"]},
                "proof": {"type": "Ed25519Signature2018", "jws": "a..b"},
            },
            id="open-badges-ld2018",
        ),
    ],
)
def test_credential_v1_rule_accepts(changes: dict[str, Any]) -> None:
    validate_credential(_credential_v1(changes))


# ------------------------------------------------------------------------ presentations


def _presentation(changes: Mapping[str, Any] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": [V2],
        "id": "urn:uuid:9c9a36f8-518f-4976-a934-6649502d0008",
        "type": ["VerifiablePresentation"],
        "holder": "did:example:holder",
        "verifiableCredential": [_credential()],
    }
    document.update(changes or {})
    return document


ENVELOPED = {
    "@context": V2,
    "id": "data:application/vc+jwt,eyJhbGciOiJFZERTQSJ9.e30.c2ln",
    "type": "EnvelopedVerifiableCredential",
}

PRESENTATION_REJECTED = [
    pytest.param({"type": ["VerifiableCredential"]}, "§4.5", id="type-without-vp"),
    pytest.param({"holder": "holder"}, "§4.13", id="holder-not-url"),
    pytest.param({"holder": {"name": "Ada"}}, "§4.13", id="holder-object-no-id"),
    pytest.param({"holder": ["did:example:h"]}, "§4.13", id="holder-array"),
    pytest.param({"verifiableCredential": []}, "§4.13", id="vc-empty"),
    pytest.param({"verifiableCredential": [42]}, "§4.13", id="vc-number"),
    pytest.param(
        {"verifiableCredential": ["eyJh.eyJ2.sig"]}, "VC DM 2.0 §4.13", id="vc-jwt-in-2.0"
    ),
    pytest.param({"verifiableCredential": [{"type": "Thing"}]}, "§4.13", id="vc-untyped"),
    pytest.param(
        {"verifiableCredential": [_credential(drop=("issuer",))]},
        "verifiableCredential[0]: VC DM 2.0 §4.7",
        id="vc-invalid",
    ),
    pytest.param(
        {"verifiableCredential": [ENVELOPED, _credential({"id": "bad"})]},
        "verifiableCredential[1]: VC DM 2.0 §4.4",
        id="second-vc-invalid",
    ),
    pytest.param(
        {"verifiableCredential": [dict(ENVELOPED, id="https://example.org/vc")]},
        "verifiableCredential[0]: VC DM 2.0 §4.13.1",
        id="enveloped-not-data-url",
    ),
    pytest.param(
        {"verifiableCredential": [dict(ENVELOPED, **{"@context": EXAMPLES_V2})]},
        "verifiableCredential[0]: VC DM 2.0 §4.3",
        id="enveloped-no-base-context",
    ),
    pytest.param({"termsOfUse": {"id": "https://ex.org/t"}}, "§5.5", id="terms-no-type"),
    pytest.param({"proof": [{"type": "DataIntegrityProof"}, {}]}, "§4.12", id="proof-no-type"),
    pytest.param({"type": ["VerifiablePresentation", "Undeclared"]}, "§4.5", id="type-undeclared"),
]


@pytest.mark.parametrize(("changes", "rule"), PRESENTATION_REJECTED)
def test_presentation_rule_rejects(changes: dict[str, Any], rule: str) -> None:
    with pytest.raises(DataModelError, match=re.escape(rule)):
        validate_presentation(_presentation(changes))


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="base"),
        pytest.param({"holder": {"id": "did:example:h", "name": "Ada"}}, id="holder-object"),
        pytest.param({"verifiableCredential": _credential()}, id="vc-single-object"),
        pytest.param(
            {"verifiableCredential": [ENVELOPED, _credential()]}, id="enveloped-and-embedded"
        ),
        pytest.param({"verifiableCredential": [_credential_v1()]}, id="vc-1.1-inside-2.0"),
        pytest.param({"holder": None, "verifiableCredential": None}, id="bare"),
    ],
)
def test_presentation_rule_accepts(changes: dict[str, Any]) -> None:
    document = {k: v for k, v in _presentation(changes).items() if v is not None}
    validate_presentation(document)


def test_presentation_v1_may_carry_jwt_credentials_by_shape() -> None:
    # VC DM 1.1 §4.10: "data derived from verifiable credentials in a cryptographically
    # verifiable format"; the VP-JWTs didkit makes carry their VC-JWTs so.
    document = _presentation(
        {"@context": [V1], "verifiableCredential": ["eyJh.eyJ2.c2ln", _credential_v1()]}
    )
    validate_presentation(document)
    document["verifiableCredential"] = ["not a jwt"]
    with pytest.raises(DataModelError, match=re.escape("VC DM 1.1 §4.10")):
        validate_presentation(document)


def test_enveloped_presentation_is_checked_by_shape() -> None:
    envelope = {
        "@context": [V2],
        "id": "data:application/vp+jwt,eyJ.e30.c2ln",
        "type": "EnvelopedVerifiablePresentation",
    }
    validate_presentation(envelope)
    with pytest.raises(DataModelError, match=re.escape("§4.13.1")):
        validate_presentation(dict(envelope, id="urn:uuid:1"))


# ------------------------------------------------------------ version and dispatching


@pytest.mark.parametrize(
    ("document", "version"),
    [
        ({"@context": [V2]}, "2.0"),
        ({"@context": V2}, "2.0"),
        ({"@context": [V1, OB_V1]}, "1.1"),
        ({"@context": V1}, "1.1"),
    ],
)
def test_data_model_version(document: dict[str, Any], version: str) -> None:
    assert data_model_version(document) == version


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({}, "@context is missing"),
        ({"@context": [EXAMPLES_V2, V2]}, "must be the first"),
        ({"@context": [EXAMPLES_V2]}, "does not start with"),
        ({"@context": []}, "does not start with"),
        ({"@context": {"@vocab": A_TYPE}}, "does not start with"),
        ([V2], "JSON object"),
    ],
)
def test_data_model_version_refuses(document: Any, reason: str) -> None:
    with pytest.raises(DataModelError, match=reason):
        data_model_version(document)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (_presentation(), True),
        ({"type": "EnvelopedVerifiablePresentation"}, True),
        (_credential(), False),
        ({"type": [{"not": "a string"}]}, False),
        ({}, False),
        ("VerifiablePresentation", False),
    ],
)
def test_is_presentation(document: Any, expected: bool) -> None:
    assert is_presentation(document) is expected


# ------------------------------------------------------------------------- dateTimeStamp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-02-26T01:02:58.447Z", datetime(2023, 2, 26, 1, 2, 58, 447000, tzinfo=UTC)),
        ("2023-02-25T19:10:39-06:00", datetime(2023, 2, 26, 1, 10, 39, tzinfo=UTC)),
        ("2023-12-31T24:00:00Z", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2023-01-01T00:00:00.1234567Z", datetime(2023, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)),
        ("2023-01-01T00:00:00-00:00", datetime(2023, 1, 1, tzinfo=UTC)),
        ("2023-01-01T14:00:00+14:00", datetime(2023, 1, 1, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
        ("2024-02-29T12:00:00Z", datetime(2024, 2, 29, 12, tzinfo=UTC)),
    ],
)
def test_parse_datetime_accepts(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize(
    "text",
    [
        "2023-01-01T00:00:00",  # no timezone: refused for 1.1 dates too
        "2023-01-01 00:00:00Z",
        "2023-01-01t00:00:00z",
        "2023-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2023-13-01T00:00:00Z",
        "2023-01-01T24:00:01Z",
        "2023-01-01T23:60:00Z",
        "2023-01-01T23:59:60Z",  # no leap seconds in XML Schema
        "2023-01-01T00:00:00+14:30",
        "2023-01-01T00:00:00+01:60",
        "2023-01-01T00:00:00+0100",
        "2023-01-01T00:00:00.Z",
        "0000-01-01T00:00:00Z",
        "10000-01-01T00:00:00Z",
        "-0001-01-01T00:00:00Z",
        "02023-01-01T00:00:00Z",
        " 2023-01-01T00:00:00Z",
        "2023-1-01T00:00:00Z",
        "２０２３-01-01T00:00:00Z",
        "",
    ],
)
def test_parse_datetime_refuses(text: str) -> None:
    with pytest.raises(DataModelError):
        parse_datetime(text)


def test_parse_datetime_refuses_a_non_string() -> None:
    with pytest.raises(DataModelError, match="not a string"):
        parse_datetime(20230101)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- properties

_timezones = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
_datetimes = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=_timezones
)


@given(_datetimes)
def test_parse_datetime_round_trips(when: datetime) -> None:
    parsed = parse_datetime(when.isoformat())
    assert parsed == when
    assert parsed.utcoffset() == when.utcoffset()
    if when.utcoffset() == timedelta(0):
        assert parse_datetime(when.isoformat().replace("+00:00", "Z")) == when


@given(_datetimes, _datetimes)
def test_validity_order_decides_acceptance(start: datetime, end: datetime) -> None:
    document = _credential({"validFrom": start.isoformat(), "validUntil": end.isoformat()})
    if start <= end:
        validate_credential(document)
    else:
        with pytest.raises(DataModelError, match=re.escape("§4.9")):
            validate_credential(document)


_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
_claim_names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_", min_size=1, max_size=12
)


@given(
    _claim_names.filter(lambda name: name not in ("id", "type")),
    st.recursive(
        _json_scalars,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                _claim_names.filter(lambda k: k not in ("id", "type")), children, max_size=3
            )
        ),
        max_leaves=8,
    ),
)
def test_an_extra_claim_keeps_a_credential_valid(name: str, value: Any) -> None:
    # A claim named by an absolute IRI is defined whatever the contexts say.
    def named(item: Any) -> Any:
        if isinstance(item, dict):
            return {f"https://claims.example/{quote(k)}": named(v) for k, v in item.items()}
        if isinstance(item, list):
            return [named(v) for v in item]
        return item

    document = _credential()
    document["credentialSubject"][f"https://claims.example/{quote(name)}"] = named(value)
    validate_credential(document)


@settings(max_examples=60, deadline=None)
@given(_claim_names)
@example("sub")  # defined by the v2 context (a JWT claim name): accepted
@example("favouriteColour")  # defined by nothing: refused
def test_a_claim_is_refused_exactly_when_json_ld_would_drop_it(name: str) -> None:
    # pyld is the oracle: a claim its expansion keeps is defined (the v2 context defines
    # some short names, e.g. the JWT claim names), one it drops must be refused.
    options = {"documentLoader": pyld_document_loader}
    baseline = jsonld.expand(_credential(), options)
    document = _credential()
    # an absolute URL, so that a term coercing its value to @id keeps it too
    document["credentialSubject"][name] = "https://claims.example/value"
    kept = jsonld.expand(document, options) != baseline
    if kept:
        validate_credential(document)
    else:
        with pytest.raises(DataModelError, match=re.escape("§5.2.1")):
            validate_credential(document)


def test_undeclared_property_is_refused_not_dropped() -> None:
    document = _credential(
        {"credentialSubject": {"id": "did:example:s", "undeclared": {"type": "Dropped"}}}
    )
    with pytest.raises(DataModelError, match="term 'undeclared' is not defined"):
        validate_credential(document)


_non_urls = st.one_of(
    st.text(max_size=30).filter(lambda text: ":" not in text),
    st.builds(lambda a, b: f"https:{a} {b}", st.text(max_size=5), st.text(max_size=5)),
    st.builds(
        lambda d, rest: f"{d}x:{rest}", st.sampled_from("0123456789+-."), st.text(max_size=10)
    ),
    st.builds(lambda rest: f"https://example.org/{rest}%g0", st.text(alphabet="abc", max_size=5)),
    st.integers(),
    st.none(),
    st.booleans(),
    st.lists(st.just("https://example.org/a"), min_size=2, max_size=3),
    st.dictionaries(st.just("id"), st.just("https://example.org/a")),
)


@given(_non_urls, st.sampled_from(["credential", "subject"]))
def test_a_non_url_id_always_fails(value: Any, where: str) -> None:
    document = _credential()
    (document if where == "credential" else document["credentialSubject"])["id"] = value
    with pytest.raises(DataModelError, match=re.escape("§4.4")):
        validate_credential(document)


@given(
    st.from_regex(r"[a-z][a-z0-9+.\-]{0,8}:[A-Za-z0-9._~/?#@!$&'()*+,;=%-]{1,30}", fullmatch=True)
)
def test_any_scheme_url_is_an_id(value: str) -> None:
    assume("%" not in value or re.fullmatch(r"(?:[^%]|%[0-9A-Fa-f]{2})*", value))
    validate_credential(_credential({"id": value, "credentialSubject": {"id": value}}))


@given(st.permutations(["VerifiableCredential", A_TYPE, "https://example.org/vocab#Other"]))
def test_type_order_does_not_matter(types: list[str]) -> None:
    validate_credential(_credential({"type": types}))


# Differential: our context processing against pyld's JSON-LD expansion. A document is
# acceptable to pyld when expansion succeeds and every @type it produces is an absolute
# IRI (pyld, unlike a safe-mode processor, keeps a type it cannot expand as a relative
# IRI). Two pyld 2.0 defects are skipped, not counted: a KeyError on "@vocab": null, and a
# spurious "cyclical context" error on "@protected": false.

_TERMS = ["Foo", "Bar", "ex", "name", "description", "VerifiableCredential", "id"]
_IRIS = [
    "https://ex.org/Foo",
    "https://ex.org/",
    "https://schema.org/name",
    "https://www.w3.org/2018/credentials#VerifiableCredential",
    "ex:Foo",
    "Foo",
    "https ://not-a-url",
    "not-a-url",
    "@id",
    "@type",
    None,
]
_definitions = st.one_of(
    st.sampled_from(_IRIS),
    st.fixed_dictionaries(
        {"@id": st.sampled_from(_IRIS)},
        optional={"@protected": st.booleans(), "@type": st.sampled_from(["@id", "@json"])},
    ),
)
_context_objects = st.builds(
    lambda terms, extra: {**extra, **terms},
    st.dictionaries(st.sampled_from(_TERMS), _definitions, max_size=3),
    st.fixed_dictionaries(
        {},
        optional={
            "@protected": st.booleans(),
            "@vocab": st.sampled_from([None, "https://ex.org/v#"]),
        },
    ),
)
_TYPES = ["Foo", "Bar", "ex:Thing", "https://ex.org/T", "Undeclared", "name"]


def _types_in(expanded: Any) -> Iterator[str]:
    if isinstance(expanded, list):
        for item in expanded:
            yield from _types_in(item)
    elif isinstance(expanded, dict) and "@value" not in expanded:
        yield from expanded.get("@type", [])
        for key, value in expanded.items():
            if key != "@type":
                yield from _types_in(value)


def _pyld_accepts(document: dict[str, Any]) -> bool | None:
    try:
        expanded = jsonld.expand(
            copy.deepcopy(document), {"documentLoader": pyld_document_loader, "base": None}
        )
    except KeyError:
        return None  # pyld 2.0: "@vocab": null
    except jsonld.JsonLdError as error:
        return None if "Cyclical" in str(error) else False
    absolute = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
    return all(
        isinstance(t, str) and absolute.fullmatch(t) and not t.startswith("_:")
        for t in _types_in(expanded)
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    st.lists(_context_objects, min_size=1, max_size=3),
    st.lists(st.sampled_from(_TYPES), max_size=2),
    st.sampled_from([None, *_TYPES]),
)
def test_context_rules_agree_with_pyld(
    contexts: list[dict[str, Any]], types: list[str], subject_type: str | None
) -> None:
    subject: dict[str, Any] = {"id": "did:example:s"}
    if subject_type is not None:
        subject["type"] = subject_type
    document = _credential(
        {
            "@context": [V2, *contexts],
            "type": ["VerifiableCredential", *types],
            "credentialSubject": subject,
        }
    )
    expected = _pyld_accepts(document)
    assume(expected is not None)
    try:
        validate_credential(document)
        ours = True
    except DataModelError:
        ours = False
    assert ours == expected


@pytest.mark.parametrize(
    ("contexts", "acceptable"),
    [
        ([V2, OB_303], True),
        ([V2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"], True),
        ([V2, "https://w3id.org/security/suites/ed25519-2020/v1"], True),
        ([V2, "https://www.w3.org/ns/credentials/status/v1"], True),
        # OB 3.0.1 gives description another definition than the base context does.
        ([V2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json"], False),
        # The bundled Data Integrity v2 context lacks previousProof, which the base
        # context's DataIntegrityProof has: the two protected definitions differ.
        ([V2, "https://w3id.org/security/data-integrity/v2"], False),
        ([V2, V1], False),
    ],
)
def test_bundled_context_combinations_agree_with_pyld(
    contexts: list[str], acceptable: bool
) -> None:
    document = _credential({"@context": contexts})
    assert _pyld_accepts(document) is acceptable
    if acceptable:
        validate_credential(document)
    else:
        with pytest.raises(DataModelError, match=re.escape("§5.2.1")):
            validate_credential(document)


def _scoped(propagate: bool | None, *, embedded: bool) -> dict[str, Any]:
    inner = {"Inner": "https://ex.org/Inner"}
    if propagate is not None:
        inner["@propagate"] = propagate  # type: ignore[assignment]
    child = {"https://ex.org/child": {"type": "Inner"}}
    if embedded:
        subject = {"@context": inner, "id": "did:example:s", "type": "Inner", **child}
        return _credential({"credentialSubject": subject})
    wrapper = {"Wrapper": {"@id": "https://ex.org/Wrapper", "@context": inner}}
    subject = {"id": "did:example:s", "type": "Wrapper", **child}
    return _credential({"@context": [V2, wrapper], "credentialSubject": subject})


@pytest.mark.parametrize(
    ("document", "acceptable"),
    [
        pytest.param(_scoped(None, embedded=False), False, id="type-scoped-stays"),
        pytest.param(_scoped(True, embedded=False), True, id="type-scoped-propagates"),
        pytest.param(_scoped(None, embedded=True), True, id="embedded-propagates"),
        pytest.param(_scoped(False, embedded=True), False, id="embedded-stays"),
    ],
)
def test_scoped_context_propagation_agrees_with_pyld(
    document: dict[str, Any], acceptable: bool
) -> None:
    # JSON-LD 1.1: a type-scoped context applies to its node only, unless "@propagate":
    # true; an embedded context reaches nested nodes, unless "@propagate": false.
    assert _pyld_accepts(document) is acceptable
    if acceptable:
        validate_credential(document)
    else:
        with pytest.raises(
            DataModelError, match=re.escape("type 'Inner' of credentialSubject.https")
        ):
            validate_credential(document)


@pytest.mark.parametrize(
    "context",
    [
        [V1, OB_V1],
        [V1, "https://w3id.org/security/suites/ed25519-2020/v1"],
        [V1, "https://w3id.org/vc/status-list/2021/v1"],
    ],
)
def test_bundled_v1_context_combinations_agree_with_pyld(context: list[str]) -> None:
    document = _credential_v1({"@context": context})
    assert _pyld_accepts(document) is True
    validate_credential(document)
