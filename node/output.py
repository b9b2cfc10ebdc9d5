"""How the CLI talks to people and scripts: reports as text or JSON, errors as one line."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from rich.console import Console
from rich.text import Text

from credentials.models import LEVEL_NAMES, SkillClaim
from credentials.report import CheckStatus, Report

__all__ = ["emit_json", "print_report", "stderr", "stdout"]


class _Console(Console):
    """A console that, when its reader goes away (``musette verify … | head``), stops
    writing and lets the command finish: rich would exit 1, which here means "a document
    failed a check"."""

    def on_broken_pipe(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


stdout = _Console(highlight=False, soft_wrap=True, emoji=False)
stderr = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

_MARK = {
    CheckStatus.PASSED: ("passed", "green"),
    CheckStatus.FAILED: ("FAILED", "bold red"),
    CheckStatus.NOT_CHECKED: ("not checked", "yellow"),
}


def emit_json(value: Any) -> None:
    try:
        sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        stdout.on_broken_pipe()


def describe_claim(document: Any) -> str:
    if not isinstance(document, dict):
        return ""
    claim = SkillClaim.from_credential(document)
    level = f", level {LEVEL_NAMES[claim.level]}" if claim.level else ""
    return f"{claim.kind} “{claim.name}”{level}, issued by {claim.issuer} to {claim.subject}"


def print_report(report: Report, *, title: str, indent: int = 0) -> None:
    """The report as a person reads it: the verdict, then one line per check."""
    pad = " " * indent
    line = Text(pad)
    if report.verified:
        line.append("VERIFIED", style="bold green")
    else:
        line.append("NOT VERIFIED", style="bold red")
    line.append(f"  {title}")
    stdout.print(line)
    for check in report.checks:
        word, style = _MARK[check.status]
        row = Text(f"{pad}  ")
        row.append(f"{word:<12}", style=style)
        row.append(f"{check.name:<16} {check.detail}")
        stdout.print(row)
    for number, inner in enumerate(report.credentials, 1):
        print_report(inner, title=f"credential {number}", indent=indent + 4)
