"""didkit's verification rate: through our adapter, and didkit called directly.

``didkit_verify_rate`` is what Musette gets (Ed25519Signature2018, VC 1.1 Open Badge,
through :mod:`credentials._didkit` and its worker process). ``didkit_direct_verify_rate``
calls didkit in a throwaway subprocess that ends with ``os._exit`` (didkit can crash the
interpreter that loaded it), to show what the worker costs. Run as a script to print both.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from typing import Any

from credentials import _didkit
from credentials.errors import ProofError
from credentials.keys import KeyPair

__all__ = ["didkit_direct_verify_rate", "didkit_verify_rate", "worker_round_trip_ms"]

_KEY = KeyPair(seed=bytes(range(32)))


def _badge(key: KeyPair) -> dict[str, Any]:
    return {
        "@context": [_didkit.VC_V1_CONTEXT, "https://purl.imsglobal.org/spec/ob/v3p0/context.json"],
        "id": "urn:uuid:0a8e4c1e-2f53-4a8e-9f0e-6f9b3b0f8f42",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": key.did, "type": "Profile", "name": "Bench issuer"},
        "issuanceDate": "2024-01-01T00:00:00Z",
        "name": "Python",
        "credentialSubject": {
            "id": key.did,
            "type": "AchievementSubject",
            "achievement": {
                "id": "urn:uuid:5d0e3c52-7b8a-4c0e-b1f4-93b1e1f2a6d0",
                "type": "Achievement",
                "achievementType": "Competency",
                "name": "Python",
                "description": "Writes and reviews production Python.",
                "criteria": {"narrative": "Peer-reviewed contributions."},
            },
        },
    }


def didkit_verify_rate(seconds: float) -> float:
    """Ed25519Signature2018 verifications per second through the adapter, for ``seconds``."""
    credential = _didkit.issue_ld(_badge(_KEY), _KEY)
    _didkit.verify_ld(credential)  # the worker is warm before the clock starts
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        _didkit.verify_ld(credential)
        count += 1
    return count / elapsed


# Runs in a child: didkit is loaded there only, and the child ends with os._exit.
_DIRECT = """
import asyncio, json, os, sys, time
import didkit

credential, options, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])

async def run():
    await didkit.verify_credential(credential, options)
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        result = json.loads(await didkit.verify_credential(credential, options))
        assert not result["errors"], result
        count += 1
    return count / elapsed

print(asyncio.run(run()), flush=True)
os._exit(0)
"""


def didkit_direct_verify_rate(seconds: float) -> float:
    """The same verifications per second, didkit called directly (in a subprocess)."""
    credential = _didkit.issue_ld(_badge(_KEY), _KEY)
    options = {"proofPurpose": "assertionMethod", "checks": ["proof"]}
    arguments = [json.dumps(credential), json.dumps(options), str(seconds)]
    completed = subprocess.run(
        [sys.executable, "-I", "-c", _DIRECT, *arguments],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    )
    return float(completed.stdout.strip())


def worker_round_trip_ms(calls: int = 1000) -> float:
    """Milliseconds for one request/reply with the worker when didkit has nothing to do.

    The request is refused by didkit at once (``{}`` is no credential), so this is the
    cost of the process boundary itself: two pipe writes, two JSON encodings.
    """
    with _didkit.DidkitWorker() as worker:
        started = time.perf_counter()
        for _ in range(calls):
            with contextlib.suppress(ProofError):
                worker.call("verify_credential", "{}", "{}")
        return (time.perf_counter() - started) / calls * 1000


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    adapter = didkit_verify_rate(seconds)
    direct = didkit_direct_verify_rate(seconds)
    print(f"Ed25519Signature2018 verify, through the adapter:    {adapter:8.1f} /s")
    print(f"Ed25519Signature2018 verify, didkit called directly: {direct:8.1f} /s")
    print(f"worker round trip (the process boundary alone):      {worker_round_trip_ms():8.3f} ms")
    _didkit.shutdown()


if __name__ == "__main__":
    main()
