"""One verifier for every format we read: JSON-LD credentials and presentations with a
Data Integrity or Ed25519Signature2018/2020 proof, and VC-JWT / VP-JWT.

Checks run in a fixed order (``specs/verification.md``), each recorded in the report:

1. ``parse``          the input is a credential, presentation or JWT (done by the caller
                      through :func:`credentials.inputs.parse_input`, recorded here)
2. ``data-model``     VC data model 2.0 (or 1.1) rules (:mod:`credentials.datamodel`)
3. ``contexts``       every ``@context`` URL is bundled; nothing is fetched
4. ``proof``          the signature verifies with the key its verification method
                      resolves to offline (an unresolvable DID fails this check)
5. ``issuer-binding`` the verification method belongs to the issuer
6. ``validity``       ``validFrom``/``validUntil`` (``issuanceDate``/``expirationDate``,
                      JWT ``nbf``/``exp``) against the injected clock

For presentations, after 2–4 on the presentation itself:

7. ``credentials``    every credential inside is verified in full (nested reports)
8. ``holder-binding`` the presentation is signed by its holder
9. ``subject-binding`` the holder is the subject of each credential inside
10. ``challenge``, ``domain``  equal to what the verifier asked for

An SD-JWT VC (``parsed.format == "sd-jwt"``) runs the checks of ``specs/sd-jwt.md`` §3
instead (:func:`credentials.sd_jwt.verify_sd_jwt`: parse, proof, issuer-binding, validity,
disclosures, holder-binding, challenge, domain), then the pluggable checks on a VC-shaped
view of its claims (:func:`credentials.sd_jwt_view.credential_view`).

Then the pluggable checks, in the order given (``status``, later ``trust``): they are
:class:`CredentialCheck` implementations supplied by the layers above, so this module
never imports them. With no status check configured, ``status`` is ``not-checked``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from . import _didkit, dataintegrity, datamodel, jws, limits
from .errors import (
    ContextError,
    CredentialError,
    DataModelError,
    DidError,
    InputError,
    ProofError,
)
from .inputs import ParsedInput, document_kind
from .loader import BUNDLED_CONTEXTS
from .report import Check, Report
from .resolver import OfflineResolver, Resolver, did_of
from .sd_jwt import SdJwtResult, verify_sd_jwt
from .sd_jwt_view import credential_view, payload_unverified

__all__ = ["CredentialCheck", "Verifier"]

Clock = Callable[[], datetime]

_DIDKIT_LD_SUITES = ("Ed25519Signature2018",)
_STATUS_LIST_TYPE = "BitstringStatusListCredential"


def _type_list(document: Mapping[str, Any]) -> list[Any]:
    kinds = document.get("type", [])
    return kinds if isinstance(kinds, list) else [kinds]


class CredentialCheck(Protocol):
    """A check supplied by an upper layer (revocation status, trust), run after the
    built-in ones on every credential. It must not raise for bad data: it reports."""

    name: str

    def check(self, credential: Mapping[str, Any], *, now: datetime) -> Check: ...


def _system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What the proof step learnt: the signer's DID, or why it could not be learnt."""

    check: Check
    signer: str | None = None
    challenge: str | None = None
    domain: str | None = None
    claims: Mapping[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class Verifier:
    """Verifies offline. Effects are injected: DID resolution, the clock, extra checks."""

    resolver: Resolver = field(default_factory=OfflineResolver)
    clock: Clock = _system_clock
    checks: Sequence[CredentialCheck] = ()

    # -- entry points -------------------------------------------------------------------

    def verify(
        self,
        parsed: ParsedInput,
        *,
        challenge: str | None = None,
        domain: str | None = None,
    ) -> Report:
        """Verify a parsed input; every failure is in the report, nothing raises."""
        now = self.clock()
        parse = Check.passed("parse", parsed.description)
        if parsed.format == "sd-jwt":
            assert parsed.token is not None
            return self.verify_sd_jwt(parsed.token, challenge=challenge, domain=domain)[0]
        if parsed.format == "jwt":
            assert parsed.token is not None
            return self._verify_jwt(parse, parsed.token, now, challenge, domain)
        assert parsed.document is not None
        if document_kind(parsed.document) == "presentation":
            return self._verify_presentation(parse, parsed.document, now, challenge, domain)
        return self._verify_credential(parse, parsed.document, now)

    def verify_sd_jwt(
        self, token: str, *, challenge: str | None, domain: str | None
    ) -> tuple[Report, SdJwtResult]:
        """Verify an SD-JWT VC (or SD-JWT+KB) with this verifier's resolver and clock: the
        challenge is the KB-JWT ``nonce``, the domain its ``aud``. Returns the report (the
        SD-JWT checks, then the plug-in checks) and the result, whose ``disclosed`` says
        what the holder revealed. Raises MalformedInputError for text that is not one."""
        now = self.clock()
        result = verify_sd_jwt(
            token, resolver=self.resolver, now=now, nonce=challenge, audience=domain
        )
        # The plug-ins read VCs: give them the issuer-signed claims (never a disclosure,
        # so the issuer, subject and status they see are the ones the issuer signed).
        view = credential_view(payload_unverified(token))
        checks = (*result.checks, *self._extra(view, now))
        # verified still requires proof, issuer-binding and holder-binding (Report rules).
        return Report(checks=checks, kind="sd-jwt-vc"), result

    # -- credentials --------------------------------------------------------------------

    def _verify_credential(
        self, parse: Check, document: Mapping[str, Any], now: datetime
    ) -> Report:
        checks = [parse, _data_model(document, presentation=False), _contexts(document)]
        outcome = self._ld_proof(document, "assertionMethod", checks[-1])
        checks.append(outcome.check)
        checks.append(_issuer_binding(document, outcome))
        checks.append(_validity(document, now))
        checks.extend(self._extra(document, now))
        return Report(checks=tuple(checks), kind="credential")

    def _extra(self, document: Mapping[str, Any], now: datetime) -> list[Check]:
        results = []
        if not any(c.name == "status" for c in self.checks):
            status = document.get("credentialStatus")
            detail = (
                "credential declares a status entry, but no status source is configured"
                if status
                else "credential declares no status entry; revocation cannot be checked"
            )
            results.append(Check.not_checked("status", detail))
        for extra in self.checks:
            try:
                results.append(extra.check(document, now=now))
            except CredentialError as e:
                results.append(Check.failed(extra.name, str(e)))
        return results

    def _ld_proof(self, document: Mapping[str, Any], purpose: str, contexts: Check) -> _Outcome:
        proof = document.get("proof")
        if proof is None:
            return _Outcome(Check.failed("proof", "document has no proof"))
        if contexts.status != "passed":
            return _Outcome(Check.failed("proof", f"cannot verify: {contexts.detail}"))
        first = proof[0] if isinstance(proof, list) and proof else proof
        kind = first.get("type") if isinstance(first, Mapping) else None
        try:
            # RDFC's cost guard runs inside rdfc.canonicalize and before didkit is called.
            limits.check_structure(document)
            if kind in _DIDKIT_LD_SUITES or (kind == "Ed25519Signature2020" and _is_v1(document)):
                _didkit.verify_ld(document, purpose=purpose)
                vm = str(first.get("verificationMethod", ""))
                return _Outcome(
                    Check.passed("proof", f"{kind} signature verified (didkit) with {vm}"),
                    signer=did_of(vm),
                    challenge=first.get("challenge"),
                    domain=first.get("domain"),
                )
            verified = dataintegrity.verify(document, self.resolver, expected_purpose=purpose)
        except (CredentialError, ValueError) as e:
            return _Outcome(Check.failed("proof", str(e)))
        return _Outcome(
            Check.passed("proof", f"{verified.suite} signature verified with {verified.method.id}"),
            signer=verified.method.controller,
            challenge=verified.challenge,
            domain=verified.domain,
        )

    # -- JWT ----------------------------------------------------------------------------

    def _verify_jwt(
        self,
        parse: Check,
        token: str,
        now: datetime,
        challenge: str | None,
        domain: str | None,
    ) -> Report:
        header, claims = _didkit.decode_jwt_unverified(token)  # parse_input checked it
        body = claims.get("vp") if "vp" in claims else claims.get("vc")
        if not isinstance(body, Mapping):
            return Report(checks=(Check.failed("parse", "JWT carries no vc or vp claim"),))
        checks = [parse, _data_model(body, presentation="vp" in claims), _contexts(body)]
        purpose = "authentication" if "vp" in claims else "assertionMethod"
        try:
            kid = str(header.get("kid") or claims.get("iss", ""))
            # didkit judges nbf/exp by the system clock, whatever clock we were given.
            if _jwt_in_window(claims, datetime.now(UTC)):
                _didkit.verify_jwt(token)
                how = "verified (didkit)"
            else:
                # didkit refuses such tokens with a vague reason; check the signature
                # ourselves, so that the validity check (our clock) says what is wrong.
                jws.verify_eddsa_jws(token, header, self.resolver, purpose=purpose)
                how = "verified (outside its validity period, so by Musette's JWS check)"
            outcome = _Outcome(
                Check.passed("proof", f"EdDSA JWT signature {how} with {kid}"),
                signer=did_of(kid),
                challenge=claims.get("nonce"),
                domain=claims.get("aud") if isinstance(claims.get("aud"), str) else None,
                claims=claims,
            )
        except (CredentialError, ValueError) as e:
            outcome = _Outcome(Check.failed("proof", str(e)), claims=claims)
        checks.append(outcome.check)
        iss = claims.get("iss")
        if "vp" in claims:
            return self._presentation_tail(
                checks, body, outcome, now, challenge, domain, holder=iss
            )
        checks.append(_issuer_binding(body, outcome, jwt_iss=iss))
        checks.append(_validity(body, now, claims=claims))
        checks.extend(self._extra(body, now))
        return Report(checks=tuple(checks), kind="credential")

    # -- presentations ------------------------------------------------------------------

    def _verify_presentation(
        self,
        parse: Check,
        document: Mapping[str, Any],
        now: datetime,
        challenge: str | None,
        domain: str | None,
    ) -> Report:
        checks = [parse, _data_model(document, presentation=True), _contexts(document)]
        outcome = self._ld_proof(document, "authentication", checks[-1])
        checks.append(outcome.check)
        return self._presentation_tail(
            checks, document, outcome, now, challenge, domain, holder=document.get("holder")
        )

    def _presentation_tail(
        self,
        checks: list[Check],
        document: Mapping[str, Any],
        outcome: _Outcome,
        now: datetime,
        challenge: str | None,
        domain: str | None,
        *,
        holder: Any,
    ) -> Report:
        holder_id = holder.get("id") if isinstance(holder, Mapping) else holder
        inner = document.get("verifiableCredential", [])
        inner = inner if isinstance(inner, list) else [inner]
        nested = tuple(self._inner(item, now) for item in inner)
        bad = sum(1 for r in nested if not r.verified)
        if not nested:
            checks.append(Check.failed("credentials", "presentation holds no credential"))
        elif bad:
            checks.append(Check.failed("credentials", f"{bad} of {len(nested)} credentials failed"))
        else:
            checks.append(Check.passed("credentials", f"all {len(nested)} credentials verified"))
        checks.append(_holder_binding(holder_id, outcome))
        checks.append(_subject_binding(holder_id, inner))
        checks.append(_expected("challenge", challenge, outcome.challenge))
        checks.append(_expected("domain", domain, outcome.domain))
        return Report(checks=tuple(checks), credentials=nested, kind="presentation")

    def _inner(self, item: Any, now: datetime) -> Report:
        from .inputs import parse_input  # local: avoids a cycle with transport at import

        try:
            if isinstance(item, str):
                parsed = parse_input(item)
            elif isinstance(item, Mapping):
                parsed = ParsedInput(format="jsonld", document=dict(item))
                document_kind(item)
            else:
                raise DataModelError("a verifiableCredential entry is not an object or JWT")
            if parsed.document is not None and document_kind(parsed.document) != "credential":
                raise DataModelError("a presentation may not nest a presentation")
        except CredentialError as e:
            return Report(checks=(Check.failed("parse", str(e)),))
        return self.verify(parsed)


# -- the individual checks (pure functions of the document) ---------------------------


def _is_v1(document: Mapping[str, Any]) -> bool:
    ctx = document.get("@context")
    first = ctx[0] if isinstance(ctx, list) and ctx else ctx
    return first == "https://www.w3.org/2018/credentials/v1"


def _jwt_in_window(claims: Mapping[str, Any], now: datetime) -> bool:
    stamp = now.timestamp()
    nbf, exp = claims.get("nbf"), claims.get("exp")
    if isinstance(nbf, int | float) and stamp < nbf:
        return False
    return not (isinstance(exp, int | float) and stamp > exp)


def _data_model(document: Mapping[str, Any], *, presentation: bool) -> Check:
    try:
        version = datamodel.data_model_version(document)
        if presentation:
            datamodel.validate_presentation(document)
        else:
            datamodel.validate_credential(document)
    except DataModelError as e:
        return Check.failed("data-model", str(e))
    except ContextError as e:
        # The context rules need the context; the contexts check reports the failure.
        return Check.not_checked("data-model", f"context rules not checked: {e}")
    return Check.passed("data-model", f"conforms to the VC data model {version}")


def _contexts(document: Mapping[str, Any]) -> Check:
    ctx = document.get("@context", [])
    urls = [c for c in (ctx if isinstance(ctx, list) else [ctx]) if isinstance(c, str)]
    unknown = [u for u in urls if u not in BUNDLED_CONTEXTS]
    if unknown:
        return Check.failed(
            "contexts", str(ContextError(f"context {unknown[0]!r} is not bundled (never fetched)"))
        )
    embedded = len(ctx) - len(urls) if isinstance(ctx, list) else 0
    extra = f", {embedded} embedded" if embedded else ""
    noun = "context" if len(urls) == 1 else "contexts"
    return Check.passed("contexts", f"{len(urls)} bundled {noun}{extra}")


def _issuer_id(document: Mapping[str, Any]) -> str | None:
    issuer = document.get("issuer")
    value = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return value if isinstance(value, str) else None


def _issuer_binding(
    document: Mapping[str, Any], outcome: _Outcome, *, jwt_iss: Any = None
) -> Check:
    if outcome.signer is None:
        return Check.not_checked("issuer-binding", "skipped: the proof did not verify")
    issuer = _issuer_id(document)
    if issuer is None:
        return Check.failed("issuer-binding", "credential names no issuer")
    try:
        issuer_did = did_of(issuer)
    except DidError:
        return Check.failed(
            "issuer-binding", f"issuer {issuer!r} is not a DID, so no key can be bound to it"
        )
    if issuer_did != outcome.signer:
        return Check.failed(
            "issuer-binding", f"signed by {outcome.signer}, but the issuer is {issuer_did}"
        )
    if jwt_iss is not None and jwt_iss != issuer:
        return Check.failed("issuer-binding", f"JWT iss {jwt_iss!r} is not the issuer {issuer!r}")
    return Check.passed("issuer-binding", f"signed by the issuer {issuer_did}")


def _validity(
    document: Mapping[str, Any], now: datetime, *, claims: Mapping[str, Any] | None = None
) -> Check:
    try:
        start, end = _validity_window(document, claims)
    except DataModelError as e:
        return Check.failed("validity", str(e))
    if start is not None and now < start:
        return Check.failed("validity", f"not valid before {_iso(start)} (now {_iso(now)})")
    if end is not None and now > end:
        return Check.failed("validity", f"expired on {_iso(end)} (now {_iso(now)})")
    if start is None and end is None:
        return Check.passed("validity", "no validity period stated")
    until = f" until {_iso(end)}" if end else ""
    since = f"from {_iso(start)}" if start else "now"
    return Check.passed("validity", f"valid {since}{until}")


def _validity_window(
    document: Mapping[str, Any], claims: Mapping[str, Any] | None
) -> tuple[datetime | None, datetime | None]:
    start_key, end_key = (
        ("issuanceDate", "expirationDate") if _is_v1(document) else ("validFrom", "validUntil")
    )
    start = _date(document.get(start_key), start_key)
    end = _date(document.get(end_key), end_key)
    if claims is not None:
        # VC-JWT: nbf/exp are the authoritative validity period (VC-JWT 1.1 §6.3.1).
        if isinstance(claims.get("nbf"), int | float):
            start = datetime.fromtimestamp(claims["nbf"], UTC)
        if isinstance(claims.get("exp"), int | float):
            end = datetime.fromtimestamp(claims["exp"], UTC)
    return start, end


def _date(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise DataModelError(f"{name} is not a date-time string")
    return datamodel.parse_datetime(value)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _holder_binding(holder: Any, outcome: _Outcome) -> Check:
    if outcome.signer is None:
        return Check.not_checked("holder-binding", "skipped: the presentation proof did not verify")
    if not isinstance(holder, str):
        return Check.failed("holder-binding", "presentation names no holder")
    try:
        holder_did = did_of(holder)
    except DidError:
        return Check.failed("holder-binding", f"holder {holder!r} is not a DID")
    if holder_did != outcome.signer:
        return Check.failed(
            "holder-binding", f"signed by {outcome.signer}, but the holder is {holder_did}"
        )
    return Check.passed("holder-binding", f"signed by the holder {holder_did}")


def _subject_binding(holder: Any, credentials: Sequence[Any]) -> Check:
    if not isinstance(holder, str):
        return Check.failed("subject-binding", "presentation names no holder")
    strangers = 0
    for item in credentials:
        if isinstance(item, Mapping) and _STATUS_LIST_TYPE in _type_list(item):
            continue  # a stapled status list is evidence about other credentials, not a claim
        body = item
        if isinstance(item, str):
            try:
                body = _didkit.decode_jwt_unverified(item)[1].get("vc", {})
            except (InputError, ProofError):
                strangers += 1
                continue
        subjects = body.get("credentialSubject", []) if isinstance(body, Mapping) else []
        subjects = subjects if isinstance(subjects, list) else [subjects]
        if not any(isinstance(s, Mapping) and s.get("id") == holder for s in subjects):
            strangers += 1
    if strangers:
        return Check.failed(
            "subject-binding",
            f"{strangers} of {len(credentials)} credentials are not about the holder {holder}",
        )
    return Check.passed("subject-binding", "the holder is the subject of every credential")


def _expected(name: str, expected: str | None, actual: str | None) -> Check:
    if expected is None:
        if actual is None:
            return Check.not_checked(name, f"no {name} was asked for or given")
        return Check.not_checked(
            name, f"proof carries {name} {actual!r}, but none was asked for (replay not excluded)"
        )
    if actual is None:
        return Check.failed(name, f"the proof carries no {name}; expected {expected!r}")
    if actual != expected:
        return Check.failed(name, f"{name} is {actual!r}, expected {expected!r}")
    return Check.passed(name, f"{name} matches")
