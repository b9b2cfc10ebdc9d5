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
   (§4.5). The context processing lives in :mod:`credentials._jsonld_context`.
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

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final, NoReturn

from ._jsonld_context import as_list, check_json_ld, is_url, join_path, show
from .errors import DataModelError
from .loader import CONTEXT_VC_V1, CONTEXT_VC_V2

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

_LANGUAGE_TAG: Final = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
# XML Schema 1.1 dateTimeStamp: dateTime with a mandatory timezone.
_DATE_TIME_STAMP: Final = re.compile(
    r"(?P<year>-?(?:[1-9][0-9]{4,}|[0-9]{4}))-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)
_COMPACT_JWS: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_LANGUAGE_VALUE_KEYS: Final = frozenset({"@value", "@language", "@direction"})


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
        for value in as_list(document.get("type"))
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
    check_json_ld(spec, document, skip=frozenset())


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
    check_json_ld(spec, document, skip=frozenset({"verifiableCredential"}))
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
        raise DataModelError(f"{show(value)} is not an XML Schema dateTimeStamp: not a string")
    match = _DATE_TIME_STAMP.fullmatch(value)
    if match is None:
        raise DataModelError(
            f"{show(value)} is not an XML Schema dateTimeStamp: expected "
            "YYYY-MM-DDThh:mm:ss[.fraction] and a timezone (Z or ±hh:mm)"
        )
    year = int(match["year"])
    if not 1 <= year <= 9999:
        raise DataModelError(f"{show(value)}: year {year} is outside 0001–9999")
    hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"])
    fraction = match["fraction"] or ""
    end_of_day = hour == 24 and minute == 0 and second == 0 and fraction.strip("0") == ""
    if (hour > 23 and not end_of_day) or minute > 59 or second > 59:
        raise DataModelError(f"{show(value)} is not an XML Schema dateTimeStamp: bad time")
    zone = match["zone"]
    offset = timedelta(0)
    if zone != "Z":
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if minutes > 59 or hours > 14 or (hours == 14 and minutes != 0):
            raise DataModelError(f"{show(value)}: timezone {zone} is outside ±14:00")
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
        raise DataModelError(f"{show(value)} is not a date: {error}") from error


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
            if not is_url(item):
                spec.fail("contexts", f"@context[{index}] {show(item)} is not a URL")
        elif not isinstance(item, Mapping):
            spec.fail("contexts", f"@context[{index}] is neither a URL nor an object")


def _check_id(spec: _Spec, node: Mapping[str, Any], path: str, rule: str = "identifiers") -> None:
    # VC DM 2.0 §4.4: when present, id is one URL (any scheme: https:, did:, urn:, …).
    if "id" not in node:
        return
    value = node["id"]
    where = join_path(path, "id")
    if isinstance(value, list):
        spec.fail(rule, f"{where} must be a single URL, not {len(value)} values")
    if not is_url(value):
        spec.fail(rule, f"{where} {show(value)} is not a URL")


def _check_types(
    spec: _Spec, node: Mapping[str, Any], path: str, rule: str, *, required: str | None = None
) -> None:
    # VC DM 2.0 §4.5: type is present, one or more strings (terms or URLs).
    where = join_path(path, "type")
    if "type" not in node:
        spec.fail(rule, f"{where} is missing")
    types = as_list(node["type"])
    if not types:
        spec.fail(rule, f"{where} is empty")
    for value in types:
        if not isinstance(value, str) or not value:
            spec.fail(rule, f"{where} values must be non-empty strings, not {show(value)}")
    if required is not None and required not in types:
        spec.fail(rule, f"{where} must include {required!r}")


def _check_language_values(spec: _Spec, node: Mapping[str, Any], path: str) -> None:
    # VC DM 2.0 §4.6: name and description are strings or language value objects, which
    # hold @value, @language and @direction and nothing else (§11.1).
    for key in ("name", "description"):
        if key not in node:
            continue
        where = join_path(path, key)
        values = as_list(node[key])
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
                spec.fail("names", f"{where} @language {show(language)} is not a language tag")
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
        if not is_url(value):
            spec.fail(rule, f"{key} {show(value)} is not a URL")
        return None
    if not isinstance(value, Mapping) or "id" not in value:
        spec.fail(rule, f"{key} must be a URL or an object with an id")
    _check_id(spec, value, key, rule)
    return value


def _check_subjects(spec: _Spec, document: Mapping[str, Any]) -> None:
    # VC DM 2.0 §4.8: one or more objects, each the subject of at least one claim.
    if "credentialSubject" not in document:
        spec.fail("subject", "credentialSubject is missing")
    subjects = as_list(document["credentialSubject"])
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
    items = as_list(document[key])
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
    items = as_list(document["relatedResource"])
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
    entries = as_list(document["verifiableCredential"])
    if not entries:
        spec.fail("presentations", "verifiableCredential is empty")
    objects: list[tuple[int, Mapping[str, Any]]] = []
    for index, entry in enumerate(entries):
        where = f"verifiableCredential[{index}]"
        if spec.version == "1.1" and isinstance(entry, str) and _COMPACT_JWS.fullmatch(entry):
            continue
        if not isinstance(entry, Mapping):
            spec.fail("presentations", f"{where} must be an object, not {show(entry)}")
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
    if not (is_url(value) and str(value)[:5].lower() == "data:"):
        spec.fail("enveloped", f"the id of an {kind} must be a data: URL")


# --------------------------------------------------------------------------------- helpers


def _has_type(node: Mapping[str, Any], name: str) -> bool:
    return name in as_list(node.get("type"))


def _item(key: str, index: int, count: int) -> str:
    return key if count == 1 else f"{key}[{index}]"
