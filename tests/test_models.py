"""Credential models: built from typed inputs, valid by construction, read back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credentials import datamodel
from credentials.errors import DataModelError
from credentials.keys import KeyPair
from credentials.models import (
    LEVEL_NAMES,
    CommunityBadge,
    Endorsement,
    SkillAttestation,
    SkillClaim,
    normalize_skill,
)

ISSUER, SUBJECT = KeyPair.generate(), KeyPair.generate()
skills = st.text(min_size=1, max_size=60).filter(lambda s: s.strip())
levels = st.integers(min_value=1, max_value=8)


@given(
    skill=skills, level=levels, evidence=st.none() | skills, model=st.sampled_from(["2.0", "1.1"])
)
def test_skill_attestation_is_valid_and_reads_back(
    skill: str, level: int, evidence: str | None, model: str
) -> None:
    document = SkillAttestation(
        issuer=ISSUER.did, subject=SUBJECT.did, skill=skill, level=level, evidence=evidence
    ).to_jsonld(model=model)  # type: ignore[arg-type]
    datamodel.validate_credential(document)
    assert datamodel.data_model_version(document) == model
    claim = SkillClaim.from_credential(document)
    assert (claim.kind, claim.level, claim.issuer, claim.subject) == (
        "skill",
        level,
        ISSUER.did,
        SUBJECT.did,
    )
    assert claim.skill_key == normalize_skill(skill.strip())
    assert document["credentialSubject"]["achievement"]["achievementType"] == "Competency"


@given(
    st.lists(st.text(alphabet="abcXYZéÉß", min_size=1, max_size=8), min_size=1, max_size=4),
    st.sampled_from([" ", "  ", "\t", " \n "]),
)
def test_skills_compare_case_and_space_insensitively(words: list[str], gap: str) -> None:
    spaced = gap + gap.join(words) + gap
    assert normalize_skill(spaced) == normalize_skill(" ".join(words))
    assert normalize_skill(spaced.upper()) == normalize_skill(" ".join(words).lower())


def test_same_skill_is_one_achievement_whoever_attests() -> None:
    one = SkillAttestation(issuer=ISSUER.did, subject=SUBJECT.did, skill="TIG  Welding", level=3)
    two = SkillAttestation(issuer=SUBJECT.did, subject=ISSUER.did, skill="tig welding", level=5)
    a, b = one.to_jsonld(), two.to_jsonld()
    assert (
        a["credentialSubject"]["achievement"]["id"] == b["credentialSubject"]["achievement"]["id"]
    )


def test_alignments() -> None:
    document = SkillAttestation(
        issuer=ISSUER.did,
        subject=SUBJECT.did,
        skill="Spreadsheets",
        level=4,
        alignment=("http://data.europa.eu/esco/skill/abc", "digcomp:3"),
    ).to_jsonld()
    esco, digcomp = document["credentialSubject"]["achievement"]["alignment"]
    assert esco["targetFramework"] == "ESCO"
    assert esco["targetType"] == "ceasn:Competency"
    assert digcomp["targetName"] == "Digital content creation"
    datamodel.validate_credential(document)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"level": 0}, "level"),
        ({"level": 9}, "level"),
        ({"skill": "   "}, "skill"),
        ({"subject": "not a uri"}, "subject"),
        ({"issuer": "https://not-a-did.example"}, "issuer"),
        ({"alignment": ("digcomp:9",)}, "DigComp"),
        ({"alignment": ("no scheme",)}, "alignment"),
        ({"valid_until": datetime(2000, 1, 1, tzinfo=UTC)}, "validUntil"),
        ({"valid_from": datetime(2026, 1, 1)}, "time zone"),
        ({"skill": "x" * 201}, "skill"),
    ],
)
def test_bad_inputs_are_refused_with_the_reason(changes: dict[str, object], reason: str) -> None:
    fields: dict[str, object] = {
        "issuer": ISSUER.did,
        "subject": SUBJECT.did,
        "skill": "Welding",
        "level": 4,
    }
    fields.update(changes)
    with pytest.raises(DataModelError, match=reason):
        SkillAttestation(**fields).to_jsonld()  # type: ignore[arg-type]


def test_badge_and_endorsement() -> None:
    until = datetime.now(UTC) + timedelta(days=365)
    badge = CommunityBadge(
        issuer=ISSUER.did,
        subject=SUBJECT.did,
        badge="First Aid",
        criteria="Passed the course",
        valid_until=until,
    ).to_jsonld()
    datamodel.validate_credential(badge)
    assert SkillClaim.from_credential(badge).kind == "badge"
    assert badge["credentialSubject"]["achievement"]["criteria"]["narrative"] == "Passed the course"
    endorsement = Endorsement(
        issuer=ISSUER.did, subject=SUBJECT.did, comment="Trustworthy"
    ).to_jsonld()
    datamodel.validate_credential(endorsement)
    assert endorsement["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert SkillClaim.from_credential(endorsement).kind == "endorsement"
    with pytest.raises(DataModelError):
        CommunityBadge(issuer=ISSUER.did, subject=SUBJECT.did, badge="b", criteria=" ")


def test_level_names_follow_digcomp() -> None:
    assert [LEVEL_NAMES[n].split(" (")[0] for n in range(1, 9)] == [
        "Foundation",
        "Foundation",
        "Intermediate",
        "Intermediate",
        "Advanced",
        "Advanced",
        "Highly specialised",
        "Highly specialised",
    ]
