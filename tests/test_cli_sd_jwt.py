"""Selective disclosure end to end through the CLI (``specs/sd-jwt.md`` §5): an issuer
issues an SD-JWT VC, the worker imports and accepts it, presents only skill and level, a
recruiter verifies; then the issuer revokes it."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from credentials.sd_jwt_view import payload_unverified
from tests.test_cli import musette

EVIDENCE = "Rebuilt the furnace control loop under audit"
RELATIONSHIP = "Her shift lead for three years"
CHALLENGE, DOMAIN = "n-7f3a91", "https://recruiter.example"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("sd-jwt-cli")
    issuer, worker = base / "issuer", base / "worker"
    musette(issuer, "persona", "new", "--name", "amira")
    worker_did = json.loads(musette(worker, "persona", "new", "--json").stdout)["did"]
    token, edge = base / "skill.sd-jwt", base / "skill.edge"
    result = musette(
        issuer,
        "issue",
        "skill",
        "--format",
        "sd-jwt",
        "--subject",
        worker_did,
        "--skill",
        "Process control",
        "--level",
        "6",
        "--evidence",
        EVIDENCE,
        "--relationship",
        RELATIONSHIP,
        "--out",
        str(token),
        "--edge-out",
        str(edge),
    )
    assert result.returncode == 0, result.stderr
    imported = musette(worker, "wallet", "import", str(token), "--edge", str(edge), "--json")
    assert imported.returncode == 0, imported.stderr
    item = json.loads(imported.stdout)
    presentation = base / "presentation.txt"
    presented = musette(
        worker,
        "present",
        "--credential",
        item["id"],
        "--disclose",
        "skill",
        "--disclose",
        "level",
        "--challenge",
        CHALLENGE,
        "--domain",
        DOMAIN,
        "--out",
        str(presentation),
    )
    assert presented.returncode == 0, presented.stderr
    return {
        "base": base,
        "issuer": issuer,
        "worker": worker,
        "worker_did": worker_did,
        "token": token,
        "item": item,
        "presentation": presentation,
    }


def _verify(world: dict[str, Any], source: Path, *args: str) -> Any:
    # the recruiter's own, empty home: no ledger to fall back on
    return musette(world["base"] / "recruiter", "verify", str(source), *args)


def test_issued_token_is_holder_bound_with_a_status_claim(world: dict[str, Any]) -> None:
    payload = payload_unverified(world["token"].read_text().strip())
    assert payload["sub"] == world["worker_did"]
    assert payload["cnf"]["jwk"]["kty"] == "OKP"
    reference = payload["status"]["status_list"]
    assert isinstance(reference["idx"], int)
    assert reference["uri"].endswith(":revocation")
    assert not {"skill", "level", "evidence", "relationship"} & set(payload)


def test_import_reads_the_skill_and_accept_publishes_the_edge(world: dict[str, Any]) -> None:
    item = world["item"]
    assert (item["format"], item["skill"], item["level"]) == ("sd-jwt", "Process control", 6)
    assert item["subject"] == world["worker_did"]
    assert item["edge"]
    accepted = musette(world["worker"], "accept", item["id"], "--json")
    assert accepted.returncode == 0, accepted.stderr
    shown = json.loads(musette(world["worker"], "ledger", "show", "--json").stdout)
    assert world["worker_did"] in json.dumps(shown)


def test_presentation_discloses_only_skill_and_level(world: dict[str, Any]) -> None:
    text = world["presentation"].read_text()
    assert EVIDENCE not in text
    assert RELATIONSHIP not in text
    for part in text.strip().split("~")[1:-1]:
        decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()
        assert EVIDENCE not in decoded
        assert RELATIONSHIP not in decoded
    result = _verify(world, world["presentation"], "--challenge", CHALLENGE, "--domain", DOMAIN)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERIFIED" in result.stdout
    assert 'disclosed: level = 6, skill = "Process control"' in result.stdout
    assert EVIDENCE not in result.stdout
    as_json = _verify(
        world, world["presentation"], "--challenge", CHALLENGE, "--domain", DOMAIN, "--json"
    )
    report = json.loads(as_json.stdout)
    assert report["verified"] is True
    assert report["disclosed"] == ["level", "skill"]
    names = [c["name"] for c in report["checks"]]
    assert names[:3] == ["parse", "proof", "issuer-binding"]
    assert "status" in names


def test_wrong_challenge_fails(world: dict[str, Any]) -> None:
    result = _verify(world, world["presentation"], "--challenge", "other", "--domain", DOMAIN)
    assert result.returncode == 1, result.stdout
    assert "challenge" in result.stdout


def test_tampered_presentation_fails(world: dict[str, Any]) -> None:
    # the holder raises its disclosed level from 6 to 8: a digest the issuer never signed
    parts = world["presentation"].read_text().strip().split("~")
    for i, part in enumerate(parts[1:-1], 1):
        salt, name, _value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        if name == "level":
            raised = json.dumps([salt, name, 8], separators=(",", ":")).encode()
            parts[i] = base64.urlsafe_b64encode(raised).rstrip(b"=").decode()
    tampered = world["base"] / "tampered.txt"
    tampered.write_text("~".join(parts) + "\n")
    result = _verify(world, tampered, "--challenge", CHALLENGE, "--domain", DOMAIN, "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    failed = {c["name"] for c in json.loads(result.stdout)["checks"] if c["status"] == "failed"}
    assert failed == {"disclosures", "holder-binding"}
    kb_cut = world["base"] / "kb-cut.txt"
    kb_cut.write_text("~".join(parts[:-1]) + "~\n")
    result = _verify(world, kb_cut, "--challenge", CHALLENGE, "--domain", DOMAIN)
    assert result.returncode == 1
    assert "holder-binding" in result.stdout


def test_garbage_is_an_input_error(world: dict[str, Any]) -> None:
    garbage = world["base"] / "garbage.txt"
    garbage.write_text("abc~def~\n")
    result = _verify(world, garbage)
    assert result.returncode == 2
    assert "musette: error" in result.stderr


def test_mixing_with_json_ld_is_refused(world: dict[str, Any]) -> None:
    other = world["base"] / "other.json"
    made = musette(
        world["issuer"],
        "issue",
        "skill",
        "--subject",
        world["worker_did"],
        "--skill",
        "Welding",
        "--out",
        str(other),
    )
    assert made.returncode == 0, made.stderr
    result = musette(
        world["worker"],
        "present",
        str(world["token"]),
        str(other),
        "--challenge",
        CHALLENGE,
        "--domain",
        DOMAIN,
    )
    assert result.returncode == 2
    assert "its own presentation" in result.stderr


def test_revoked_by_its_issuer_fails_status(world: dict[str, Any]) -> None:
    revoked = musette(world["issuer"], "revoke", str(world["token"]), "--json")
    assert revoked.returncode == 0, revoked.stderr
    assert json.loads(revoked.stdout)["status"] == "revoked"
    status_list = world["base"] / "revocation-list.json"
    exported = musette(
        world["issuer"],
        "status-list",
        "export",
        "--purpose",
        "revocation",
        "--out",
        str(status_list),
    )
    assert exported.returncode == 0, exported.stderr
    # a fresh presentation (the KB-JWT of the first may be minutes old by now)
    fresh = world["base"] / "fresh.txt"
    presented = musette(
        world["worker"],
        "present",
        "--credential",
        world["item"]["id"],
        "--disclose",
        "skill",
        "--challenge",
        CHALLENGE,
        "--domain",
        DOMAIN,
        "--out",
        str(fresh),
    )
    assert presented.returncode == 0, presented.stderr
    result = _verify(
        world,
        fresh,
        "--challenge",
        CHALLENGE,
        "--domain",
        DOMAIN,
        "--status-list",
        str(status_list),
        "--json",
    )
    assert result.returncode == 1, result.stdout
    report = json.loads(result.stdout)
    status = next(c for c in report["checks"] if c["name"] == "status")
    assert status["status"] == "failed", status
    assert report["disclosed"] == ["skill"]


def test_presentation_travels_as_a_mus1_payload(world: dict[str, Any]) -> None:
    qr = musette(
        world["worker"],
        "present",
        str(world["token"]),
        "--disclose",
        "level",
        "--challenge",
        CHALLENGE,
        "--domain",
        DOMAIN,
        "--qr",
    )
    assert qr.returncode == 0, qr.stderr
    payload = world["base"] / "payload.txt"
    payload.write_text(qr.stdout)
    result = _verify(world, payload, "--challenge", CHALLENGE, "--domain", DOMAIN)
    assert "SD-JWT VC from a MUS1 QR payload" in result.stdout
    assert "disclosed: level = 6 " in result.stdout
