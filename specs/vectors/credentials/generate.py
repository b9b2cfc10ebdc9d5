"""Generate Musette's own credential vectors: valid documents and broken ones, each named
after what it breaks, with a manifest of the outcome a verifier must report.

Deterministic: fixed seeds, fixed ids and times, and Ed25519 signatures are
deterministic, so running this again must reproduce the committed files byte for byte
(``tests/test_vectors.py`` checks it). Run: ``make vectors``.
"""

from __future__ import annotations

import copy
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from credentials import dataintegrity
from credentials.keys import KeyPair
from credentials.models import CommunityBadge, Endorsement, SkillAttestation

HERE = Path(__file__).resolve().parent
CREATED = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
ISSUER = KeyPair(seed=bytes(range(32)))
GUILD = KeyPair(seed=bytes(range(32, 64)))
WORKER = KeyPair(seed=bytes(range(64, 96)))
STRANGER = KeyPair(seed=bytes(range(96, 128)))


def _skill(**changes: Any) -> SkillAttestation:
    fields: dict[str, Any] = {
        "issuer": ISSUER.did,
        "issuer_name": "Amira Haddad",
        "subject": WORKER.did,
        "skill": "TIG welding",
        "level": 6,
        "evidence": "Welded the stainless manifolds of the Vénissieux job, zero rejects.",
        "relationship": "Her site foreman for two years",
        "alignment": (
            "http://data.europa.eu/esco/skill/4dd8b6d5-e5c8-4e5b-9a75-d2a34c3e0ecf",
            "digcomp:5",
        ),
        "valid_from": CREATED,
        "credential_id": "urn:uuid:2f1c8a4e-3b7d-4e51-9c0a-6d2b5e8f1a37",
    }
    fields.update(changes)
    return SkillAttestation(**fields)


def build() -> dict[str, tuple[Any, dict[str, Any]]]:
    """name → (document, expected outcome)."""
    ok = {"verified": True, "exit": 0}
    attestation = _skill().to_jsonld()
    signed = dataintegrity.sign(attestation, ISSUER, created=CREATED)
    jcs = dataintegrity.sign(attestation, ISSUER, suite="eddsa-jcs-2022", created=CREATED)
    ed2020 = dataintegrity.sign(attestation, ISSUER, suite="Ed25519Signature2020", created=CREATED)
    badge = CommunityBadge(
        issuer=GUILD.did,
        issuer_name="Lyon Welders' Guild",
        subject=WORKER.did,
        badge="Certified TIG Welder",
        criteria="Passed the guild's practical test, inspected by two members.",
        valid_from=CREATED,
        credential_id="urn:uuid:9a0e4f0c-1f5e-4a5b-8c1d-2b3c4d5e6f70",
    ).to_jsonld()
    endorsement = Endorsement(
        issuer=GUILD.did,
        subject=ISSUER.did,
        comment="Amira is a guild member in good standing and a certified inspector.",
        valid_from=CREATED,
        credential_id="urn:uuid:5c4b3a29-1807-4f6e-9d5c-4b3a29180706",
    ).to_jsonld()

    def broken(check: str, document: Any) -> tuple[Any, dict[str, Any]]:
        return document, {"verified": False, "exit": 1, "failed": check}

    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["result"][0]["achievedLevel"] = "urn:musette:digcomp-level:8"
    swapped = copy.deepcopy(signed)
    swapped["issuer"]["id"] = STRANGER.did
    impostor = dataintegrity.sign(
        {**attestation, "issuer": {"id": ISSUER.did, "type": ["Profile"]}},
        STRANGER,
        created=CREATED,
    )
    wrong_signature = copy.deepcopy(signed)
    wrong_signature["proof"]["proofValue"] = jcs["proof"]["proofValue"]
    no_proof = copy.deepcopy(attestation)
    unknown_context = copy.deepcopy(signed)
    unknown_context["@context"].append("https://example.org/evil-context.jsonld")
    did_web = dataintegrity.sign(attestation, ISSUER, created=CREATED)
    did_web["proof"]["verificationMethod"] = "did:web:issuer.example#key-1"
    expired = dataintegrity.sign(
        _skill(valid_until=datetime(2026, 2, 1, tzinfo=UTC)).to_jsonld(), ISSUER, created=CREATED
    )
    future = dataintegrity.sign(
        _skill(valid_from=datetime(2099, 1, 1, tzinfo=UTC)).to_jsonld(), ISSUER, created=CREATED
    )
    # Added after signing under a name no context defines: JSON-LD drops it, so the
    # signature still verifies, but a reader would see an unsigned claim.
    unsigned_claim = copy.deepcopy(signed)
    unsigned_claim["credentialSubject"]["endorsedBy"] = "the Minister of Labour"
    poison = copy.deepcopy(signed)
    poison["credentialSubject"]["knows"] = [
        {"id": f"_:b{i}", "knows": [f"_:b{j}" for j in range(9) if j != i]} for i in range(9)
    ]
    return {
        "skill-attestation.unsigned": (
            attestation,
            {"verified": False, "exit": 1, "failed": "proof"},
        ),
        "skill-attestation.rdfc": (signed, ok),
        "skill-attestation.jcs": (jcs, ok),
        "skill-attestation.ed2020": (ed2020, ok),
        "community-badge.rdfc": (dataintegrity.sign(badge, GUILD, created=CREATED), ok),
        "endorsement.rdfc": (dataintegrity.sign(endorsement, GUILD, created=CREATED), ok),
        "broken-tampered-claim": broken("proof", tampered),
        "broken-swapped-issuer": broken("proof", swapped),
        "broken-signed-by-non-issuer": broken("issuer-binding", impostor),
        "broken-wrong-signature": broken("proof", wrong_signature),
        "broken-no-proof": broken("proof", no_proof),
        "broken-unknown-context": broken("contexts", unknown_context),
        "broken-unresolvable-did-web": broken("proof", did_web),
        "broken-expired": broken("validity", expired),
        "broken-not-yet-valid": broken("validity", future),
        "broken-labelled-blank-nodes": broken("proof", poison),
        "broken-undefined-term-added": broken("data-model", unsigned_claim),
    }


def write(folder: Path) -> None:
    manifest = {}
    for name, (document, outcome) in build().items():
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        (folder / f"{name}.json").write_text(text, encoding="utf-8")
        manifest[f"{name}.json"] = outcome
    keys = {
        "issuer": ISSUER.did,
        "guild": GUILD.did,
        "worker": WORKER.did,
        "stranger": STRANGER.did,
        "seeds": "issuer bytes 0..31, guild 32..63, worker 64..95, stranger 96..127",
    }
    (folder / "manifest.json").write_text(
        json.dumps({"keys": keys, "vectors": manifest}, indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
