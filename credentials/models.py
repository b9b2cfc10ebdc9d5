"""Credential models: peer skill attestations, community badges and endorsements.

Each model is built from typed inputs (validated when constructed) and serialized to an
Open Badges 3.0 credential (JSON-LD), unsigned; :mod:`credentials.dataintegrity` or the
didkit adapter signs it. ``SkillClaim.from_credential`` reads the claim back out of a
credential, for display, search and the ledger's edge statements.

Levels are the eight proficiency levels of the EU DigComp 2.2 framework. A skill is free
text, optionally aligned to a framework (an ESCO skill URI, a DigComp competence area);
skills compare case- and space-insensitively (:func:`normalize_skill`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

from .errors import DataModelError
from .loader import CONTEXT_OB_V3P0, CONTEXT_OB_V3P0_3, CONTEXT_VC_V1, CONTEXT_VC_V2

__all__ = [
    "DIGCOMP_AREAS",
    "LEVEL_NAMES",
    "CommunityBadge",
    "Endorsement",
    "SkillAttestation",
    "SkillClaim",
    "normalize_skill",
]

DataModel = Literal["2.0", "1.1"]

# DigComp 2.2 proficiency levels (JRC, 2022), grouped in four bands of two.
LEVEL_NAMES: Final = {
    1: "Foundation (1)",
    2: "Foundation (2)",
    3: "Intermediate (3)",
    4: "Intermediate (4)",
    5: "Advanced (5)",
    6: "Advanced (6)",
    7: "Highly specialised (7)",
    8: "Highly specialised (8)",
}
# DigComp 2.2 competence areas; aligned as "digcomp:N".
DIGCOMP_AREAS: Final = {
    1: "Information and data literacy",
    2: "Communication and collaboration",
    3: "Digital content creation",
    4: "Safety",
    5: "Problem solving",
}
DIGCOMP_URL: Final = "https://joint-research-centre.ec.europa.eu/digcomp/digcomp-framework_en"
ESCO_PREFIX: Final = "http://data.europa.eu/esco/"
LEVEL_RESULT_ID: Final = "urn:musette:digcomp-level"

MAX_TEXT = 4000


def normalize_skill(text: str) -> str:
    """The comparison key of a skill name: case-folded, runs of white space collapsed."""
    return " ".join(text.casefold().split())


def _text(value: str, what: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise DataModelError(f"{what} must not be empty")
    if len(cleaned) > limit:
        raise DataModelError(f"{what} is {len(cleaned)} characters, over {limit}")
    return cleaned


def _uri(value: str, what: str) -> str:
    scheme, sep, rest = value.partition(":")
    if not sep or not rest or not scheme.isascii() or not scheme[:1].isalpha() or " " in value:
        raise DataModelError(f"{what} {value!r} is not a URI")
    return value


def _did(value: str, what: str) -> str:
    if not value.startswith("did:") or value.count(":") < 2:
        raise DataModelError(f"{what} {value!r} is not a DID")
    return value


def _timestamp(when: datetime) -> str:
    if when.tzinfo is None:
        raise DataModelError("timestamps must carry a time zone")
    return when.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _skill_achievement_id(skill: str) -> str:
    # One stable achievement id per normalized skill, so the same skill attested by
    # different peers is recognisably the same achievement.
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'musette-skill:' + normalize_skill(skill))}"


def _alignment(target: str) -> dict[str, Any]:
    if target.startswith("digcomp:"):
        number = target.removeprefix("digcomp:")
        if not number.isdigit() or int(number) not in DIGCOMP_AREAS:
            raise DataModelError(f"DigComp area must be digcomp:1 to digcomp:5, got {target!r}")
        return {
            "type": ["Alignment"],
            "targetName": DIGCOMP_AREAS[int(number)],
            "targetFramework": "DigComp 2.2",
            "targetUrl": f"{DIGCOMP_URL}#area-{number}",
            "targetCode": number,
            "targetType": "ext:DigCompArea",
        }
    url = _uri(target, "alignment")
    if url.startswith(ESCO_PREFIX):
        return {
            "type": ["Alignment"],
            "targetName": url.rsplit("/", 1)[-1],
            "targetFramework": "ESCO",
            "targetUrl": url,
            "targetType": "ceasn:Competency",
        }
    return {"type": ["Alignment"], "targetName": url, "targetUrl": url}


@dataclass(frozen=True, kw_only=True)
class _Envelope:
    issuer: str
    subject: str
    issuer_name: str | None = None
    valid_from: datetime = field(default_factory=lambda: datetime.now(UTC))
    valid_until: datetime | None = None
    credential_id: str = field(default_factory=lambda: f"urn:uuid:{uuid.uuid4()}")

    def __post_init__(self) -> None:
        _did(self.issuer, "issuer")
        _uri(self.subject, "subject")
        _uri(self.credential_id, "credential id")
        _timestamp(self.valid_from)
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise DataModelError("validUntil is before validFrom")

    def _wrap(
        self, *, types: list[str], name: str, subject: dict[str, Any], model: DataModel
    ) -> dict[str, Any]:
        issuer: dict[str, Any] = {"id": self.issuer, "type": ["Profile"]}
        if self.issuer_name:
            issuer["name"] = self.issuer_name
        if model == "2.0":
            document: dict[str, Any] = {"@context": [CONTEXT_VC_V2, CONTEXT_OB_V3P0_3]}
        else:
            document = {"@context": [CONTEXT_VC_V1, CONTEXT_OB_V3P0]}
        document |= {"id": self.credential_id, "type": ["VerifiableCredential", *types]}
        document |= {"name": name, "issuer": issuer}
        if model == "2.0":
            document["validFrom"] = _timestamp(self.valid_from)
            if self.valid_until:
                document["validUntil"] = _timestamp(self.valid_until)
        else:
            document["issuanceDate"] = _timestamp(self.valid_from)
            if self.valid_until:
                document["expirationDate"] = _timestamp(self.valid_until)
        document["credentialSubject"] = subject
        return document


@dataclass(frozen=True, kw_only=True)
class SkillAttestation(_Envelope):
    """A peer's attestation that the subject has a skill at a DigComp level."""

    skill: str
    level: int
    description: str | None = None
    evidence: str | None = None
    relationship: str | None = None
    alignment: Sequence[str] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        _text(self.skill, "skill", limit=200)
        if not isinstance(self.level, int) or self.level not in LEVEL_NAMES:
            raise DataModelError(f"level must be an integer from 1 to 8, got {self.level!r}")
        for target in self.alignment:
            _alignment(target)

    def to_jsonld(self, *, model: DataModel = "2.0") -> dict[str, Any]:
        skill = _text(self.skill, "skill", limit=200)
        achievement: dict[str, Any] = {
            "id": _skill_achievement_id(skill),
            "type": ["Achievement"],
            "achievementType": "Competency",
            "name": skill,
            "description": _text(self.description or f"Competence in {skill}.", "description"),
            "criteria": {"narrative": "Attested by a peer who observed the work."},
            "resultDescription": [
                {
                    "id": LEVEL_RESULT_ID,
                    "type": ["ResultDescription"],
                    "name": "DigComp 2.2 proficiency level",
                    "resultType": "RubricCriterionLevel",
                    "rubricCriterionLevel": [
                        {
                            "id": f"{LEVEL_RESULT_ID}:{self.level}",
                            "type": ["RubricCriterionLevel"],
                            "name": LEVEL_NAMES[self.level],
                            "level": str(self.level),
                        }
                    ],
                }
            ],
        }
        if self.alignment:
            achievement["alignment"] = [_alignment(t) for t in self.alignment]
        subject = {
            "id": self.subject,
            "type": ["AchievementSubject"],
            "achievement": achievement,
            "result": [
                {
                    "type": ["Result"],
                    "resultDescription": LEVEL_RESULT_ID,
                    "achievedLevel": f"{LEVEL_RESULT_ID}:{self.level}",
                }
            ],
        }
        document = self._wrap(
            types=["OpenBadgeCredential"], name=f"Skill: {skill}", subject=subject, model=model
        )
        evidence = []
        if self.evidence:
            evidence.append(
                {
                    "type": ["Evidence"],
                    "name": "Observed work",
                    "narrative": _text(self.evidence, "evidence"),
                }
            )
        if self.relationship:
            evidence.append(
                {
                    "type": ["Evidence"],
                    "name": "How the issuer knows the subject",
                    "genre": "Working relationship",
                    "narrative": _text(self.relationship, "relationship"),
                }
            )
        if evidence:
            document["evidence"] = evidence
        return document


@dataclass(frozen=True, kw_only=True)
class CommunityBadge(_Envelope):
    """A community's badge, awarded against published criteria."""

    badge: str
    criteria: str
    description: str | None = None
    badge_id: str | None = None
    image: str | None = None
    alignment: Sequence[str] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        _text(self.badge, "badge name", limit=200)
        _text(self.criteria, "criteria")
        if self.badge_id is not None:
            _uri(self.badge_id, "badge id")
        if self.image is not None:
            _uri(self.image, "image")

    def to_jsonld(self, *, model: DataModel = "2.0") -> dict[str, Any]:
        name = _text(self.badge, "badge name", limit=200)
        seed = f"{self.issuer}/badge/{normalize_skill(name)}"
        badge_id = self.badge_id or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"
        achievement: dict[str, Any] = {
            "id": badge_id,
            "type": ["Achievement"],
            "achievementType": "Badge",
            "name": name,
            "description": _text(self.description or name, "description"),
            "criteria": {"narrative": _text(self.criteria, "criteria")},
        }
        if self.image:
            achievement["image"] = {"id": self.image, "type": "Image"}
        if self.alignment:
            achievement["alignment"] = [_alignment(t) for t in self.alignment]
        subject = {"id": self.subject, "type": ["AchievementSubject"], "achievement": achievement}
        return self._wrap(types=["OpenBadgeCredential"], name=name, subject=subject, model=model)


@dataclass(frozen=True, kw_only=True)
class Endorsement(_Envelope):
    """An endorsement of a credential, an achievement or an issuer (the ``subject``)."""

    comment: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _text(self.comment, "endorsement comment")

    def to_jsonld(self, *, model: DataModel = "2.0") -> dict[str, Any]:
        subject = {
            "id": self.subject,
            "type": ["EndorsementSubject"],
            "endorsementComment": _text(self.comment, "endorsement comment"),
        }
        return self._wrap(
            types=["EndorsementCredential"], name="Endorsement", subject=subject, model=model
        )


@dataclass(frozen=True, kw_only=True)
class SkillClaim:
    """What a skill attestation or badge claims, read back from a credential."""

    kind: Literal["skill", "badge", "endorsement", "other"]
    issuer: str
    subject: str | None
    name: str
    level: int | None = None
    alignment: tuple[str, ...] = ()

    @property
    def skill_key(self) -> str:
        return normalize_skill(self.name)

    @classmethod
    def from_credential(cls, document: Mapping[str, Any]) -> SkillClaim:
        """Read the claim of an Open Badges credential (signed or not); never raises on
        unknown shapes, it reports them as ``kind="other"``."""
        issuer = document.get("issuer")
        issuer_id = str(issuer.get("id", "")) if isinstance(issuer, Mapping) else str(issuer or "")
        subject = document.get("credentialSubject")
        if isinstance(subject, list):
            subject = subject[0] if subject else {}
        if not isinstance(subject, Mapping):
            subject = {}
        subject_id = subject.get("id") if isinstance(subject.get("id"), str) else None
        types = document.get("type", [])
        types = types if isinstance(types, list) else [types]
        if "EndorsementCredential" in types:
            return cls(kind="endorsement", issuer=issuer_id, subject=subject_id, name="Endorsement")
        achievement = subject.get("achievement")
        if not isinstance(achievement, Mapping):
            return cls(
                kind="other",
                issuer=issuer_id,
                subject=subject_id,
                name=str(document.get("name", "")),
            )
        name = str(achievement.get("name", ""))
        alignment = tuple(
            str(a.get("targetUrl"))
            for a in achievement.get("alignment", [])
            if isinstance(a, Mapping) and a.get("targetUrl")
        )
        if achievement.get("achievementType") != "Competency":
            return cls(
                kind="badge", issuer=issuer_id, subject=subject_id, name=name, alignment=alignment
            )
        level = None
        for result in subject.get("result", []) or []:
            achieved = result.get("achievedLevel") if isinstance(result, Mapping) else None
            if isinstance(achieved, str) and achieved.startswith(LEVEL_RESULT_ID + ":"):
                tail = achieved.rsplit(":", 1)[-1]
                if tail.isdigit() and int(tail) in LEVEL_NAMES:
                    level = int(tail)
        return cls(
            kind="skill",
            issuer=issuer_id,
            subject=subject_id,
            name=name,
            level=level,
            alignment=alignment,
        )
