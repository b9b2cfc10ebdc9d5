"""The verification report: named checks with an outcome and a reason.

JSON shape (stable; ``specs/verification.md``)::

    {"verified": bool,
     "checks": [{"name": str, "status": "passed"|"failed"|"not-checked", "detail": str}],
     "credentials": [<nested reports, for presentations>]}

``verified`` is true only when the proof and binding checks passed and no check failed.
"Could not check" (``not-checked``) is not "failed": it says which data was absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Check", "CheckStatus", "Report"]


class CheckStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_CHECKED = "not-checked"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: CheckStatus
    detail: str
    value: float | None = None  # a figure the check measured (the trust check's)

    @classmethod
    def passed(cls, name: str, detail: str, value: float | None = None) -> Check:
        return cls(name, CheckStatus.PASSED, detail, value)

    @classmethod
    def failed(cls, name: str, detail: str, value: float | None = None) -> Check:
        return cls(name, CheckStatus.FAILED, detail, value)

    @classmethod
    def not_checked(cls, name: str, detail: str) -> Check:
        return cls(name, CheckStatus.NOT_CHECKED, detail)

    def to_json(self) -> dict[str, Any]:
        shape: dict[str, Any] = {
            "name": self.name,
            "status": self.status.value,
            "detail": self.detail,
        }
        if self.value is not None:
            shape["value"] = self.value
        return shape


# The checks without which nothing is established: a document is verified only if these
# passed (one of the binding checks applies: issuer for credentials, holder for VPs).
_REQUIRED = ("proof",)
_BINDING = ("issuer-binding", "holder-binding")


@dataclass(frozen=True, slots=True)
class Report:
    checks: tuple[Check, ...]
    credentials: tuple[Report, ...] = field(default=())
    kind: str = "credential"

    @property
    def verified(self) -> bool:
        by_name = {c.name: c.status for c in self.checks}
        if any(c.status is CheckStatus.FAILED for c in self.checks):
            return False
        if any(by_name.get(name) is not CheckStatus.PASSED for name in _REQUIRED):
            return False
        binding = [by_name[name] for name in _BINDING if name in by_name]
        if not binding or any(s is not CheckStatus.PASSED for s in binding):
            return False
        return all(r.verified for r in self.credentials)

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status is CheckStatus.FAILED]

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "checks": [c.to_json() for c in self.checks],
            "credentials": [r.to_json() for r in self.credentials],
        }
