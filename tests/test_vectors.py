"""Musette's own vectors (specs/vectors/credentials): regenerating changes nothing, and
each one gets the outcome its manifest names, through the library and through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from credentials.inputs import parse_input
from credentials.verifier import Verifier
from tests.conftest import ROOT, SPEC_VECTORS

FOLDER = SPEC_VECTORS / "credentials"
MANIFEST = json.loads((FOLDER / "manifest.json").read_text())["vectors"]


def test_generator_reproduces_the_committed_vectors(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(FOLDER / "generate.py"), str(tmp_path)], check=True, cwd=ROOT
    )
    produced = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in FOLDER.glob("*.json"))
    assert produced == committed
    for name in produced:
        assert (tmp_path / name).read_bytes() == (FOLDER / name).read_bytes(), name


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_vector_outcome(name: str) -> None:
    expected = MANIFEST[name]
    report = Verifier().verify(parse_input((FOLDER / name).read_bytes()))
    assert report.verified is expected["verified"], report.to_json()
    if "failed" in expected:
        check = report.check(expected["failed"])
        assert check is not None
        assert check.status == "failed", report.to_json()


@pytest.mark.parametrize(
    "name", ["skill-attestation.rdfc.json", "broken-tampered-claim.json", "broken-expired.json"]
)
def test_vector_exit_status_through_the_cli(name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "node", "verify", "--json", str(FOLDER / name)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == MANIFEST[name]["exit"], result.stderr
    assert json.loads(result.stdout)["verified"] is MANIFEST[name]["verified"]
    assert "Traceback" not in result.stderr
