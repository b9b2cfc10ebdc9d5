"""Running ``musette`` as a user runs it, for the tests: a subprocess with its own exit
status, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

__all__ = ["error_line", "musette", "ok"]


def musette(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "node", "--home", str(home), *args],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=ROOT,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def ok(home: Path, *args: str) -> Any:
    """Run ``musette … --json``, which must succeed; its JSON output."""
    result = musette(home, *args, "--json")
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one ``musette: error:`` line a failed command printed (the test-only KDF's
    warning aside)."""
    lines = [line for line in result.stderr.splitlines() if "insecure-test" not in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("musette: error:"), lines
    return lines[0]
