"""Verification throughput, per suite and for the QR path, beside baselines measured in
the same process: raw PyNaCl Ed25519 verify of a message the size of the document, and
didkit's Ed25519Signature2018 verify.

Run: ``make bench`` (or ``.venv/bin/python bench/verify.py [--seconds S] [--json]``).
Prints figures; asserts nothing (speed is measured, never asserted in tests).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nacl.signing

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from credentials import dataintegrity, transport
from credentials.inputs import ParsedInput
from credentials.issuance import issue
from credentials.keys import KeyPair
from credentials.models import SkillAttestation
from credentials.resolver import OfflineResolver
from credentials.verifier import Verifier


def rate(action: Callable[[], Any], seconds: float) -> float:
    """Calls per second of ``action`` over about ``seconds`` (after one warm-up call)."""
    action()
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(10):
            action()
        count += 10
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def typical_attestation(issuer: KeyPair, subject: KeyPair, *, model: str = "2.0") -> dict[str, Any]:
    return SkillAttestation(
        issuer=issuer.did,
        issuer_name="Amira Haddad",
        subject=subject.did,
        skill="TIG welding",
        level=6,
        evidence="Welded the stainless manifolds of the Vénissieux job, zero rejects.",
        relationship="Her site foreman for two years",
        alignment=("http://data.europa.eu/esco/skill/4dd8b6d5-e5c8-4e5b-9a75-d2a34c3e0ecf",),
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
    ).to_jsonld(model=model)  # type: ignore[arg-type]


def nacl_rate(size: int, seconds: float) -> float:
    key = nacl.signing.SigningKey.generate()
    signed = key.sign(b"x" * size)
    verify = key.verify_key.verify
    return rate(lambda: verify(signed), seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    seconds = args.seconds

    issuer, subject = KeyPair.generate(), KeyPair.generate()
    unsigned = typical_attestation(issuer, subject)
    verifier = Verifier()
    resolver = OfflineResolver()
    rows: list[dict[str, Any]] = []

    def measure(name: str, document: dict[str, Any], action: Callable[[], Any]) -> None:
        size = len(json.dumps(document, separators=(",", ":")).encode())
        ours = rate(action, seconds)
        base = nacl_rate(size, seconds)
        rows.append(
            {
                "what": name,
                "per_second": round(ours, 1),
                "doc_bytes": size,
                "nacl_per_second": round(base, 1),
                "ratio_to_nacl": round(ours / base, 4),
            }
        )

    for fmt in ("rdfc", "jcs", "ed2020"):
        signed = issue(unsigned, issuer, fmt=fmt)  # type: ignore[arg-type]
        assert isinstance(signed, dict)
        suite = dataintegrity.suite_of(signed["proof"])
        measure(
            f"{suite}: proof only",
            signed,
            lambda s=signed: dataintegrity.verify(s, resolver, expected_purpose="assertionMethod"),
        )
        parsed = ParsedInput(format="jsonld", document=signed)
        measure(f"{suite}: full report", signed, lambda p=parsed: verifier.verify(p))
        if fmt == "rdfc":
            payload = transport.encode_payload(signed)
            measure(
                "QR: decode MUS1 + full report (rdfc)",
                signed,
                lambda payload=payload: verifier.verify(
                    ParsedInput(format="jsonld", document=transport.decode_payload(payload))
                ),
            )
            measure(
                "QR: decode MUS1 only",
                signed,
                lambda payload=payload: transport.decode_payload(payload),
            )
            rdfc_rate = rows[0]["per_second"]

    didkit_rate = None
    try:
        from bench.didkit_baseline import didkit_verify_rate

        didkit_rate = didkit_verify_rate(seconds)
    except Exception as e:  # the baseline is optional: report why it is missing
        print(f"didkit baseline unavailable: {type(e).__name__}: {e}", file=sys.stderr)

    if args.json:
        print(
            json.dumps(
                {"rows": rows, "didkit_ed25519signature2018_per_second": didkit_rate}, indent=2
            )
        )
        return
    print(f"{'what':<46} {'per s':>9} {'bytes':>6} {'nacl/s':>9} {'ratio':>7}")
    for row in rows:
        print(
            f"{row['what']:<46} {row['per_second']:>9.1f} {row['doc_bytes']:>6} "
            f"{row['nacl_per_second']:>9.1f} {row['ratio_to_nacl']:>7.3f}"
        )
    if didkit_rate:
        print(f"\ndidkit Ed25519Signature2018 verify: {didkit_rate:.1f}/s")
        print(
            f"eddsa-rdfc-2022 proof verify / didkit: {rdfc_rate / didkit_rate:.2f}x (target ≥ 2x)"
        )


if __name__ == "__main__":
    main()
