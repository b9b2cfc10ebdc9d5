"""The one adapter around didkit 0.3.3: VC 1.1 proofs, run in a separate worker process.

didkit covers VC 1.1 (``https://www.w3.org/2018/credentials/v1`` first): Ed25519Signature2018
and Ed25519Signature2020 JSON-LD proofs, and JWT-VC / JWT-VP signed with EdDSA. Nothing
else in Musette imports didkit; everything goes through the functions here.

The traps of didkit 0.3.3, and what this module does about each:

1. Its async runtime can kill the interpreter that loaded it (SIGSEGV/SIGABRT at exit, and
   ``FATAL: exception not rethrown`` when an awaited call is abandoned). didkit therefore
   runs only in a child process, :class:`DidkitWorker` (``python -I``, JSON lines on its
   stdin/stdout), which always ends with ``os._exit``. The interpreter that imports this
   module never loads didkit and exits with its own status. A worker that dies is
   restarted once per call, then :class:`ProofError` ``"didkit worker died"``.
2. It does not check validity dates of JSON-LD credentials: the caller does (with its clock).
   It *does* refuse an expired or not-yet-valid JWT (``exp``/``nbf``, system clock) with the
   bare reason ``No applicable JWS or proof``: check the validity period first.
3. Its ``verify_presentation`` does not verify the credentials inside, does not bind the
   holder to the subject, accepts a presentation without a holder signed by any key, and
   accepts any challenge (or none) when not told one. Here a presentation must name its
   holder and be signed by the holder's key, and a challenge or domain passed in must be
   the proof's, present and equal. Without one, **nothing** is checked about replay: the
   caller compares the proof's challenge itself. Embedded credentials are the caller's to
   verify, one by one, and so is the holder-subject binding.
4. It resolves the *issuer*'s (or holder's) DID as well as the verification method, and
   fetches ``did:web`` documents and status lists over HTTP with no timeout. Here every
   DID didkit would resolve must be an Ed25519 ``did:key``, checked before didkit is
   called; status is never requested (``checks: ["proof"]``: didkit fetches a status list
   only when ``credentialStatus`` is among the checks); and the worker runs with every
   HTTP proxy variable pointing at ``127.0.0.1:0``, so a request that slipped through
   fails locally in milliseconds, without even a DNS lookup.
5. It reports ``checks: ["proof"]`` on failure too: a result is judged by ``errors``.
6. Its RDF canonicalization can be made to run for minutes by a few linked blank nodes:
   :func:`credentials.limits.check_structure` runs before any LD document is handed over,
   and every call has a timeout after which the worker is killed (LimitExceededError).

Errors (all from :mod:`credentials.errors`)::

    MalformedInputError / LimitExceededError   not a JWT, too big, over a structural limit
    DataModelError                             not a VC 1.1 credential or presentation
    DidError / UnsupportedDidMethodError       a DID didkit would have to resolve online
    ProofError                                 no proof, wrong purpose, challenge mismatch,
    └── InvalidSignatureError                  …didkit's reason; the signature is wrong
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import json
import logging
import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Literal

from .errors import (
    DataModelError,
    InvalidSignatureError,
    LimitExceededError,
    MalformedInputError,
    ProofError,
)
from .keys import Ed25519PublicKey, KeyPair
from .limits import check_json_size, check_structure
from .rdfc import check_canonicalization_cost

__all__ = [
    "CALL_TIMEOUT_SECONDS",
    "LD_PROOF_TYPES",
    "VC_V1_CONTEXT",
    "DidkitWorker",
    "ProofPurpose",
    "ProofType",
    "decode_jwt_unverified",
    "issue_jwt",
    "issue_ld",
    "shutdown",
    "verify_jwt",
    "verify_ld",
]

ProofType = Literal["Ed25519Signature2018", "Ed25519Signature2020"]
ProofPurpose = Literal["assertionMethod", "authentication"]
_Kind = Literal["credential", "presentation"]

# VC DM 1.1 §4.1. The loader's CONTEXT_VC_V1, not imported from it: the worker process
# imports this module, and it needs none of the loader's bundled documents.
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
LD_PROOF_TYPES: frozenset[str] = frozenset({"Ed25519Signature2018", "Ed25519Signature2020"})
#: A normal call takes milliseconds; a stalled canonicalization is stopped after this.
CALL_TIMEOUT_SECONDS = 10.0
START_TIMEOUT_SECONDS = 20.0

_LOG = logging.getLogger(__name__)
_PURPOSE: dict[_Kind, ProofPurpose] = {
    "credential": "assertionMethod",
    "presentation": "authentication",
}
# Nothing can listen on port 0: a client that honours the proxy variables fails at once.
_DEAD_PROXY = "http://127.0.0.1:0"
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
_WORKER_OPS = ("issue_credential", "issue_presentation", "verify_credential", "verify_presentation")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_ROOT = Path(__file__).resolve().parent.parent
# ``-I``: no PYTHON* variables, no user site, no current directory on sys.path.
_BOOTSTRAP = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from credentials._didkit import _serve; _serve(int(sys.argv[2]))"
)


# --------------------------------------------------------------------------- the worker


class _WorkerDied(Exception):
    """The worker's pipe closed: it exited or was killed."""


class _Timeout(Exception):
    """The worker did not answer before the deadline."""


class DidkitWorker:
    """A long-lived child process that runs didkit; calls are serialized by a lock.

    ``timeout`` bounds every call (write, didkit's work, reply); when it passes, the worker
    is killed and the call raises LimitExceededError. A worker that dies is started again
    once per call before ProofError("didkit worker died"). ``command`` replaces the
    command line of the child (a seam for tests); it must speak the same protocol:
    one ``{"ready": version}`` line, then one JSON reply line per JSON request line.
    """

    def __init__(
        self,
        *,
        timeout: float = CALL_TIMEOUT_SECONDS,
        start_timeout: float = START_TIMEOUT_SECONDS,
        command: Sequence[str] | None = None,
    ) -> None:
        self.timeout = timeout
        self.start_timeout = start_timeout
        self._command = list(command) if command is not None else None
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._selector: selectors.BaseSelector | None = None
        self._stderr: IO[bytes] | None = None
        self._buffer = b""
        self._owner = os.getpid()
        self.version: str | None = None

    def __enter__(self) -> DidkitWorker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The worker's process id, or None when none is running."""
        return self._proc.pid if self._proc is not None else None

    def call(self, op: str, *args: str) -> str:
        """Run ``didkit.<op>(*args)`` in the worker and return its string result.

        Raises ProofError carrying didkit's message when didkit raises,
        LimitExceededError on timeout, ProofError("didkit worker died …") when the worker
        dies twice.
        """
        if op not in _WORKER_OPS:
            raise ValueError(f"unknown didkit operation {op!r}")
        request = json.dumps({"op": op, "args": list(args)}).encode("utf-8") + b"\n"
        with self._lock:
            reply = self._call_with_restart(request)
        if "ok" in reply and isinstance(reply["ok"], str):
            return reply["ok"]
        raise ProofError(f"didkit: {reply.get('error', 'malformed reply from the worker')}")

    def close(self) -> None:
        """Stop the worker: close its stdin (it exits on EOF), kill it if it lingers."""
        with self._lock:
            self._stop(graceful=True)

    def _call_with_restart(self, request: bytes) -> dict[str, Any]:
        for attempt in (1, 2):
            try:
                self._ensure_started()
                return self._exchange(request, self.timeout)
            except _Timeout as e:
                self._stop(graceful=False)
                raise LimitExceededError(
                    f"didkit did not answer within {self.timeout:g} s (worker stopped); "
                    "the document is too costly to canonicalize"
                ) from e
            except _WorkerDied as e:
                reason = self._stop(graceful=False)
                if attempt == 2:
                    raise ProofError(f"didkit worker died ({reason}): {e}") from e
                _LOG.warning("didkit worker died (%s); starting a new one", reason)
        raise AssertionError("unreachable")

    def _ensure_started(self) -> None:
        if self._proc is not None and self._owner != os.getpid():
            # A forked child must not share its parent's pipes: start its own worker.
            self._proc, self._selector, self._stderr, self._buffer = None, None, None, b""
        if self._proc is not None:
            return
        self._owner = os.getpid()
        command = self._command or [
            sys.executable,
            "-I",
            "-c",
            _BOOTSTRAP,
            str(_ROOT),
            str(os.getpid()),
        ]
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in _stop
        try:
            self._proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=_worker_environment(),
                close_fds=True,
            )
        except OSError as e:
            raise _WorkerDied(f"it could not be started: {e}") from e
        assert self._proc.stdout is not None
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._proc.stdout.fileno(), selectors.EVENT_READ)
        try:
            ready = self._read_reply(time.monotonic() + self.start_timeout)
        except _Timeout as e:
            raise _WorkerDied("the worker did not start in time") from e
        version = ready.get("ready")
        if not isinstance(version, str):
            raise _WorkerDied("the worker did not announce itself")
        self.version = version

    def _exchange(self, request: bytes, timeout: float) -> dict[str, Any]:
        assert self._proc is not None
        assert self._proc.stdin is not None
        deadline = time.monotonic() + timeout
        try:
            self._proc.stdin.write(request)
            self._proc.stdin.flush()
        except OSError as e:  # BrokenPipeError: the worker is gone
            raise _WorkerDied(str(e)) from e
        return self._read_reply(deadline)

    def _read_reply(self, deadline: float) -> dict[str, Any]:
        assert self._proc is not None
        assert self._proc.stdout is not None
        assert self._selector is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout
            if not self._selector.select(remaining):
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise _WorkerDied("its output closed")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            reply = json.loads(line)
        except ValueError as e:
            raise _WorkerDied("it wrote something that is not a JSON line") from e
        if not isinstance(reply, dict):
            raise _WorkerDied("it wrote a JSON line that is not an object")
        return reply

    def _stop(self, *, graceful: bool) -> str:
        """Stop the worker; return how it ended (for messages), with its stderr's tail."""
        proc, self._proc, self._buffer = self._proc, None, b""
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        reason = "not running" if proc is None else _end(proc, graceful=graceful)
        if self._stderr is not None:
            self._stderr.seek(0)
            tail = self._stderr.read()[-300:].decode("utf-8", "replace").strip()
            self._stderr.close()
            self._stderr = None
            if tail:
                reason += f", stderr: {tail}"
        return reason


def _end(proc: subprocess.Popen[bytes], *, graceful: bool) -> str:
    """Close the worker's stdin (it exits on EOF), kill it if it lingers; say how it ended."""
    if proc.stdin is not None:
        with contextlib.suppress(OSError):  # a broken pipe: it is already gone
            proc.stdin.close()
    try:
        proc.wait(timeout=2.0 if graceful else 0.05)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
    status = proc.returncode
    return f"signal {-status}" if status < 0 else f"exit status {status}"


def _worker_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARIABLES}
    for name in _PROXY_VARIABLES[:3]:
        env[name] = env[name.upper()] = _DEAD_PROXY
    return env


def _serve(parent_pid: int) -> None:
    """The worker's main loop (runs in the child). Never returns: ends with ``os._exit``.

    ``os._exit`` skips interpreter finalization, which is where didkit's runtime crashes.
    The worker also exits when its parent is gone (its stdin closes, or its parent
    process id changes while a call runs).
    """
    status = 1
    try:
        # Keep fd 1 for the protocol alone: anything didkit prints goes to stderr.
        out = os.fdopen(os.dup(1), "wb")
        os.dup2(2, 1)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()

        import didkit  # only ever imported here, in the worker

        operations = {name: getattr(didkit, name) for name in _WORKER_OPS}
        loop = asyncio.new_event_loop()
        _reply(out, {"ready": str(didkit.get_version())})
        for line in iter(sys.stdin.buffer.readline, b""):
            try:
                request = json.loads(line)
                function = operations[request["op"]]
                args = [str(arg) for arg in request["args"]]
                result = loop.run_until_complete(_await(function, args))
                _reply(out, {"ok": str(result)})
            except Exception as e:  # every failure becomes a reply, never a crash
                _reply(out, {"error": str(e) or type(e).__name__, "type": type(e).__name__})
        status = 0
    finally:
        os._exit(status)


async def _await(function: Any, args: list[str]) -> Any:
    # didkit's functions need a running event loop when called, not only when awaited.
    return await function(*args)


def _reply(out: IO[bytes], message: Mapping[str, Any]) -> None:
    out.write(json.dumps(message).encode("utf-8") + b"\n")
    out.flush()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(0)


_default_lock = threading.Lock()
_default: DidkitWorker | None = None


def _worker(worker: DidkitWorker | None) -> DidkitWorker:
    global _default
    if worker is not None:
        return worker
    with _default_lock:
        if _default is None:
            _default = DidkitWorker()
            atexit.register(_default.close)
        return _default


def shutdown() -> None:
    """Stop the shared worker (it is started again on the next call)."""
    if _default is not None:
        _default.close()


# --------------------------------------------------------------------------- shapes


def _kind(document: Mapping[str, Any]) -> _Kind:
    """Credential or presentation, VC 1.1 only (didkit bundles no VC 2.0 context)."""
    if not isinstance(document, Mapping):
        raise MalformedInputError("a JSON-LD credential or presentation is a JSON object")
    context = document.get("@context")
    first = context[0] if isinstance(context, list) and context else context
    if first != VC_V1_CONTEXT:
        raise DataModelError(
            f"didkit 0.3.3 handles VC 1.1 only: the first @context must be {VC_V1_CONTEXT}"
        )
    types = document.get("type")
    names = {types} if isinstance(types, str) else set(types) if isinstance(types, list) else set()
    is_vc = "VerifiableCredential" in names
    is_vp = "VerifiablePresentation" in names
    if is_vc == is_vp:
        raise DataModelError(
            "type must include exactly one of VerifiableCredential, VerifiablePresentation"
        )
    return "credential" if is_vc else "presentation"


def _id_of(value: Any, what: str) -> str:
    if isinstance(value, Mapping):
        value = value.get("id")
    if not isinstance(value, str):
        raise DataModelError(f"{what} must be a DID (a string, or an object with an id)")
    return value


def _signer_did(document: Mapping[str, Any], kind: _Kind) -> str:
    """The DID didkit resolves besides the proof's method: the issuer, or the holder."""
    if kind == "credential":
        return _id_of(document.get("issuer"), "issuer")
    if "holder" not in document:
        # didkit accepts a presentation without a holder signed by any key at all.
        raise ProofError("a presentation must name its holder, who signs it")
    return _id_of(document["holder"], "holder")


def _offline_did(did_or_url: str) -> str:
    """The DID of an Ed25519 did:key URL; DidError/UnsupportedDidMethodError for others.

    didkit would resolve any other method over the network (did:web, did:webkey…).
    """
    Ed25519PublicKey.from_did(did_or_url)
    return did_or_url.partition("#")[0]


def _guard_canonicalization(document: Mapping[str, Any]) -> None:
    """Bound the RDF canonicalization work before didkit sees ``document``."""
    check_json_size(json.dumps(document))
    check_structure(document)
    # The quad-level bound on RDFC's N-degree work; the worker's timeout stops whatever
    # both bounds miss.
    check_canonicalization_cost(document)


def _judge(reply: str, required_check: str) -> None:
    """Raise unless didkit's verification result has no errors (trap 5)."""
    try:
        result = json.loads(reply)
        errors, checks = result["errors"], result["checks"]
    except (ValueError, TypeError, KeyError) as e:
        raise ProofError("didkit returned a result that is not a verification report") from e
    if errors:
        reason = "; ".join(str(error) for error in errors)
        if "signature error" in reason:
            raise InvalidSignatureError(f"didkit: {reason}")
        raise ProofError(f"didkit: {reason}")
    if required_check not in checks:
        raise ProofError(f"didkit did not report the {required_check!r} check as run")


def _check_challenge(
    found_challenge: Any,
    found_domain: Any,
    *,
    challenge: str | None,
    domain: str | None,
) -> None:
    if challenge is not None and found_challenge != challenge:
        if found_challenge is None:
            raise ProofError("the proof carries no challenge, and one is expected")
        raise ProofError("the proof carries a different challenge from the one expected")
    if domain is not None:
        domains = found_domain if isinstance(found_domain, list) else [found_domain]
        if domain not in domains:
            raise ProofError("the proof is not bound to the expected domain")


# --------------------------------------------------------------------------- JSON-LD


def issue_ld(
    document: Mapping[str, Any],
    key: KeyPair,
    *,
    proof_type: ProofType = "Ed25519Signature2018",
    proof_purpose: ProofPurpose | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    worker: DidkitWorker | None = None,
) -> dict[str, Any]:
    """Sign a VC 1.1 credential or presentation with a JSON-LD proof made by ``key``.

    The proof purpose defaults to ``assertionMethod`` for a credential and
    ``authentication`` for a presentation (another purpose yields a document that
    :func:`verify_ld` refuses: useful for negative vectors only). The issuer (holder) must
    be ``key.did``. Returns the signed document as didkit serialized it.

    Raises DataModelError, LimitExceededError, DidError, ProofError.
    """
    kind = _kind(document)
    if "proof" in document:
        raise ProofError("the document already has a proof (proof sets are not supported)")
    if proof_type not in LD_PROOF_TYPES:
        raise ProofError(f"unsupported proof type {proof_type!r}")
    if _signer_did(document, kind) != key.did:
        raise DataModelError(f"the {'issuer' if kind == 'credential' else 'holder'} is not key.did")
    _guard_canonicalization(document)
    options: dict[str, Any] = {
        "type": proof_type,
        "proofPurpose": proof_purpose or _PURPOSE[kind],
        "verificationMethod": key.verification_method,
    }
    if challenge is not None:
        options["challenge"] = challenge
    if domain is not None:
        options["domain"] = domain
    op = "issue_credential" if kind == "credential" else "issue_presentation"
    signed = _worker(worker).call(
        op, json.dumps(document), json.dumps(options), json.dumps(key.to_jwk())
    )
    result: dict[str, Any] = json.loads(signed)
    return result


def verify_ld(
    document: Mapping[str, Any],
    *,
    purpose: str | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    worker: DidkitWorker | None = None,
) -> None:
    """Verify the one JSON-LD proof of a VC 1.1 credential or presentation; return or raise.

    This is the proof check only: validity dates, status, the credentials inside a
    presentation and the holder-subject binding are the caller's, and so is replay when
    no ``challenge`` is given (didkit then accepts any). Steps:

    (1) shape: VC 1.1 context first, a credential or a presentation, one proof object
        of a supported type with the expected purpose (``purpose``, by default
        assertionMethod for a credential and authentication for a presentation);
    (2) every DID didkit would resolve (proof method, issuer or holder) is a did:key and
        the method's DID is the issuer's (holder's): nothing resolves over the network;
    (3) the proof carries the challenge and domain given, if any, exactly;
    (4) canonicalization bounds (:mod:`credentials.limits`);
    (5) didkit verifies the signature, status never requested; judged by its errors.

    Raises DataModelError, LimitExceededError, DidError, UnsupportedDidMethodError,
    ProofError, InvalidSignatureError.
    """
    kind = _kind(document)  # (1)
    proof = document.get("proof")
    if proof is None:
        raise ProofError("the document has no proof")
    if not isinstance(proof, Mapping):
        raise ProofError("exactly one proof object is supported (proof sets are not)")
    if proof.get("type") not in LD_PROOF_TYPES:
        raise ProofError(f"unsupported proof type {proof.get('type')!r} for didkit")
    purpose = purpose or _PURPOSE[kind]
    if purpose not in _PURPOSE.values():
        raise ProofError(f"proof purpose {purpose!r} is not one didkit is used for here")
    if proof.get("proofPurpose") != purpose:
        raise ProofError(f"the proof's purpose is not {purpose!r}")
    method = proof.get("verificationMethod")
    if not isinstance(method, str):
        raise ProofError("the proof's verificationMethod must be a DID URL")
    signer = _offline_did(method)  # (2)
    if _offline_did(_signer_did(document, kind)) != signer:
        role = "issuer" if kind == "credential" else "holder"
        raise ProofError(f"the proof is made by a key of {signer[:60]}, not by the {role}")
    _check_challenge(  # (3)
        proof.get("challenge"),
        proof.get("domain"),
        challenge=challenge,
        domain=domain,
    )
    _guard_canonicalization(document)  # (4)
    options: dict[str, Any] = {"proofPurpose": purpose, "checks": ["proof"]}  # (5)
    for name, value in (("challenge", challenge), ("domain", domain)):
        if value is not None:
            options[name] = value
    op = "verify_credential" if kind == "credential" else "verify_presentation"
    _judge(_worker(worker).call(op, json.dumps(document), json.dumps(options)), "proof")


# --------------------------------------------------------------------------- JWT


def issue_jwt(
    document: Mapping[str, Any],
    key: KeyPair,
    *,
    challenge: str | None = None,
    domain: str | None = None,
    worker: DidkitWorker | None = None,
) -> str:
    """Sign a VC 1.1 credential or presentation as a JWT (EdDSA), VC-JWT 1.1 encoding.

    For a presentation, ``challenge`` becomes ``nonce`` and ``domain`` becomes ``aud``.
    Raises DataModelError, LimitExceededError, ProofError.
    """
    kind = _kind(document)
    if "proof" in document:
        raise ProofError("a document to sign as a JWT must not carry a proof")
    if _signer_did(document, kind) != key.did:
        raise DataModelError(f"the {'issuer' if kind == 'credential' else 'holder'} is not key.did")
    check_json_size(json.dumps(document))
    check_structure(document)
    options: dict[str, Any] = {
        "proofFormat": "jwt",
        "proofPurpose": _PURPOSE[kind],
        "verificationMethod": key.verification_method,
    }
    if challenge is not None:
        options["challenge"] = challenge
    if domain is not None:
        options["domain"] = domain
    op = "issue_credential" if kind == "credential" else "issue_presentation"
    token = _worker(worker).call(
        op, json.dumps(document), json.dumps(options), json.dumps(key.to_jwk())
    )
    decode_jwt_unverified(token)  # what we hand back must parse
    return token


def decode_jwt_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a compact JWS into its header and claims, **without** verifying anything.

    Strict: three base64url segments without padding, JSON objects without duplicate
    members or non-finite numbers. Raises MalformedInputError, LimitExceededError.
    """
    if not isinstance(token, str):
        raise MalformedInputError("a JWT is a string")
    check_json_size(token)
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedInputError("a JWT has three dot-separated parts")
    header = _jwt_json(parts[0], "header")
    claims = _jwt_json(parts[1], "claims")
    if not _B64URL.fullmatch(parts[2]):
        raise MalformedInputError("the JWT signature is not base64url")
    return header, claims


def _jwt_json(segment: str, what: str) -> dict[str, Any]:
    if not segment or not _B64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise MalformedInputError(f"the JWT {what} is not unpadded base64url")
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:  # binascii and Unicode errors are ValueErrors
        raise MalformedInputError(f"the JWT {what} is not a JSON object: {e}") from e
    if not isinstance(value, dict):
        raise MalformedInputError(f"the JWT {what} is not a JSON object")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member names")
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def verify_jwt(
    token: str,
    *,
    challenge: str | None = None,
    domain: str | None = None,
    worker: DidkitWorker | None = None,
) -> dict[str, Any]:
    """Verify a JWT-VC or JWT-VP (EdDSA) and return its claims (with ``vc`` or ``vp``).

    (1) header ``alg`` is EdDSA, no ``crit``; ``kid`` and ``iss`` are did:key and the same
        DID; (2) claims hold exactly one of ``vc``/``vp`` whose issuer/holder, ``id`` and
        single subject id agree with ``iss``, ``jti`` and ``sub`` (VC-JWT 1.1 §6.3.1: the
        JWT claims replace them, so a disagreement is refused rather than resolved);
        (3) ``nonce``/``aud`` carry the challenge/domain given, if any (without one,
        replay is the caller's to check: the claims are returned); (4) didkit
        verifies the signature (it also refuses an expired or not-yet-valid token, with
        the reason ``No applicable JWS or proof``).

    Raises MalformedInputError, LimitExceededError, DataModelError, DidError,
    UnsupportedDidMethodError, ProofError, InvalidSignatureError.
    """
    header, claims = decode_jwt_unverified(token)
    if header.get("alg") != "EdDSA":  # (1)
        raise ProofError(f"JWT alg {header.get('alg')!r} is not EdDSA")
    if "crit" in header:
        raise ProofError("JWT header has critical extensions we do not implement")
    kid, iss = header.get("kid"), claims.get("iss")
    if not isinstance(kid, str) or not isinstance(iss, str):
        raise ProofError("a JWT-VC needs a kid header and an iss claim (both did:key)")
    if _offline_did(kid) != _offline_did(iss):
        raise ProofError("the JWT is signed by a key that is not the issuer's (kid ≠ iss)")
    if ("vc" in claims) == ("vp" in claims):  # (2)
        raise DataModelError("a JWT-VC holds exactly one of the claims vc, vp")
    kind: _Kind = "credential" if "vc" in claims else "presentation"
    body = claims["vc"] if kind == "credential" else claims["vp"]
    if not isinstance(body, Mapping):
        raise DataModelError(f"the {'vc' if kind == 'credential' else 'vp'} claim is not an object")
    role = "issuer" if kind == "credential" else "holder"
    if role in body and _id_of(body[role], role) != iss:
        raise ProofError(f"the {role} inside the JWT is not its iss claim")
    _same_if_both(body.get("id"), claims.get("jti"), "id", "jti")
    subject = body.get("credentialSubject")
    if isinstance(subject, Mapping):
        _same_if_both(subject.get("id"), claims.get("sub"), "credentialSubject.id", "sub")
    _check_challenge(  # (3)
        claims.get("nonce"),
        claims.get("aud"),
        challenge=challenge,
        domain=domain,
    )
    check_structure(body)
    options: dict[str, Any] = {
        "proofFormat": "jwt",
        "proofPurpose": _PURPOSE[kind],
        "checks": ["proof"],
    }
    # didkit refuses a JWT-VP with a nonce/aud unless told the same values: when the
    # caller asked for none, give it the token's own (the caller checks replay).
    found = {"challenge": claims.get("nonce"), "domain": claims.get("aud")}
    for name, value in (("challenge", challenge), ("domain", domain)):
        chosen = value if value is not None else found[name]
        if isinstance(chosen, str):
            options[name] = chosen
    op = "verify_credential" if kind == "credential" else "verify_presentation"
    _judge(_worker(worker).call(op, token, json.dumps(options)), "JWS")  # (4)
    return claims


def _same_if_both(inner: Any, claim: Any, inner_name: str, claim_name: str) -> None:
    if inner is not None and claim is not None and inner != claim:
        raise ProofError(f"the JWT's {claim_name} claim disagrees with {inner_name}")
