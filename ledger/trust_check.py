"""The ``trust`` check: a figure per attestation, from the verifier's own anchors
(``specs/trust.md`` §5), plugged into the verifier after ``status``.

The figure is the issuer's trust for the attestation's skill, less what counted flags
take. It is computed from the verifier's anchors over a ledger's edges, or read from a
trust snapshot of a node the verifier chose (labelled as such). With neither, the check is
``not-checked`` — never passed. A figure is a measurement, not a verdict: the check fails
only under a policy (``min_trust``) that the figure does not meet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from credentials.models import SkillClaim
from credentials.report import Check

from .entries import credential_digest
from .trust import Scores, TrustGraph, compute
from .trust_snapshot import Snapshot

__all__ = ["TrustCheck"]

_ATTESTATIONS = ("skill", "badge", "endorsement")


def _short(did: str) -> str:
    return did if len(did) <= 28 else f"{did[:20]}…{did[-6:]}"


class TrustCheck:
    """Computes (or looks up) the trust figure of each credential's issuer."""

    name = "trust"

    def __init__(
        self,
        *,
        graph: TrustGraph | None = None,
        anchors: Sequence[str] = (),
        snapshot: Snapshot | None = None,
        min_trust: float | None = None,
    ) -> None:
        self._graph = graph
        self._anchors = tuple(anchors)
        self._snapshot = snapshot
        self._min_trust = min_trust
        self._cache: dict[str | None, Scores] = {}

    def _scores(self, skill: str | None) -> Scores:
        assert self._graph is not None
        if skill not in self._cache:
            self._cache[skill] = compute(self._graph, self._anchors, skill=skill)
        return self._cache[skill]

    def check(self, credential: Mapping[str, Any], *, now: datetime) -> Check:
        claim = SkillClaim.from_credential(credential)
        if claim.kind not in _ATTESTATIONS or not claim.issuer:
            return Check.not_checked(self.name, "not an attestation, badge or endorsement")
        skill = claim.skill_key if claim.kind == "skill" else None
        if self._anchors and self._graph is not None:
            return self._from_anchors(credential, claim, skill)
        if self._snapshot is not None:
            return self._from_snapshot(claim, skill)
        return Check.not_checked(
            self.name,
            "no anchors configured ('musette trust anchors add DID') and no trust snapshot "
            "chosen: the issuer's trust was not computed",
        )

    def _verdict(self, value: float, detail: str) -> Check:
        if self._min_trust is not None and value < self._min_trust:
            return Check.failed(
                self.name, f"{detail}; below the required {self._min_trust:g}", value
            )
        return Check.passed(self.name, detail, value)

    def _from_anchors(
        self, credential: Mapping[str, Any], claim: SkillClaim, skill: str | None
    ) -> Check:
        assert self._graph is not None
        scores = self._scores(skill)
        targets = [credential_digest(dict(credential)).hex(), claim.issuer]
        figure = scores.figure(claim.issuer, targets, self._graph.flags)
        what = f"in '{skill}'" if skill else "overall"
        where = f"from your {len(self._anchors)} anchor{'s' if len(self._anchors) > 1 else ''}"
        if figure.issuer_trust == 0:
            return self._verdict(0.0, f"trust 0 {what}: the issuer has no path {where}")
        path = scores.path(claim.issuer)
        via = " → ".join(_short(d) for d in path) if path else ""
        detail = f"trust {figure.value:.3f} {what} {where}"
        if via:
            detail += f" (via {via})"
        if figure.flaggers:
            detail += (
                f"; {len(figure.flaggers)} trusted flagger(s) took it down from "
                f"{figure.issuer_trust:.3f}"
            )
        return self._verdict(figure.value, detail)

    def _from_snapshot(self, claim: SkillClaim, skill: str | None) -> Check:
        snapshot = self._snapshot
        assert snapshot is not None
        when = datetime.fromtimestamp(snapshot.time, UTC).strftime("%Y-%m-%d %H:%M UTC")
        source = f"per the snapshot of {_short(snapshot.author)} ({when}, its anchors)"
        value = snapshot.score(claim.issuer, skill)
        if value is None:
            return self._verdict(0.0, f"trust 0: the issuer is not listed {source}")
        what = f"in '{skill}'" if skill else "overall"
        return self._verdict(value, f"trust {value:.3f} {what} {source}")
