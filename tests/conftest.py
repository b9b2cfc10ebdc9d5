"""Shared fixtures: where the published vectors are, and a skip when they are absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Every test home is sealed with the test-only KDF profile (named so, and warning when
# used) and a fixed passphrase; subprocesses running the CLI inherit both.
os.environ.setdefault("MUSETTE_KDF", "insecure-test")
os.environ.setdefault("MUSETTE_PASSPHRASE", "correct horse battery staple")

ROOT = Path(__file__).resolve().parent.parent
SHARED_VECTORS = ROOT.parent / "shared" / "vectors"
SPEC_VECTORS = ROOT / "specs" / "vectors"


def shared_vectors_dir(*parts: str) -> Path:
    """Return a folder of ``../shared/vectors``, skipping the test when it is absent."""
    path = SHARED_VECTORS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"published vectors not found at {path} (they sit beside the checkout in CI)")
    return path
