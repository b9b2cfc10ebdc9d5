"""The didkit worker: didkit 0.3.3 run in a child process, and the shared instance of it.

didkit's async runtime can kill the interpreter that loaded it (SIGSEGV/SIGABRT at exit,
and ``FATAL: exception not rethrown`` when an awaited call is abandoned). didkit therefore
runs only in a child process, :class:`DidkitWorker` (``python -I``, JSON lines on its
stdin/stdout), which always ends with ``os._exit``. The child imports this module by name
(``_BOOTSTRAP``) and nothing of Musette's but :mod:`credentials.errors`; the interpreter
that starts it never loads didkit and exits with its own status.

The protocol: the child writes one ``{"ready": version}`` line, then answers each
``{"op": name, "args": [...]}`` line with one ``{"ok": result}`` or
``{"error": message, "type": name}`` line. ``op`` is one of didkit's four issue and verify
functions; every argument and result is a string.

What the worker bounds, whatever it is sent:

* time: every call has a timeout (:data:`CALL_TIMEOUT_SECONDS`), after which the worker is
  killed and the call raises :class:`~credentials.errors.LimitExceededError`;
* failure: a worker that dies is restarted once per call, then
  :class:`~credentials.errors.ProofError` ``"didkit worker died"``;
* the network: it runs with every HTTP proxy variable pointing at ``127.0.0.1:0``, so a
  request that slipped through fails locally in milliseconds, without even a DNS lookup;
* its life: it exits when its parent is gone, and the shared worker is closed at exit.

What to send it (VC 1.1 documents, checked, naming offline DIDs only) is the adapter's
business, :mod:`credentials._didkit`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import logging
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from .errors import LimitExceededError, ProofError

__all__ = [
    "CALL_TIMEOUT_SECONDS",
    "START_TIMEOUT_SECONDS",
    "DidkitWorker",
    "shutdown",
    "worker_or_shared",
]

#: A normal call takes milliseconds; a stalled canonicalization is stopped after this.
CALL_TIMEOUT_SECONDS = 10.0
START_TIMEOUT_SECONDS = 20.0

_LOG = logging.getLogger(__name__)
# Nothing can listen on port 0: a client that honours the proxy variables fails at once.
_DEAD_PROXY = "http://127.0.0.1:0"
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
_WORKER_OPS = ("issue_credential", "issue_presentation", "verify_credential", "verify_presentation")
_ROOT = Path(__file__).resolve().parent.parent
# ``-I``: no PYTHON* variables, no user site, no current directory on sys.path.
_BOOTSTRAP = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from credentials._didkit_worker import _serve; _serve(int(sys.argv[2]))"
)


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


def worker_or_shared(worker: DidkitWorker | None) -> DidkitWorker:
    """Return ``worker``, or when None the shared worker (made on first use, closed at exit)."""
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
