"""How the CLI talks to people and scripts: reports as text or JSON, errors as one line."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from credentials.models import LEVEL_NAMES, SkillClaim
from credentials.report import CheckStatus, Report

__all__ = ["emit_json", "print_report", "stderr", "stdout"]

stdout = Console(highlight=False, soft_wrap=True, emoji=False)
stderr = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

_MARK = {
    CheckStatus.PASSED: "[green]passed     [/]",
    CheckStatus.FAILED: "[bold red]FAILED     [/]",
    CheckStatus.NOT_CHECKED: "[yellow]not checked[/]",
}


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def describe_claim(document: Any) -> str:
    if not isinstance(document, dict):
        return ""
    claim = SkillClaim.from_credential(document)
    level = f", level {LEVEL_NAMES[claim.level]}" if claim.level else ""
    return f"{claim.kind} “{claim.name}”{level}, issued by {claim.issuer} to {claim.subject}"


def print_report(report: Report, *, title: str, indent: int = 0) -> None:
    pad = " " * indent
    verdict = (
        "[bold green]VERIFIED[/bold green]"
        if report.verified
        else "[bold red]NOT VERIFIED[/bold red]"
    )
    stdout.print(f"{pad}{verdict}  {title}")
    for check in report.checks:
        stdout.print(
            f"{pad}  {_MARK[check.status]:<28} {check.name:<16} {check.detail}", markup=True
        )
    for number, inner in enumerate(report.credentials, 1):
        print_report(inner, title=f"credential {number}", indent=indent + 4)
