"""The holder's credential store: credentials received, held privately until accepted.

One SQLite database per home, ``<home>/wallet.db`` (sqlite-utils over :mod:`sqlite3`, WAL,
``synchronous=FULL``: an import that returned is on disk). Every write is one
``BEGIN IMMEDIATE`` transaction. The normative text is ``specs/wallet-store.md``.

Import (:meth:`CredentialStore.import_credential`) runs its checks in this order and
stores nothing unless all pass:

1. ``parse``      JSON-LD, a JWT, an SD-JWT VC or a ``MUS1:`` payload holding one
                  credential (:func:`credentials.parse_input`; a presentation is refused)
2. ``verify``     the full verifier (:class:`credentials.Verifier`); a report that is not
                  verified is refused with its failed checks as the reason. An SD-JWT VC
                  as issued has no key binding JWT: its ``holder-binding``, ``challenge``
                  and ``domain`` checks belong to presentations and are left out
3. ``subject``    the credential's subject is one of the holder's personas
4. ``edge``       an edge statement given with it is signed by the credential's issuer and
                  names this credential (subject, digest, kind, skill, level)
5. ``duplicate``  no stored credential has the same digest (checked in the write
                  transaction, so two concurrent imports cannot both store it)

Steps 1-4 are pure; only step 5 and the insert touch the database.

States (consent): ``pending`` (received, private) → ``accepted`` (the worker consents to
publish it) → ``withdrawn`` (consent taken back; may be accepted again). Refusing a
pending credential deletes it: it was never published, so no record is kept.

Schema (version :data:`SCHEMA_VERSION`, in table ``meta``; an older file is migrated on
open, a newer one refused)::

    credentials(id, digest, format, raw, issuer, subject, kind, skill, skill_key, level,
                types, issued, valid_until, edge, state, imported_at)
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final, Literal

from credentials import (
    CredentialError,
    ParsedInput,
    Report,
    SkillClaim,
    Verifier,
    normalize_skill,
    parse_input,
)
from credentials.inputs import document_kind, parse_json
from credentials.keys import Ed25519PublicKey
from credentials.sd_jwt_view import issuer_signed_jwt, skill_claim
from ledger.entries import EdgeStatement, credential_digest
from ledger.errors import LedgerError
from ledger.sqlite import open_database, transaction

from .errors import (
    AmbiguousIdError,
    CredentialStoreError,
    DuplicateCredentialError,
    EdgeMismatchError,
    ForeignSubjectError,
    NotFoundError,
    StateError,
    UnreadableCredentialError,
    UnverifiedCredentialError,
)

__all__ = [
    "FILENAME",
    "SCHEMA_VERSION",
    "STATES",
    "CredentialStore",
    "State",
    "StoredCredential",
]

FILENAME: Final = "wallet.db"
SCHEMA_VERSION: Final = 3
ID_LENGTH: Final = 8  # hex characters of the digest; lengthened only on a collision

State = Literal["pending", "accepted", "refused", "withdrawn"]
STATES: Final[tuple[State, ...]] = ("pending", "accepted", "refused", "withdrawn")

# The consent rules: from a state, the states it may move to. "refused" is terminal and
# never stored (the row is deleted); setting the state a credential already has is a no-op.
_TRANSITIONS: Final[Mapping[str, frozenset[str]]] = {
    "pending": frozenset({"accepted", "refused"}),
    "accepted": frozenset({"withdrawn"}),
    "withdrawn": frozenset({"accepted"}),
}

_SCHEMA_V2: Final = """CREATE TABLE IF NOT EXISTS status_lists (
    id TEXT PRIMARY KEY, issuer TEXT NOT NULL, valid_from TEXT NOT NULL, raw TEXT NOT NULL)"""

# v3: format may be 'sd-jwt'. SQLite cannot change a CHECK, so the table is rebuilt.
_SCHEMA_V3: Final = (
    "ALTER TABLE credentials RENAME TO credentials_v2",
    "CREATE TABLE credentials (\n"
    "    id TEXT PRIMARY KEY, digest BLOB NOT NULL UNIQUE,\n"
    "    format TEXT NOT NULL CHECK (format IN ('jsonld', 'jwt', 'sd-jwt')), raw TEXT NOT NULL,\n"
    "    issuer TEXT NOT NULL, subject TEXT NOT NULL, kind TEXT NOT NULL,\n"
    "    skill TEXT NOT NULL, skill_key TEXT NOT NULL, level INTEGER, types TEXT NOT NULL,\n"
    "    issued TEXT, valid_until TEXT, edge BLOB,\n"
    "    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'withdrawn')),\n"
    "    imported_at TEXT NOT NULL)",
    "INSERT INTO credentials SELECT * FROM credentials_v2 ORDER BY rowid",
    "DROP TABLE credentials_v2",
    "CREATE INDEX IF NOT EXISTS credentials_skill_key ON credentials (skill_key)",
    "CREATE INDEX IF NOT EXISTS credentials_issuer ON credentials (issuer)",
    "CREATE INDEX IF NOT EXISTS credentials_subject ON credentials (subject)",
    "CREATE INDEX IF NOT EXISTS credentials_issued ON credentials (issued)",
)

_SCHEMA_V1: Final = """
    CREATE TABLE IF NOT EXISTS credentials (
        id TEXT PRIMARY KEY, digest BLOB NOT NULL UNIQUE,
        format TEXT NOT NULL CHECK (format IN ('jsonld', 'jwt')), raw TEXT NOT NULL,
        issuer TEXT NOT NULL, subject TEXT NOT NULL, kind TEXT NOT NULL,
        skill TEXT NOT NULL, skill_key TEXT NOT NULL, level INTEGER, types TEXT NOT NULL,
        issued TEXT, valid_until TEXT, edge BLOB,
        state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'withdrawn')),
        imported_at TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS credentials_skill_key ON credentials (skill_key);
    CREATE INDEX IF NOT EXISTS credentials_issuer ON credentials (issuer);
    CREATE INDEX IF NOT EXISTS credentials_subject ON credentials (subject);
    CREATE INDEX IF NOT EXISTS credentials_issued ON credentials (issued)
"""

# Migration i takes a store from schema version i to i + 1 (ledger.sqlite): v1 the
# credentials, v2 the status lists held for stapling, v3 the sd-jwt format.
MIGRATIONS: Final = (
    [st for st in _SCHEMA_V1.split(";") if st.strip()],
    [_SCHEMA_V2],
    list(_SCHEMA_V3),
)


_SELECT: Final = (
    "SELECT id, digest, format, raw, issuer, subject, kind, skill, skill_key, level, types, "
    "issued, valid_until, edge, state, imported_at FROM credentials"
)
_INSERT: Final = (
    "INSERT INTO credentials (id, digest, format, raw, issuer, subject, kind, skill, "
    "skill_key, level, types, issued, valid_until, edge, state, imported_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredCredential:
    """One stored credential and what the store read from it. Holds no secret."""

    id: str
    digest: bytes
    format: Literal["jsonld", "jwt", "sd-jwt"]
    raw: str
    issuer: str
    subject: str
    kind: str
    skill: str
    skill_key: str
    level: int | None
    types: tuple[str, ...]
    issued: str | None
    valid_until: str | None
    edge: bytes | None
    state: State
    imported_at: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (the raw credential is left out: see ``document``)."""
        return {
            "id": self.id,
            "digest": self.digest.hex(),
            "format": self.format,
            "issuer": self.issuer,
            "subject": self.subject,
            "kind": self.kind,
            "skill": self.skill,
            "skillKey": self.skill_key,
            "level": self.level,
            "types": list(self.types),
            "issued": self.issued,
            "validUntil": self.valid_until,
            "edge": None if self.edge is None else base64.b64encode(self.edge).decode("ascii"),
            "state": self.state,
            "importedAt": self.imported_at,
        }

    @classmethod
    def _from_row(cls, row: tuple[Any, ...]) -> StoredCredential:
        (id_, digest, fmt, raw, issuer, subject, kind, skill, key, level, types) = row[:11]
        issued, valid_until, edge, state, imported_at = row[11:]
        return cls(
            id=id_,
            digest=bytes(digest),
            format=fmt,
            raw=raw,
            issuer=issuer,
            subject=subject,
            kind=kind,
            skill=skill,
            skill_key=key,
            level=level,
            types=tuple(json.loads(types)),
            issued=issued,
            valid_until=valid_until,
            edge=None if edge is None else bytes(edge),
            state=state,
            imported_at=imported_at,
        )


# -- pure helpers ---------------------------------------------------------------------------


def _iso(when: datetime) -> str:
    """UTC, second precision, ``Z``: the one form stored, so that text order is time order."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _date_of(value: Any) -> str | None:
    """A credential date (XSD dateTime text, or JWT NumericDate) in stored form, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return _iso(datetime.fromtimestamp(value, UTC))
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            return _iso(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _bound(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return _iso(value)
    return _iso(datetime(value.year, value.month, value.day, tzinfo=UTC))


def _jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT that :func:`parse_input` already recognised (not re-verified:
    the verifier did that). Strict JSON, like every input."""
    segment = token.split(".")[1]
    value = parse_json(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    if not isinstance(value, dict):
        raise UnreadableCredentialError("the JWT claims are not a JSON object")
    return value


def _credential_of(parsed: ParsedInput) -> tuple[Mapping[str, Any], dict[str, Any] | str]:
    """(the credential's JSON body, what its digest covers); a presentation is refused."""
    if parsed.token is not None:
        claims = _jwt_claims(parsed.token)
        body = claims.get("vc")
        if not isinstance(body, dict):
            raise UnreadableCredentialError(
                "the JWT carries no vc claim (the store holds credentials, not presentations)"
            )
        return body, parsed.token
    assert parsed.document is not None
    if document_kind(parsed.document) != "credential":
        raise UnreadableCredentialError(
            "this is a presentation; the store holds credentials (import each one)"
        )
    return parsed.document, parsed.document


# An issued SD-JWT VC carries no key binding JWT: these checks are for its presentations.
_PRESENTATION_CHECKS: Final = frozenset({"holder-binding", "challenge", "domain"})


def _sd_jwt_credential(
    token: str, verifier: Verifier
) -> tuple[Report, dict[str, Any], SkillClaim, bytes]:
    """Step 2 for an SD-JWT VC: (report, claims, skill claim, digest of the issuer JWT)."""
    if not token.endswith("~"):
        raise UnreadableCredentialError(
            "this SD-JWT ends with a key binding JWT: it is a presentation; import it as issued"
        )
    full, result = verifier.verify_sd_jwt(token, challenge=None, domain=None)
    checks = tuple(c for c in full.checks if c.name not in _PRESENTATION_CHECKS)
    report = Report(checks=checks, kind=full.kind)
    claims = dict(result.claims)
    if not isinstance(claims.get("sub"), str):
        cnf = claims.get("cnf")
        jwk = cnf.get("jwk") if isinstance(cnf, Mapping) else None
        if isinstance(jwk, Mapping):
            claims["sub"] = Ed25519PublicKey.from_jwk(dict(jwk)).did
    claim = (
        skill_claim(claims)
        if report.verified
        else SkillClaim(kind="other", issuer="", subject=None, name="")
    )
    return report, claims, claim, credential_digest(issuer_signed_jwt(token))


def _dates(body: Mapping[str, Any], claims: Mapping[str, Any]) -> tuple[str | None, str | None]:
    # VC DM 2.0 §4.9 validFrom/validUntil; 1.1 issuanceDate/expirationDate; JWT nbf/exp.
    issued = _date_of(body.get("validFrom", body.get("issuanceDate", claims.get("nbf"))))
    until = _date_of(body.get("validUntil", body.get("expirationDate", claims.get("exp"))))
    return issued, until


def _reason(report: Report) -> str:
    failed = report.failures()
    if failed:
        return "; ".join(f"{c.name}: {c.detail}" for c in failed)
    missing = [c for c in report.checks if c.name in ("proof", "issuer-binding")]
    return "; ".join(f"{c.name} {c.status.value}: {c.detail}" for c in missing) or "not verified"


def _check_edge(signed: bytes, claim: SkillClaim, subject: str, digest: bytes) -> None:
    """Step 4: the edge statement is valid, by the issuer, and about this credential."""
    try:
        edge = EdgeStatement.from_bytes(bytes(signed))
    except LedgerError as e:
        raise EdgeMismatchError(f"edge statement refused: {e}") from e
    wrong = [
        what
        for what, ours, theirs in (
            ("issuer", claim.issuer, edge.issuer),
            ("subject", subject, edge.subject),
            ("credential digest", digest, edge.credential),
            ("kind", claim.kind, edge.kind),
            ("skill", claim.skill_key, edge.skill_key),
            ("level", claim.level, edge.level),
        )
        if ours != theirs
    ]
    if wrong:
        raise EdgeMismatchError(
            f"edge statement does not match the credential: {', '.join(wrong)} differ"
        )


# -- the store --------------------------------------------------------------------------------


class CredentialStore:
    """A home's credential store (``<home>/wallet.db``).

    Opening migrates an older schema; raises :class:`CredentialStoreError` when the file is
    not a usable store (not SQLite, corrupt, or a newer schema).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.db = open_database(
            self.path, migrations=MIGRATIONS, error=CredentialStoreError, what="credential store"
        )

    @classmethod
    def in_home(cls, home: Path) -> CredentialStore:
        """The store of a home folder: ``<home>/wallet.db``."""
        return cls(Path(home) / FILENAME)

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> CredentialStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- status lists, for stapling ------------------------------------------------------

    def add_status_list(
        self, document: Mapping[str, Any], *, verifier: Verifier | None = None
    ) -> str:
        """Keep an issuer's status list credential (verified first), replacing an older one
        of the same id; a list older than the one held is ignored. Returns its id."""
        types = document.get("type", [])
        if "BitstringStatusListCredential" not in (types if isinstance(types, list) else [types]):
            raise UnreadableCredentialError("not a BitstringStatusListCredential")
        report = (verifier or Verifier()).verify(
            ParsedInput(format="jsonld", document=dict(document))
        )
        if not report.verified:
            raise UnverifiedCredentialError(_reason(report), report)
        list_id = str(document.get("id"))
        issuer = document.get("issuer")
        issuer_id = str(issuer.get("id") if isinstance(issuer, Mapping) else issuer)
        valid_from = str(document.get("validFrom", ""))
        conn = self.db.conn
        with transaction(conn):
            held = conn.execute(
                "SELECT valid_from FROM status_lists WHERE id=?", (list_id,)
            ).fetchone()
            if held is None or held[0] <= valid_from:
                conn.execute(
                    "INSERT OR REPLACE INTO status_lists VALUES (?, ?, ?, ?)",
                    (list_id, issuer_id, valid_from, json.dumps(document)),
                )
        return list_id

    def status_lists(self, ids: Collection[str]) -> list[dict[str, Any]]:
        """The held status list credentials with these ids."""
        found = []
        for list_id in sorted(set(ids)):
            row = self.db.conn.execute(
                "SELECT raw FROM status_lists WHERE id=?", (list_id,)
            ).fetchone()
            if row is not None:
                found.append(json.loads(row[0]))
        return found

    # -- import ---------------------------------------------------------------------------

    def import_credential(
        self,
        raw: str | bytes,
        *,
        personas: Collection[str],
        edge: bytes | None = None,
        verifier: Verifier | None = None,
        now: datetime | None = None,
    ) -> StoredCredential:
        """Check a received credential (steps 1-5 of the module docstring) and store it as
        ``pending``. ``personas`` are the holder's DIDs; ``now`` is the verifier's clock
        when no ``verifier`` is given, and the import time.

        Raises a subclass of :class:`~wallet.errors.ImportRefusedError` (nothing stored):
        UnreadableCredentialError, UnverifiedCredentialError (``.report``),
        ForeignSubjectError, EdgeMismatchError, DuplicateCredentialError.
        """
        stamp = now if now is not None else datetime.now(UTC)
        if verifier is None:
            verifier = Verifier(clock=lambda: stamp)
        sd_claims: dict[str, Any] | None = None
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            parsed = parse_input(text)  # (1)
            if parsed.format == "sd-jwt":
                assert parsed.token is not None
                report, sd_claims, claim, digest = _sd_jwt_credential(parsed.token, verifier)
                body: Mapping[str, Any] = {"type": [str(sd_claims.get("vct"))]}
            else:
                body, signed = _credential_of(parsed)
                report = verifier.verify(parsed)  # (2)
                claim = SkillClaim.from_credential(body)
                digest = credential_digest(signed)
        except UnicodeDecodeError as e:
            raise UnreadableCredentialError("input is not UTF-8 text") from e
        except UnreadableCredentialError:
            raise
        except CredentialError as e:
            raise UnreadableCredentialError(f"not a credential we can read: {e}") from e
        if not report.verified:
            raise UnverifiedCredentialError(
                f"credential not verified: {_reason(report)}".replace("\n", " "), report
            )
        subject = claim.subject
        # A lone DID is a Collection[str] too; ``in`` would then test for a substring.
        holder = frozenset((personas,) if isinstance(personas, str) else personas)
        if subject is None or subject not in holder:  # (3)
            raise ForeignSubjectError(
                f"the credential's subject {subject or '(none)'} is none of your personas"
            )
        if edge is not None:
            _check_edge(edge, claim, subject, digest)  # (4)
        types = body.get("type", [])
        types = [str(t) for t in (types if isinstance(types, list) else [types])]
        if sd_claims is not None:
            claims: Mapping[str, Any] = {"nbf": sd_claims.get("iat"), **sd_claims}
        elif parsed.token is not None:
            claims = _jwt_claims(parsed.token)
        else:
            claims = {}
        issued, valid_until = _dates(body, claims)
        conn = self.db.conn
        with transaction(conn):
            held = conn.execute("SELECT id FROM credentials WHERE digest=?", (digest,)).fetchone()
            if held is not None:  # (5)
                raise DuplicateCredentialError(f"already in the store as {held[0]}")
            stored = StoredCredential(
                id=self._new_id(digest.hex()),
                digest=digest,
                format=parsed.format,
                raw=text,
                issuer=claim.issuer,
                subject=subject,
                kind=claim.kind,
                skill=claim.name,
                skill_key=claim.skill_key,
                level=claim.level,
                types=tuple(types),
                issued=issued,
                valid_until=valid_until,
                edge=None if edge is None else bytes(edge),
                state="pending",
                imported_at=_iso(stamp),
            )
            conn.execute(
                _INSERT,
                (
                    stored.id,
                    stored.digest,
                    stored.format,
                    stored.raw,
                    stored.issuer,
                    stored.subject,
                    stored.kind,
                    stored.skill,
                    stored.skill_key,
                    stored.level,
                    json.dumps(types),
                    stored.issued,
                    stored.valid_until,
                    stored.edge,
                    stored.state,
                    stored.imported_at,
                ),
            )
        return stored

    def _new_id(self, digest_hex: str) -> str:
        """The shortest prefix of the digest, from 8 characters, that no stored id equals.
        An id never changes once given; an exact id wins over a longer id it prefixes."""
        for length in range(ID_LENGTH, len(digest_hex) + 1):
            candidate = digest_hex[:length]
            if (
                self.db.conn.execute(
                    "SELECT 1 FROM credentials WHERE id=?", (candidate,)
                ).fetchone()
                is None
            ):
                return candidate
        raise DuplicateCredentialError("already in the store")  # same digest: unreachable

    # -- reading --------------------------------------------------------------------------

    def list(
        self,
        *,
        skill: str | None = None,
        issuer: str | None = None,
        type_: str | None = None,
        since: datetime | date | None = None,
        until: datetime | date | None = None,
        state: State | None = None,
        persona: str | None = None,
    ) -> list[StoredCredential]:
        """Stored credentials matching every filter given, oldest import first.

        ``skill`` matches a substring of the normalized skill key (case and spacing do not
        matter); ``type_`` one of the credential's types; ``since`` (inclusive) and
        ``until`` (exclusive) the issue date; ``persona`` the subject DID.
        """
        where: list[str] = []
        args: list[Any] = []
        if skill is not None:
            where.append("instr(skill_key, ?) > 0")
            args.append(normalize_skill(skill))
        if issuer is not None:
            where.append("issuer = ?")
            args.append(issuer)
        if type_ is not None:
            where.append("EXISTS (SELECT 1 FROM json_each(credentials.types) WHERE value = ?)")
            args.append(type_)
        if since is not None:
            where.append("issued >= ?")
            args.append(_bound(since))
        if until is not None:
            where.append("issued < ?")
            args.append(_bound(until))
        if state is not None:
            where.append("state = ?")
            args.append(state)
        if persona is not None:
            where.append("subject = ?")
            args.append(persona)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self.db.conn.execute(
            # Only the fixed fragments above are joined in; every value is a parameter.
            f"{_SELECT}{clause} ORDER BY imported_at, rowid",
            args,
        )
        return [StoredCredential._from_row(tuple(r)) for r in rows]

    def get(self, id_or_prefix: str) -> StoredCredential:
        """The credential with this id, else the one whose id starts with it.

        Raises NotFoundError, or AmbiguousIdError when several ids start with it.
        """
        conn = self.db.conn
        row = conn.execute(_SELECT + " WHERE id = ?", (id_or_prefix,)).fetchone()
        if row is not None:
            return StoredCredential._from_row(tuple(row))
        wanted = id_or_prefix.strip().lower()
        rows = (
            conn.execute(
                _SELECT + " WHERE substr(id, 1, ?) = ? LIMIT 2",
                (len(wanted), wanted),
            ).fetchall()
            if wanted
            else []
        )
        if not rows:
            raise NotFoundError(f"no stored credential has the id {id_or_prefix!r}")
        if len(rows) > 1:
            raise AmbiguousIdError(
                f"several stored credentials have ids starting {id_or_prefix!r}; give more"
            )
        return StoredCredential._from_row(tuple(rows[0]))

    def document(self, id_or_prefix: str) -> dict[str, Any] | str:
        """The stored credential itself: a JSON-LD dict, or a JWT string (a MUS1: payload
        gives what it carried). Raises NotFoundError / AmbiguousIdError."""
        parsed = parse_input(self.get(id_or_prefix).raw)
        if parsed.token is not None:
            return parsed.token
        assert parsed.document is not None
        return parsed.document

    # -- changing -------------------------------------------------------------------------

    def delete(self, id_or_prefix: str) -> StoredCredential:
        """Remove a credential from the store, whatever its state; returns what was removed.

        Local only: it publishes nothing (an accepted credential stays accepted on the
        ledger until withdrawn there). Raises NotFoundError / AmbiguousIdError.
        """
        conn = self.db.conn
        with transaction(conn):
            stored = self.get(id_or_prefix)
            conn.execute("DELETE FROM credentials WHERE id=?", (stored.id,))
        return stored

    def set_state(self, id_or_prefix: str, state: State) -> StoredCredential:
        """Move a credential along the consent states; returns it in its new state.

        ``refused`` (from ``pending`` only) deletes the row and returns its last contents
        with state ``refused``. Setting the current state is a no-op. Raises StateError for
        a move the rules do not allow, NotFoundError / AmbiguousIdError.
        """
        if state not in STATES:
            raise StateError(f"unknown state {state!r}; choose one of {', '.join(STATES)}")
        conn = self.db.conn
        with transaction(conn):
            stored = self.get(id_or_prefix)
            if state != stored.state:
                if state not in _TRANSITIONS[stored.state]:
                    raise StateError(f"a {stored.state} credential cannot become {state}")
                if state == "refused":
                    conn.execute("DELETE FROM credentials WHERE id=?", (stored.id,))
                else:
                    conn.execute("UPDATE credentials SET state=? WHERE id=?", (state, stored.id))
        return replace(stored, state=state)
