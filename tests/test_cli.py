"""The ``musette`` command line, run as a user runs it: a subprocess with its own exit
status (0 verified, 1 a document that failed a check, 2 input we do not recognise)."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from credentials import transport
from tests.cli import musette
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("cli")
    peer, worker = base / "peer", base / "worker"
    peer_did = json.loads(musette(peer, "id", "new", "--name", "amira", "--json").stdout)["did"]
    worker_did = json.loads(musette(worker, "id", "new", "--json").stdout)["did"]
    attestation = base / "tig.json"
    result = musette(
        peer,
        "issue",
        "skill",
        "--subject",
        worker_did,
        "--skill",
        "TIG welding",
        "--level",
        "6",
        "--evidence",
        "Zero rejects",
        "--relationship",
        "Site foreman",
        "--out",
        str(attestation),
    )
    assert result.returncode == 0, result.stderr
    return {
        "base": base,
        "peer": peer,
        "worker": worker,
        "peer_did": peer_did,
        "worker_did": worker_did,
        "attestation": attestation,
    }


def test_id_new_prints_a_did_and_the_first_is_default(homes: dict[str, Any]) -> None:
    listing = json.loads(musette(homes["peer"], "id", "list", "--json").stdout)
    assert listing == [{"name": "amira", "did": homes["peer_did"], "default": True}]
    assert homes["peer_did"].startswith("did:key:z6Mk")
    keystore = homes["peer"] / "keystore.json"
    assert keystore.stat().st_mode & 0o777 == 0o600
    assert not (homes["peer"] / "keys").exists()


def test_issued_attestation_verifies(homes: dict[str, Any]) -> None:
    result = musette(homes["base"], "verify", "--json", str(homes["attestation"]))
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["verified"] is True
    names = [c["name"] for c in report["checks"]]
    assert names == [
        "parse",
        "data-model",
        "contexts",
        "proof",
        "issuer-binding",
        "validity",
        "status",
        "trust",
    ]
    trust = report["checks"][-1]
    assert trust["status"] == "not-checked"
    assert "no anchors configured" in trust["detail"]
    assert set(report) == {"verified", "checks", "credentials"}


@pytest.mark.parametrize("fmt", ["jcs", "ed2020", "ld2018", "jwt"])
def test_every_format_issues_and_verifies(homes: dict[str, Any], fmt: str) -> None:
    out = homes["base"] / f"badge-{fmt}.txt"
    issued = musette(
        homes["peer"],
        "issue",
        "badge",
        "--subject",
        homes["worker_did"],
        "--badge",
        "Welder",
        "--criteria",
        "Passed the test",
        "--format",
        fmt,
        "--out",
        str(out),
    )
    assert issued.returncode == 0, issued.stderr
    result = musette(homes["base"], "verify", "--json", str(out))
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["verified"] is True


def test_tampered_claim_fails_with_exit_1(homes: dict[str, Any]) -> None:
    document = json.loads(homes["attestation"].read_text())
    document["credentialSubject"]["achievement"]["name"] = "Underwater welding"
    result = musette(homes["base"], "verify", "--json", "-", stdin=json.dumps(document))
    assert result.returncode == 1
    proof = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "proof")
    assert proof["status"] == "failed"
    assert "does not verify" in proof["detail"]


@pytest.mark.parametrize(
    ("stdin", "reason"),
    [
        ("{not json", "malformed JSON"),
        ('{"hello": "world"}', "not a verifiable credential"),
        ("[1, 2, 3]", "not an object"),
        ("just some words", "not JSON, a JWT or a MUS1"),
        ("MUS1:abc~def", "base45"),
        ('{"a": 1, "a": 2}', "duplicate"),
        ("[" * 100_000 + "]" * 100_000, "over the limit"),
    ],
)
def test_unrecognised_input_exits_2_with_one_line(
    homes: dict[str, Any], stdin: str, reason: str
) -> None:
    result = musette(homes["base"], "verify", "-", stdin=stdin)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert reason in lines[0]


def test_zip_bomb_payload_is_refused(homes: dict[str, Any]) -> None:
    deflater = zlib.compressobj(9, zdict=transport.DICTIONARY)
    bomb = deflater.compress(b"\0" * 5_000_000) + deflater.flush()
    payload = transport.PAYLOAD_PREFIX + transport.b45encode(bomb)
    result = musette(homes["base"], "verify", payload)
    assert result.returncode == 2
    assert "limit" in result.stderr


def test_qr_round_trip_and_png(homes: dict[str, Any]) -> None:
    png = homes["base"] / "tig.png"
    encoded = musette(
        homes["base"], "qr", "encode", "--json", "--png", str(png), str(homes["attestation"])
    )
    assert encoded.returncode == 0, encoded.stderr
    info = json.loads(encoded.stdout)
    assert info["qr_version"] <= 25
    assert png.read_bytes().startswith(b"\x89PNG")
    decoded = musette(homes["base"], "qr", "decode", info["payload"])
    assert json.loads(decoded.stdout) == json.loads(homes["attestation"].read_text())
    verified = musette(homes["base"], "verify", info["payload"])
    assert verified.returncode == 0


def test_presentation_with_challenge_and_domain(homes: dict[str, Any]) -> None:
    vp = homes["base"] / "vp.json"
    made = musette(
        homes["worker"],
        "present",
        str(homes["attestation"]),
        "--challenge",
        "n0nce",
        "--domain",
        "recruit.example",
        "--out",
        str(vp),
    )
    assert made.returncode == 0, made.stderr
    good = musette(
        homes["base"],
        "verify",
        "--json",
        str(vp),
        "--challenge",
        "n0nce",
        "--domain",
        "recruit.example",
    )
    assert good.returncode == 0, good.stdout
    assert len(json.loads(good.stdout)["credentials"]) == 1
    replay = musette(
        homes["base"], "verify", str(vp), "--challenge", "other", "--domain", "recruit.example"
    )
    assert replay.returncode == 1


def test_presenting_someone_elses_credential_fails(homes: dict[str, Any]) -> None:
    vp = homes["base"] / "stolen.json"
    made = musette(
        homes["peer"],
        "present",
        str(homes["attestation"]),
        "--challenge",
        "c",
        "--domain",
        "d",
        "--out",
        str(vp),
    )
    assert made.returncode == 0
    result = musette(
        homes["base"], "verify", "--json", str(vp), "--challenge", "c", "--domain", "d"
    )
    assert result.returncode == 1
    binding = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "subject-binding")
    assert binding["status"] == "failed"


@pytest.mark.parametrize(
    "args",
    [
        [
            "issue",
            "skill",
            "--subject",
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "--skill",
            "x",
            "--level",
            "9",
        ],
        ["issue", "skill", "--subject", "not a uri", "--skill", "x"],
        ["issue", "skill", "--skill", "x"],
        ["verify", "/nonexistent/file.json"],
        [
            "issue",
            "badge",
            "--subject",
            "did:key:z6Mk",
            "--badge",
            "b",
            "--criteria",
            "c",
            "--format",
            "nope",
        ],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_2(homes: dict[str, Any], args: list[str]) -> None:
    result = musette(homes["peer"], *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.strip()


def test_signing_without_an_identity_is_a_clear_error(tmp_path: Path) -> None:
    result = musette(
        tmp_path / "empty", "issue", "endorse", "--subject", "did:key:z6Mk", "--comment", "c"
    )
    assert result.returncode == 2
    assert "musette persona new" in result.stderr


def test_debug_shows_the_traceback_on_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "node", "--debug", "verify", "-"],
        capture_output=True,
        text=True,
        input="{bad",
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" in result.stderr
