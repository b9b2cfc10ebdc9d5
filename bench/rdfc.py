"""RDFC-1.0 canonicalization rate: Musette's fast path against pyld, same process.

Documents: the Open Badges 3.0 basic example (from ``../shared/vectors``, skipped when
absent) and a typical skill attestation (an OpenBadgeCredential for a Competency, with
alignment, evidence and an ``eddsa-rdfc-2022`` proof). For each: ``rdfc.canonicalize``
(fast converter, then labelling), its stages, and pyld 3.3 ``jsonld.normalize``
(URDNA2015) with the same bundled-context loader. A Data Integrity verification
canonicalizes twice (the document without its proof, then the proof configuration);
the last rows are that pair.

Run: ``.venv/bin/python bench/rdfc.py [--seconds S]``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyld import jsonld

from credentials import _jsonld_fast, rdfc
from credentials.loader import pyld_document_loader

OB_BASIC = (
    Path(__file__).resolve().parent.parent.parent
    / "shared/vectors/ob3-examples/basicOpenBadgeCredential.json"
)

SKILL_ATTESTATION: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "urn:uuid:3b0f7c52-8d4e-4a61-9f2b-1c7e5d9a0b44",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Skill: Kubernetes operations",
    "issuer": {
        "id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "type": ["Profile"],
        "name": "Jonas Lindqvist",
    },
    "validFrom": "2026-03-02T08:00:00Z",
    "credentialSubject": {
        "id": "did:key:z6MknGc3ocHs3zdPiJbnaaqDi58NGb4pk1Sp9WxWufuXSdxf",
        "type": ["AchievementSubject"],
        "achievement": {
            "id": "urn:uuid:6a1d2f3e-4b5c-4d6e-8f70-819a2b3c4d5e",
            "type": ["Achievement"],
            "achievementType": "Competency",
            "name": "Kubernetes operations",
            "description": "Competence in running production Kubernetes clusters.",
            "criteria": {"narrative": "Attested by a peer who observed the work."},
            "alignment": [
                {
                    "type": ["Alignment"],
                    "targetName": "manage cloud infrastructure",
                    "targetFramework": "ESCO",
                    "targetUrl": "http://data.europa.eu/esco/skill/0a1b2c3d-0000-4000-8000-000000000001",
                    "targetType": "ceasn:Competency",
                },
                {
                    "type": ["Alignment"],
                    "targetName": "Problem solving",
                    "targetFramework": "DigComp 2.2",
                    "targetUrl": "https://joint-research-centre.ec.europa.eu/digcomp/digcomp-framework_en#area-5",
                    "targetCode": "5",
                },
            ],
        },
    },
    "evidence": [
        {
            "type": ["Evidence"],
            "name": "Observed work",
            "narrative": "Migrated the payments cluster to 1.30 with no downtime.",
        },
        {
            "type": ["Evidence"],
            "name": "How the issuer knows the subject",
            "genre": "Working relationship",
            "narrative": "Her on-call partner for a year.",
        },
    ],
    "proof": {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-03-02T08:00:00Z",
        "verificationMethod": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
        "#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "proofPurpose": "assertionMethod",
        "proofValue": "z5Y9cYzRxMoMHhtHkUHGuYUbeFBbkvvm1UxNJYsTa8xnWmbdgiKVFQhR9jcmF7sVoDpcLUXC",
    },
}

_PYLD_OPTIONS = {
    "algorithm": "URDNA2015",
    "format": "application/n-quads",
    "documentLoader": pyld_document_loader,
}


def rate(action: Callable[[], Any], seconds: float) -> float:
    """Calls per second of ``action`` over about ``seconds`` (after one warm-up call)."""
    action()
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(5):
            action()
        count += 5
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def _row(label: str, per_second: float) -> None:
    print(f"  {label:<44} {per_second:>10,.0f}/s {1e6 / per_second:>10,.1f} µs")


def bench(name: str, document: dict[str, Any], seconds: float) -> None:
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof = document.get("proof")
    config = (
        {**{k: v for k, v in proof.items() if k != "proofValue"}, "@context": document["@context"]}
        if isinstance(proof, dict)
        else None
    )
    quads = _jsonld_fast.to_quads(unsecured)
    dataset = set(quads)
    first_degree = rdfc._first_degree(dataset)
    same = rdfc.canonicalize(unsecured) == jsonld.normalize(unsecured, _PYLD_OPTIONS)
    print(f"{name}: {len(quads)} quads without the proof; same output as pyld: {same}")
    fast = rate(lambda: rdfc.canonicalize(unsecured), seconds)
    slow = rate(lambda: jsonld.normalize(unsecured, _PYLD_OPTIONS), seconds)
    _row("rdfc.canonicalize (fast path)", fast)
    _row("  JSON-LD -> quads", rate(lambda: _jsonld_fast.to_quads(unsecured), seconds))
    _row("  first-degree hashes", rate(lambda: rdfc._first_degree(dataset), seconds))
    _row(
        "  labels + canonical N-Quads",
        rate(lambda: rdfc._label_by_first_degree(dataset, first_degree), seconds),
    )
    _row("  (pyoxigraph RDFC-1.0 instead)", rate(lambda: rdfc._canonical_nquads(quads), seconds))
    _row("pyld jsonld.normalize (URDNA2015)", slow)
    print(f"  {'speed-up':<44} {fast / slow:>10.1f}x")
    if config is not None:

        def pair() -> None:
            rdfc.canonicalize(unsecured)
            rdfc.canonicalize(config)

        def pyld_pair() -> None:
            jsonld.normalize(unsecured, _PYLD_OPTIONS)
            jsonld.normalize(config, _PYLD_OPTIONS)

        _row("document + proof configuration (fast path)", rate(pair, seconds))
        _row("document + proof configuration (pyld)", rate(pyld_pair, seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = parser.parse_args()
    if OB_BASIC.exists():
        bench("Open Badges basic example", json.loads(OB_BASIC.read_text("utf-8")), args.seconds)
    else:
        print(f"(skipped the Open Badges example: {OB_BASIC} not found)")
    bench("Typical skill attestation", SKILL_ATTESTATION, args.seconds)


if __name__ == "__main__":
    main()
