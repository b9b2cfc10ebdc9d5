"""The Verifiable Credentials data model: a pure validator for VC DM 2.0 and 1.1.

Takes a decoded JSON object and returns ``None`` or raises
:class:`~credentials.errors.DataModelError`, whose one-line reason starts with the rule it
breaks (``VC DM 2.0 §4.9: validFrom '…' is not an XML Schema dateTimeStamp: …``). Section
numbers are those of the Recommendations in :data:`SPEC_VC_DM_2_0` and
:data:`SPEC_VC_DM_1_1`; a document whose first context is the 1.1 base context is held
to the 1.1 rules, cited with 1.1 numbers.

The checks run in a fixed order and the first broken rule is reported:

1. §4.3 ``@context``: present; the base context first; then URLs and objects only.
2. §4.4 ``id``; §4.5 ``type``; §4.6 ``name``/``description`` (2.0).
3. §4.7 ``issuer``; §4.8 ``credentialSubject``; §4.9 validity (1.1: §4.6 ``issuanceDate``,
   §4.8 ``expirationDate``); §4.10 status; §4.11 schemas; §4.12 proof shape; §5.3 related
   resources; §5.4 refresh; §5.5 terms of use; §5.6 evidence. For a presentation, §4.13
   ``holder`` and ``verifiableCredential`` instead of the credential-only rules.
4. JSON-LD: the document's contexts are processed with the *bundled* context documents
   (never fetched) to enforce the two rules that depend on them: a context may not
   redefine a protected term (§5.2.1), and every ``type`` of every node expands to a URL
   (§4.5). This is JSON-LD 1.1 context processing, and the part of expansion that
   decides ``type``, ``id`` and scoped contexts; the proof suites do the full expansion.
5. For a presentation, each embedded credential in full (an enveloped one by shape).

Left to the caller, because they need a key, a clock, the network or the holder's proof:
proof verification and the decoding of enveloped payloads (§4.12, §4.13.1), whether the
verifier's *now* is inside the validity period (§4.9 only orders the two dates),
status lists (§4.10), schema validation (§4.11), and the holder-claims rule of §4.13.4
(a self-asserted credential secured only by the presentation's proof needs ``holder`` equal
to its ``issuer``: it depends on how each is secured, which the data model cannot see).

Raises, besides ``DataModelError``: :class:`~credentials.errors.ContextError` when a
context URL is not bundled (its terms cannot be known offline, so the document could not
be checked: that is not a data-model verdict), and
:class:`~credentials.errors.LimitExceededError` for nesting deeper than any credential.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final, NoReturn
from urllib.parse import urljoin

from .errors import DataModelError, LimitExceededError
from .loader import CONTEXT_VC_V1, CONTEXT_VC_V2, bundled_context

__all__ = [
    "SPEC_VC_DM_1_1",
    "SPEC_VC_DM_2_0",
    "data_model_version",
    "is_presentation",
    "parse_datetime",
    "validate_credential",
    "validate_presentation",
]

SPEC_VC_DM_2_0: Final = "https://www.w3.org/TR/2025/REC-vc-data-model-2.0-20250515/"
SPEC_VC_DM_1_1: Final = "https://www.w3.org/TR/2022/REC-vc-data-model-20220303/"

# rule -> (section in VC DM 2.0, section in VC DM 1.1), as numbered in the Recommendations
_SECTIONS: Final[Mapping[str, tuple[str, str]]] = {
    "contexts": ("4.3", "4.1"),
    "identifiers": ("4.4", "4.2"),
    "types": ("4.5", "4.3"),
    "names": ("4.6", "n/a"),  # 2.0 documents only
    "issuer": ("4.7", "4.5"),
    "subject": ("4.8", "4.4"),
    "validity": ("4.9", "4.6"),
    "expiration": ("4.9", "4.8"),
    "status": ("4.10", "4.9"),
    "schemas": ("4.11", "5.4"),
    "securing": ("4.12", "4.7"),
    "presentations": ("4.13", "4.10"),
    "enveloped": ("4.13.1", "4.10"),
    "semantic": ("5.2.1", "5.3.1"),
    "related": ("5.3", "n/a"),  # 2.0 documents only
    "refresh": ("5.4", "5.5"),
    "terms": ("5.5", "5.6"),
    "evidence": ("5.6", "5.7"),
}

# An absolute URL (any scheme: https:, did:, urn:, data:): RFC 3986 scheme, then no white
# space, no control character and none of the characters RFC 3987 excludes from IRIs.
_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f-\x9f]+")
_BAD_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_LANGUAGE_TAG: Final = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
# XML Schema 1.1 dateTimeStamp: dateTime with a mandatory timezone.
_DATE_TIME_STAMP: Final = re.compile(
    r"(?P<year>-?(?:[1-9][0-9]{4,}|[0-9]{4}))-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)
_COMPACT_JWS: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_MAX_DEPTH: Final = 64
_LANGUAGE_VALUE_KEYS: Final = frozenset({"@value", "@language", "@direction"})
_GEN_DELIMS: Final = frozenset(":/?#[]@")
_KEYWORD_FORM: Final = re.compile(r"@[A-Za-z]+")
_NODE_KEYWORDS: Final = frozenset({"@graph", "@included", "@list", "@set"})
_KEYWORDS: Final = frozenset(
    {
        "@base", "@container", "@context", "@direction", "@graph", "@id", "@import",
        "@included", "@index", "@json", "@language", "@list", "@nest", "@none", "@prefix",
        "@propagate", "@protected", "@reverse", "@set", "@type", "@value", "@version",
        "@vocab",
    }
)  # fmt: skip


# ---------------------------------------------------------------------------- public API


def data_model_version(document: Mapping[str, Any]) -> str:
    """Return ``"2.0"`` or ``"1.1"`` from the first item of ``@context``.

    Raises DataModelError when ``document`` is not an object, has no ``@context``, or its
    first context is not a base context. A missing base context is never injected.
    """
    if not isinstance(document, Mapping):
        raise DataModelError("VC DM 2.0 §4.3: a credential or presentation is a JSON object")
    if "@context" not in document:
        raise DataModelError("VC DM 2.0 §4.3: @context is missing (it is never injected)")
    context = document["@context"]
    items = context if isinstance(context, list) else [context]
    first = items[0] if items else None
    if first == CONTEXT_VC_V2:
        return "2.0"
    if first == CONTEXT_VC_V1:
        return "1.1"
    if CONTEXT_VC_V2 in items or CONTEXT_VC_V1 in items:
        raise DataModelError("VC DM 2.0 §4.3: the base context must be the first @context item")
    raise DataModelError(f"VC DM 2.0 §4.3: @context does not start with {CONTEXT_VC_V2}")


def is_presentation(document: Mapping[str, Any]) -> bool:
    """Whether ``type`` names ``VerifiablePresentation`` (or the enveloped form).

    Chooses the validator to call; it validates nothing and never raises.
    """
    if not isinstance(document, Mapping):
        return False
    return any(
        value in ("VerifiablePresentation", "EnvelopedVerifiablePresentation")
        for value in _as_list(document.get("type"))
    )


def validate_credential(document: Mapping[str, Any]) -> None:
    """Check every data-model rule for a verifiable credential (2.0, or 1.1 by context).

    The document is complete as issued: ``issuer`` is required (an issuer fills it in
    before validating). Raises DataModelError naming the first broken rule, ContextError
    when a context URL is not bundled.
    """
    spec = _Spec(data_model_version(document))
    _check_context(spec, document, allow_string=spec.version == "1.1")
    _check_id(spec, document, "")
    _check_types(spec, document, "", "types", required="VerifiableCredential")
    if spec.version == "2.0":
        _check_language_values(spec, document, "")
    _check_issuer(spec, document)
    _check_subjects(spec, document)
    _check_validity(spec, document)
    v2 = spec.version == "2.0"
    # VC DM 2.0 §4.10, §4.11, §5.4 / 1.1 §4.9, §5.4, §5.5: which members need an id.
    _check_typed_objects(spec, document, "credentialStatus", "status", id_required=not v2)
    _check_typed_objects(spec, document, "credentialSchema", "schemas", id_required=True)
    _check_typed_objects(spec, document, "proof", "securing", id_required=False)
    if v2:
        _check_related_resources(spec, document)
    _check_typed_objects(spec, document, "refreshService", "refresh", id_required=not v2)
    _check_typed_objects(spec, document, "termsOfUse", "terms", id_required=False)
    _check_typed_objects(spec, document, "evidence", "evidence", id_required=False)
    _check_json_ld(spec, document, skip=frozenset())


def validate_presentation(document: Mapping[str, Any]) -> None:
    """Check a verifiable presentation and, in full, every credential embedded in it.

    An ``EnvelopedVerifiableCredential`` (or an enveloped presentation) is checked by
    shape only: its payload belongs to its securing mechanism. An error about an embedded
    credential is prefixed ``verifiableCredential[i]:``. Raises as validate_credential.
    """
    spec = _Spec(data_model_version(document))
    if _has_type(document, "EnvelopedVerifiablePresentation"):
        _check_enveloped(document, "EnvelopedVerifiablePresentation")
        return
    _check_context(spec, document, allow_string=spec.version == "1.1")
    _check_id(spec, document, "")
    _check_types(spec, document, "", "types", required="VerifiablePresentation")
    if "holder" in document:  # VC DM 2.0 §4.13
        _check_reference(spec, document, "holder", "presentations")
    credentials = _embedded_credentials(spec, document)
    _check_typed_objects(spec, document, "termsOfUse", "terms", id_required=False)
    _check_typed_objects(spec, document, "proof", "securing", id_required=False)
    # Each embedded credential carries its own contexts (the 2.0 base context scopes
    # verifiableCredential with "@context": null), so it is walked on its own below.
    _check_json_ld(spec, document, skip=frozenset({"verifiableCredential"}))
    for index, credential in credentials:
        try:
            if _has_type(credential, "EnvelopedVerifiableCredential"):
                _check_enveloped(credential, "EnvelopedVerifiableCredential")
            else:
                validate_credential(credential)
        except DataModelError as error:
            raise DataModelError(f"verifiableCredential[{index}]: {error}") from error


def parse_datetime(value: str) -> datetime:
    """Parse an XML Schema 1.1 ``dateTimeStamp`` into an aware datetime.

    The grammar is ``[-]YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)``: a timezone is
    required, ``24:00:00`` is the next midnight, fractions beyond microseconds are
    truncated. The same grammar serves VC 1.1's ``issuanceDate`` and ``expirationDate``:
    1.1 types them ``xsd:dateTime``, whose timezone is optional, but a time without one
    cannot be compared with a clock without guessing, so it is refused for 1.1 as well.
    Years outside 0001–9999 are refused (Python cannot represent them). Raises
    DataModelError.
    """
    if not isinstance(value, str):
        raise DataModelError(f"{_show(value)} is not an XML Schema dateTimeStamp: not a string")
    match = _DATE_TIME_STAMP.fullmatch(value)
    if match is None:
        raise DataModelError(
            f"{_show(value)} is not an XML Schema dateTimeStamp: expected "
            "YYYY-MM-DDThh:mm:ss[.fraction] and a timezone (Z or ±hh:mm)"
        )
    year = int(match["year"])
    if not 1 <= year <= 9999:
        raise DataModelError(f"{_show(value)}: year {year} is outside 0001–9999")
    hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"])
    fraction = match["fraction"] or ""
    end_of_day = hour == 24 and minute == 0 and second == 0 and fraction.strip("0") == ""
    if (hour > 23 and not end_of_day) or minute > 59 or second > 59:
        raise DataModelError(f"{_show(value)} is not an XML Schema dateTimeStamp: bad time")
    zone = match["zone"]
    offset = timedelta(0)
    if zone != "Z":
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if minutes > 59 or hours > 14 or (hours == 14 and minutes != 0):
            raise DataModelError(f"{_show(value)}: timezone {zone} is outside ±14:00")
        offset = timedelta(hours=hours, minutes=minutes) * (-1 if zone[0] == "-" else 1)
    try:
        parsed = datetime(
            year,
            int(match["month"]),
            int(match["day"]),
            0 if end_of_day else hour,
            minute,
            second,
            int(fraction[:6].ljust(6, "0")),
            tzinfo=UTC if zone == "Z" else timezone(offset),
        )
        return parsed + timedelta(days=1) if end_of_day else parsed
    except (ValueError, OverflowError) as error:
        raise DataModelError(f"{_show(value)} is not a date: {error}") from error


# ------------------------------------------------------------------------ structural rules


@dataclass(frozen=True)
class _Spec:
    """The version a document follows, which decides the section numbers cited."""

    version: str

    def fail(self, rule: str, reason: str) -> NoReturn:
        two, one = _SECTIONS[rule]
        section = two if self.version == "2.0" else one
        raise DataModelError(f"VC DM {self.version} §{section}: {reason}")


def _check_context(spec: _Spec, document: Mapping[str, Any], *, allow_string: bool) -> None:
    # VC DM 2.0 §4.3: an ordered set, base context first, then URLs and/or objects. 1.1
    # (and the 2.0 spec's own enveloped examples) also write a lone base context as a string.
    context = document["@context"]
    if isinstance(context, str) and allow_string:
        return
    if not isinstance(context, list):
        spec.fail("contexts", "@context must be an array whose first item is the base context")
    for index, item in enumerate(context[1:], start=1):
        if isinstance(item, str):
            if not _is_url(item):
                spec.fail("contexts", f"@context[{index}] {_show(item)} is not a URL")
        elif not isinstance(item, Mapping):
            spec.fail("contexts", f"@context[{index}] is neither a URL nor an object")


def _check_id(spec: _Spec, node: Mapping[str, Any], path: str, rule: str = "identifiers") -> None:
    # VC DM 2.0 §4.4: when present, id is one URL (any scheme: https:, did:, urn:, …).
    if "id" not in node:
        return
    value = node["id"]
    where = _join(path, "id")
    if isinstance(value, list):
        spec.fail(rule, f"{where} must be a single URL, not {len(value)} values")
    if not _is_url(value):
        spec.fail(rule, f"{where} {_show(value)} is not a URL")


def _check_types(
    spec: _Spec, node: Mapping[str, Any], path: str, rule: str, *, required: str | None = None
) -> None:
    # VC DM 2.0 §4.5: type is present, one or more strings (terms or URLs).
    where = _join(path, "type")
    if "type" not in node:
        spec.fail(rule, f"{where} is missing")
    types = _as_list(node["type"])
    if not types:
        spec.fail(rule, f"{where} is empty")
    for value in types:
        if not isinstance(value, str) or not value:
            spec.fail(rule, f"{where} values must be non-empty strings, not {_show(value)}")
    if required is not None and required not in types:
        spec.fail(rule, f"{where} must include {required!r}")


def _check_language_values(spec: _Spec, node: Mapping[str, Any], path: str) -> None:
    # VC DM 2.0 §4.6: name and description are strings or language value objects, which
    # hold @value, @language and @direction and nothing else (§11.1).
    for key in ("name", "description"):
        if key not in node:
            continue
        where = _join(path, key)
        values = _as_list(node[key])
        if not values:
            spec.fail("names", f"{where} is empty")
        for value in values:
            if isinstance(value, str):
                continue
            if not isinstance(value, Mapping):
                spec.fail("names", f"{where} must be a string or a language value object")
            extra = sorted(set(value) - _LANGUAGE_VALUE_KEYS)
            if extra:
                spec.fail("names", f"{where} has {extra}: only @value, @language, @direction")
            if not isinstance(value.get("@value"), str):
                spec.fail("names", f"{where} @value must be a string")
            language = value.get("@language")
            if "@language" in value and not (
                isinstance(language, str) and _LANGUAGE_TAG.fullmatch(language)
            ):
                spec.fail("names", f"{where} @language {_show(language)} is not a language tag")
            if "@direction" in value and value["@direction"] not in ("ltr", "rtl"):
                spec.fail("names", f"{where} @direction must be 'ltr' or 'rtl'")


def _check_issuer(spec: _Spec, document: Mapping[str, Any]) -> None:
    # VC DM 2.0 §4.7: a URL, or an object whose id is a URL.
    if "issuer" not in document:
        spec.fail("issuer", "issuer is missing")
    issuer = _check_reference(spec, document, "issuer", "issuer")
    if issuer is not None and spec.version == "2.0":
        _check_language_values(spec, issuer, "issuer")


def _check_reference(
    spec: _Spec, document: Mapping[str, Any], key: str, rule: str
) -> Mapping[str, Any] | None:
    # The issuer (§4.7) and the holder (§4.13): a URL, or an object whose id is a URL.
    # Returns the object form, for its further rules.
    value = document[key]
    if isinstance(value, str):
        if not _is_url(value):
            spec.fail(rule, f"{key} {_show(value)} is not a URL")
        return None
    if not isinstance(value, Mapping) or "id" not in value:
        spec.fail(rule, f"{key} must be a URL or an object with an id")
    _check_id(spec, value, key, rule)
    return value


def _check_subjects(spec: _Spec, document: Mapping[str, Any]) -> None:
    # VC DM 2.0 §4.8: one or more objects, each the subject of at least one claim.
    if "credentialSubject" not in document:
        spec.fail("subject", "credentialSubject is missing")
    subjects = _as_list(document["credentialSubject"])
    if not subjects:
        spec.fail("subject", "credentialSubject is empty")
    for index, subject in enumerate(subjects):
        where = _item("credentialSubject", index, len(subjects))
        if not isinstance(subject, Mapping):
            spec.fail("subject", f"{where} must be an object")
        if not subject:
            spec.fail("subject", f"{where} makes no claim (an empty object)")
        _check_id(spec, subject, where)


def _check_validity(spec: _Spec, document: Mapping[str, Any]) -> None:
    if spec.version == "1.1":
        # VC DM 1.1 §4.6: issuanceDate is required; §4.8: expirationDate is optional.
        if "issuanceDate" not in document:
            spec.fail("validity", "issuanceDate is missing")
        _date(spec, document, "issuanceDate", "validity")
        _date(spec, document, "expirationDate", "expiration")
        return
    # VC DM 2.0 §4.9: dateTimeStamps, and validFrom is not after validUntil.
    valid_from = _date(spec, document, "validFrom", "validity")
    valid_until = _date(spec, document, "validUntil", "validity")
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        spec.fail("validity", "validUntil is before validFrom")


def _date(spec: _Spec, document: Mapping[str, Any], key: str, rule: str) -> datetime | None:
    if key not in document:
        return None
    try:
        return parse_datetime(document[key])
    except DataModelError as error:
        spec.fail(rule, f"{key} {error}")


def _check_typed_objects(
    spec: _Spec, document: Mapping[str, Any], key: str, rule: str, *, id_required: bool
) -> None:
    # Status (§4.10), schemas (§4.11), proofs (§4.12), refresh (§5.4), terms of use (§5.5)
    # and evidence (§5.6): one or more objects, each with a type; an id, where present
    # (or required), is a URL.
    if key not in document:
        return
    items = _as_list(document[key])
    if not items:
        spec.fail(rule, f"{key} is empty")
    for index, item in enumerate(items):
        where = _item(key, index, len(items))
        if not isinstance(item, Mapping):
            spec.fail(rule, f"{where} must be an object")
        _check_types(spec, item, where, rule)
        if id_required and "id" not in item:
            spec.fail(rule, f"{where} has no id")
        _check_id(spec, item, where, rule)


def _check_related_resources(spec: _Spec, document: Mapping[str, Any]) -> None:
    # VC DM 2.0 §5.3: each related resource has a URL id and a digest of its content.
    if "relatedResource" not in document:
        return
    items = _as_list(document["relatedResource"])
    for index, item in enumerate(items):
        where = _item("relatedResource", index, len(items))
        if not isinstance(item, Mapping) or "id" not in item:
            spec.fail("related", f"{where} must be an object with an id")
        _check_id(spec, item, where, "related")
        if "digestSRI" not in item and "digestMultibase" not in item:
            spec.fail("related", f"{where} has neither digestSRI nor digestMultibase")


def _embedded_credentials(
    spec: _Spec, document: Mapping[str, Any]
) -> list[tuple[int, Mapping[str, Any]]]:
    # VC DM 2.0 §4.13: one or more objects (never strings, numbers or URLs), each a
    # verifiable credential or an enveloped verifiable credential. VC DM 1.1 §4.10 also
    # admits credentials "in a cryptographically verifiable format": a compact JWT (the
    # VP-JWTs of 1.1 §6.3.1 carry their credentials so), checked here by shape only.
    if "verifiableCredential" not in document:
        return []
    entries = _as_list(document["verifiableCredential"])
    if not entries:
        spec.fail("presentations", "verifiableCredential is empty")
    objects: list[tuple[int, Mapping[str, Any]]] = []
    for index, entry in enumerate(entries):
        where = f"verifiableCredential[{index}]"
        if spec.version == "1.1" and isinstance(entry, str) and _COMPACT_JWS.fullmatch(entry):
            continue
        if not isinstance(entry, Mapping):
            spec.fail("presentations", f"{where} must be an object, not {_show(entry)}")
        if not (
            _has_type(entry, "VerifiableCredential")
            or _has_type(entry, "EnvelopedVerifiableCredential")
        ):
            spec.fail(
                "presentations",
                f"{where} is neither a VerifiableCredential nor an EnvelopedVerifiableCredential",
            )
        objects.append((index, entry))
    return objects


def _check_enveloped(document: Mapping[str, Any], kind: str) -> None:
    # VC DM 2.0 §4.13.1/§4.13.2: the envelope's context, type, and a data: URL id holding
    # the secured payload, which only its securing mechanism can open.
    spec = _Spec(data_model_version(document))
    if spec.version != "2.0":
        spec.fail("enveloped", f"{kind} is defined by VC DM 2.0 only")
    _check_context(spec, document, allow_string=True)
    _check_types(spec, document, "", "enveloped", required=kind)
    value = document.get("id")
    if not (_is_url(value) and str(value)[:5].lower() == "data:"):
        spec.fail("enveloped", f"the id of an {kind} must be a data: URL")


# ------------------------------------------------------------------ JSON-LD context rules


@dataclass(frozen=True)
class _Term:
    """A term definition, reduced to what the type and protection rules need."""

    iri: str | None  # None: the term is mapped to null (JSON-LD drops it)
    protected: bool
    prefix: bool  # may serve as the prefix of a compact IRI
    scoped: bool
    scope: Any  # the term's own @context (null resets), when scoped
    literal: bool  # "@type": "@json": the value is a JSON literal, not nodes
    signature: str  # everything but @protected, to compare redefinitions


@dataclass(frozen=True)
class _Context:
    terms: Mapping[str, _Term]
    vocab: str | None
    base: str | None
    previous: _Context | None  # the context to revert to in nested nodes (type scopes)


_EMPTY: Final = _Context(terms={}, vocab=None, base=None, previous=None)


def _process(
    spec: _Spec,
    active: _Context,
    local: Any,
    *,
    override_protected: bool = False,
    propagate: bool = True,
    remote: tuple[str, ...] = (),
    validate: bool = True,
) -> _Context:
    """JSON-LD 1.1 Context Processing (§4.1 of the API), for the parts the rules use.

    ``validate``: process the scoped contexts of new term definitions now, as JSON-LD
    does, so that a broken one fails even if unused. Off for bundled contexts (published
    and tested) and for scoped contexts applied during the walk (checked when defined).
    """
    if isinstance(local, Mapping) and isinstance(local.get("@propagate"), bool):
        propagate = local["@propagate"]  # checked to be a boolean by _Definer
    result = active
    for item in local if isinstance(local, list) else [local]:
        if item is None:
            if not override_protected and any(t.protected for t in result.terms.values()):
                spec.fail("semantic", "a null @context would erase protected terms")
            result = replace(_EMPTY, previous=result.previous)
        elif isinstance(item, str):
            if not _is_url(item):
                spec.fail("contexts", f"context {_show(item)} is not a URL")
            if item in remote:
                spec.fail("contexts", f"context {item} includes itself")
            loaded = bundled_context(item).get("@context")  # ContextError when not bundled
            result = _process(spec, result, loaded, remote=(*remote, item), validate=False)
        elif isinstance(item, Mapping):
            result = _Definer(spec, result, item, override_protected, validate).run()
        else:
            spec.fail("contexts", f"a context must be a URL or an object, not {_show(item)}")
    if not propagate and result.previous is None:
        result = replace(result, previous=active)
    return result


class _Definer:
    """Creates the term definitions of one local context object, in dependency order."""

    def __init__(
        self,
        spec: _Spec,
        active: _Context,
        local: Mapping[str, Any],
        override: bool,
        validate: bool,
    ) -> None:
        self.spec = spec
        self.local = dict(local)
        self.override = override
        self.validate = validate
        self.terms: dict[str, _Term] = dict(active.terms)
        self.vocab = active.vocab
        self.base = active.base
        self.previous = active.previous
        self.defined: dict[str, bool] = {}

    def run(self) -> _Context:
        if "@import" in self.local:
            url = self.local.pop("@import")
            imported = bundled_context(url).get("@context") if _is_url(url) else None
            if not isinstance(imported, Mapping):
                self.spec.fail("contexts", f"@import {_show(url)} is not a context object")
            self.local = {**imported, **self.local}
        if "@base" in self.local:
            base = self.local["@base"]
            if base is not None and not isinstance(base, str):
                self.spec.fail("contexts", "@base must be a string or null")
            self.base = None if base is None else urljoin(self.base or "", base)
        if "@vocab" in self.local:
            vocab = self.local["@vocab"]
            if vocab is not None:
                # Expanded against the context so far: local terms are not defined yet.
                if isinstance(vocab, str):
                    vocab = _expand_iri(self.terms, self.vocab, self.base, vocab)
                if not _is_url(vocab):
                    self.spec.fail("contexts", f"@vocab {_show(self.local['@vocab'])} is not a URL")
            self.vocab = vocab
        protected = self.local.get("@protected", False)
        if not isinstance(protected, bool):
            self.spec.fail("contexts", "@protected must be true or false")
        if not isinstance(self.local.get("@propagate", True), bool):
            self.spec.fail("contexts", "@propagate must be true or false")
        for term in self.local:
            if not term.startswith("@"):  # keywords and keyword-like keys are not terms
                self.define(term, protected)
        return _Context(self.terms, self.vocab, self.base, self.previous)

    def define(self, term: str, protected_default: bool) -> None:
        # JSON-LD 1.1 API §4.2 Create Term Definition, reduced.
        state = self.defined.get(term)
        if state:
            return
        if state is False:
            self.spec.fail("contexts", f"the context defines {term!r} through itself")
        self.defined[term] = False
        value = self.local[term]
        if value is None or isinstance(value, str):
            raw: dict[str, Any] = {"@id": value}
        elif isinstance(value, Mapping):
            raw = dict(value)
        else:
            self.spec.fail("contexts", f"the definition of {term!r} is not a string or object")
        protected = raw.get("@protected", protected_default)
        # JSON-LD 1.1 §4.2 step 14: an @id equal to the term itself counts as no @id.
        explicit = ("@id" in raw and raw["@id"] != term) or "@reverse" in raw
        target = raw.get("@id", raw.get("@reverse")) if explicit else term
        iri: str | None = None
        if target is not None:
            if not isinstance(target, str):
                self.spec.fail("contexts", f"the context maps {term!r} to {_show(target)}")
            if _KEYWORD_FORM.fullmatch(target) and target not in _KEYWORDS:
                self.defined[term] = True  # JSON-LD ignores such a term (step 14.2.2)
                return
            if explicit or ":" in term[1:] or "/" in term:
                iri = self.expand(target, itself=None if explicit else term)
            elif self.vocab is not None:
                iri = self.vocab + term
            if iri == "@context" or not (
                iri in _KEYWORDS or _is_url(iri) or str(iri).startswith("_:")
            ):
                self.spec.fail(
                    "contexts",
                    f"the context maps {term!r} to {_show(target)}, which is not a URL "
                    "(JSON-LD invalid IRI mapping)",
                )
        self.check_options(term, raw, iri)
        definition = _Term(
            iri=iri,
            protected=protected is True,
            prefix=(
                ":" not in term
                and "/" not in term
                and iri is not None
                and (
                    raw.get("@prefix") is True
                    or (isinstance(value, str) and iri[-1] in _GEN_DELIMS)
                )
            ),
            scoped="@context" in raw,
            scope=raw.get("@context"),
            literal=raw.get("@type") == "@json",
            signature=json.dumps(
                [iri, {k: v for k, v in raw.items() if k not in ("@id", "@protected")}],
                sort_keys=True,
            ),
        )
        previous = self.terms.get(term)
        if previous is not None and previous.protected and not self.override:
            # VC DM 2.0 §5.2.1 and JSON-LD 1.1 §4.1.11: a protected term keeps its meaning.
            if previous.signature != definition.signature:
                self.spec.fail("semantic", f"a context redefines the protected term {term!r}")
            definition = previous
        self.terms[term] = definition
        self.defined[term] = True

    def check_options(self, term: str, raw: Mapping[str, Any], iri: str | None) -> None:
        # JSON-LD 1.1 API §4.2 steps 12, 20, 21: type mapping, prefix flag, scoped context.
        kind = raw.get("@type")
        if "@type" in raw and kind not in ("@id", "@json", "@none", "@vocab"):
            mapped = self.expand(kind) if isinstance(kind, str) else None
            if not _is_url(mapped) or str(mapped).startswith("_:"):
                self.spec.fail("contexts", f"the @type of {term!r} is not a URL (JSON-LD)")
        prefix = raw.get("@prefix", False)
        if not isinstance(prefix, bool) or (prefix and (":" in term or "/" in term)):
            self.spec.fail("contexts", f"{term!r} cannot be a prefix (JSON-LD)")
        if prefix and iri in _KEYWORDS:
            self.spec.fail("contexts", f"{term!r} maps to a keyword and cannot be a prefix")
        if "@context" in raw and self.validate:
            here = _Context(self.terms, self.vocab, self.base, None)
            _process(self.spec, here, raw["@context"], override_protected=True)

    def expand(self, value: str, *, itself: str | None = None) -> str | None:
        """Expand ``value`` while defining, first, the local terms it depends on.

        ``itself`` is a term being defined by its own name (a compact IRI or a URL): its
        previous definition must not be looked up, and it must not wait for itself.
        """

        def ensure(term: str) -> None:
            if term in self.local and not self.defined.get(term) and not term.startswith("@"):
                self.define(term, self.local.get("@protected", False) is True)

        return _expand_iri(self.terms, self.vocab, self.base, value, ensure, itself=itself)


def _expand_iri(
    terms: Mapping[str, _Term],
    vocab: str | None,
    base: str | None,
    value: str,
    ensure: Callable[[str], None] | None = None,
    *,
    itself: str | None = None,
) -> str | None:
    """JSON-LD 1.1 IRI Expansion with vocab true; ``ensure`` defines pending local terms."""
    if value.startswith("@"):
        return value if value in _KEYWORDS else None
    if value != itself:
        if ensure is not None:
            ensure(value)
        if value in terms:
            return terms[value].iri
    if ":" in value[1:]:
        prefix, suffix = value.split(":", 1)
        if prefix == "_" or suffix.startswith("//"):
            return value
        if ensure is not None:
            ensure(prefix)
        definition = terms.get(prefix)
        if definition is not None and definition.iri is not None and definition.prefix:
            return definition.iri + suffix
        if _SCHEME.match(value):
            return value
    if vocab is not None:
        return vocab + value
    if base is not None:
        return urljoin(base, value)
    return value


def _check_json_ld(spec: _Spec, document: Mapping[str, Any], *, skip: frozenset[str]) -> None:
    _walk(spec, document, _EMPTY, False, None, "", 0, skip)


def _walk(
    spec: _Spec,
    node: Mapping[str, Any],
    active: _Context,
    scoped: bool,
    scope: Any,
    path: str,
    depth: int,
    skip: frozenset[str] = frozenset(),
) -> None:
    """Visit a node as JSON-LD 1.1 Expansion would, checking its types and ids."""
    if depth > _MAX_DEPTH:
        raise LimitExceededError(f"{path or 'the document'} is nested over {_MAX_DEPTH} deep")
    if "@value" in node:
        return  # a value object is a literal
    # JSON-LD 1.1 API §5.1.2 steps 7-9: revert a type-scoped context that does not
    # propagate, then apply the property-scoped context, then the embedded one.
    context = active.previous or active
    if scoped:
        context = _process(spec, context, scope, override_protected=True, validate=False)
    if "@context" in node:
        context = _process(spec, context, node["@context"])
    # Step 11: types expand in the context before their own scoped contexts apply.
    before_types = context
    type_keys = [key for key in node if _maps_to(before_types, key, "@type")]
    where = path or "the document"
    types: set[str] = set()
    for value in (value for key in type_keys for value in _as_list(node[key])):
        if not isinstance(value, str):
            spec.fail("types", f"a type of {where} is not a string: {_show(value)}")
        types.add(value)
    for value in sorted(types):
        iri = _expand_iri(before_types.terms, before_types.vocab, before_types.base, value)
        # VC DM 2.0 §4.5: every type is a term that maps to a URL, or a URL.
        if not _is_url(iri) or str(iri).startswith("_:"):
            spec.fail("types", f"type {value!r} of {where} does not expand to a URL")
        definition = before_types.terms.get(value)
        if definition is not None and definition.scoped:
            context = _process(spec, context, definition.scope, propagate=False, validate=False)
    for key, value in node.items():
        if key == "@context" or key in type_keys or (depth == 0 and key in skip):
            continue
        child_path = _join(path, key)
        if _maps_to(context, key, "@id"):
            if not _is_url(value):
                spec.fail("identifiers", f"{child_path} {_show(value)} is not a single URL")
            continue
        definition = context.terms.get(key)
        iri = (
            definition.iri
            if definition is not None
            else _expand_iri(context.terms, context.vocab, context.base, key)
        )
        if iri is None or (definition is not None and definition.literal):
            continue  # dropped by expansion, or a JSON literal
        if iri.startswith("@"):
            if iri not in _NODE_KEYWORDS:
                continue
        elif not _is_url(iri):
            continue  # a key that expands to no IRI is dropped by expansion
        child_scoped = definition is not None and definition.scoped
        child_scope = definition.scope if definition is not None else None
        for child in _nodes(value):
            _walk(spec, child, context, child_scoped, child_scope, child_path, depth + 1)


def _maps_to(context: _Context, key: str, keyword: str) -> bool:
    definition = context.terms.get(key)
    return key == keyword or (definition is not None and definition.iri == keyword)


def _nodes(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield from _nodes(item)
    elif isinstance(value, Mapping):
        if "@list" in value or "@set" in value:
            yield from _nodes(value.get("@list", value.get("@set")))
        else:
            yield value


# --------------------------------------------------------------------------------- helpers


def _is_url(value: object) -> bool:
    return (
        isinstance(value, str)
        and _URL.fullmatch(value) is not None
        and _BAD_PERCENT.search(value) is None
    )


def _has_type(node: Mapping[str, Any], name: str) -> bool:
    return name in _as_list(node.get("type"))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _item(key: str, index: int, count: int) -> str:
    return key if count == 1 else f"{key}[{index}]"


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
