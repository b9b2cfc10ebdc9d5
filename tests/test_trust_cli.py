"""Trust from the command line: ``musette trust anchors|score|explain|publish`` and the
``trust`` check of ``musette verify``, run as a user runs them (a subprocess each)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli import musette

A, B, C, D, E = (f"did:ex:{name}" for name in ("alma", "bo", "cleo", "dov", "eve"))


def _write_edges(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _edge(
    source: str, target: str, skill: str = "TIG welding", level: int | None = 5
) -> dict[str, Any]:
    return {"from": source, "to": target, "skill": skill, "level": level}


def _score(home: Path, *args: str) -> dict[str, Any]:
    result = musette(home, "trust", "score", "--json", *args)
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def _one_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("musette: error:")]
    assert len(errors) == 1, result.stderr
    assert len(lines) == 1, result.stderr
    return errors[0]


# -- trust score over an edge file -----------------------------------------------------------


def test_score_from_an_edge_file_lists_everyone_zeros_included(tmp_path: Path) -> None:
    edges = _write_edges(
        tmp_path / "edges.jsonl",
        [
            _edge(A, B),
            _edge(B, C, level=None),
            _edge(D, E),  # nobody trusted vouches for D: D and E score 0
            _edge(E, A, skill="Brazing", level=8),
        ],
    )
    home = tmp_path / "home"
    result = _score(home, "--edges", str(edges), "--anchor", A)
    scores = result["scores"]
    assert set(scores) == {A, B, C, D, E}
    assert all(isinstance(v, float) for v in scores.values())
    assert scores[A] == 1.0
    assert 0 < scores[C] < scores[B] < 1
    assert scores[D] == 0.0
    assert scores[E] == 0.0
    assert result["anchors"] == [A]
    # --anchor is repeatable: D now vouches with trust, E gains it
    both = _score(home, "--edges", str(edges), "--anchor", A, "--anchor", D)["scores"]
    assert both[A] == both[D] == 1.0
    assert both[E] > 0
    # an anchor not in the file is listed, at 1
    lone = _score(home, "--edges", str(edges), "--anchor", "did:ex:zed")["scores"]
    assert lone["did:ex:zed"] == 1.0
    assert set(lone.values()) == {0.0, 1.0}
    # the text output ranks them
    text = musette(home, "trust", "score", "--edges", str(edges), "--anchor", A)
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[1].split() == ["1.0000", A]


def test_score_per_skill(tmp_path: Path) -> None:
    edges = _write_edges(
        tmp_path / "edges.jsonl",
        [_edge(A, B, "TIG welding"), _edge(A, C, "Brazing"), _edge(B, D, "tig  Welding")],
    )
    home = tmp_path / "home"
    overall = _score(home, "--edges", str(edges), "--anchor", A)
    assert overall["skill"] is None
    assert overall["scores"][B] == overall["scores"][C]
    welding = _score(home, "--edges", str(edges), "--anchor", A, "--skill", "TIG Welding")
    assert welding["skill"] == "tig welding"
    assert welding["scores"][B] > welding["scores"][C] > 0
    brazing = _score(home, "--edges", str(edges), "--anchor", A, "--skill", "brazing")
    assert brazing["scores"][C] > brazing["scores"][B] > 0


@pytest.mark.parametrize(
    ("lines", "number", "says"),
    [
        pytest.param(['{"from": "did:ex:a"', ""], 1, "not JSON", id="bad-json"),
        pytest.param(
            [json.dumps(_edge(A, B)), json.dumps({"from": A, "skill": "x"})],
            2,
            "'from', 'to' and 'skill'",
            id="missing-field",
        ),
        pytest.param(
            [json.dumps(_edge(A, B)), "", json.dumps(_edge(A, C, level=9))],
            3,
            "'level'",
            id="level-9",
        ),
        pytest.param([json.dumps(_edge(A, B, level=True))], 1, "'level'", id="level-true"),
        pytest.param(['["did:ex:a", "did:ex:b"]'], 1, "JSON object", id="not-an-object"),
        pytest.param([json.dumps({**_edge(A, B), "skill": "  "})], 1, "skill", id="blank-skill"),
        pytest.param([json.dumps(_edge(A, B, "x" * 5000))], 1, "over", id="long-line"),
        pytest.param(["[" * 100_000], 1, "", id="deep-nesting"),
    ],
)
def test_a_malformed_edge_file_is_one_error_naming_its_line(
    tmp_path: Path, lines: list[str], number: int, says: str
) -> None:
    edges = tmp_path / "edges.jsonl"
    edges.write_text("\n".join(lines) + "\n")
    result = musette(tmp_path / "home", "trust", "score", "--edges", str(edges), "--anchor", A)
    error = _one_error(result)
    assert f"edges.jsonl:{number}:" in error
    assert says in error


def test_an_unreadable_edge_file_is_one_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    missing = musette(
        home, "trust", "score", "--edges", str(tmp_path / "nope.jsonl"), "--anchor", A
    )
    assert "nope.jsonl" in _one_error(missing)
    folder = musette(home, "trust", "score", "--edges", str(tmp_path), "--anchor", A)
    assert "cannot read" in _one_error(folder)
    binary = tmp_path / "binary.jsonl"
    for data in (b"\xff\xfe\x00garbage\n", b'\n{"from": "did:ex:\xff", "to": "x"}\n'):
        binary.write_bytes(data)
        result = musette(home, "trust", "score", "--edges", str(binary), "--anchor", A)
        assert "binary.jsonl:" in _one_error(result)


def test_score_without_anchors_is_a_clear_error(tmp_path: Path) -> None:
    edges = _write_edges(tmp_path / "edges.jsonl", [_edge(A, B)])
    result = musette(tmp_path / "home", "trust", "score", "--edges", str(edges))
    assert "no anchors" in _one_error(result)
    bad = musette(tmp_path / "home", "trust", "score", "--edges", str(edges), "--anchor", "x")
    assert "not a DID" in _one_error(bad)


# -- anchors ---------------------------------------------------------------------------------


def test_anchors_add_list_remove(tmp_path: Path) -> None:
    home = tmp_path / "home"
    empty = json.loads(musette(home, "trust", "anchors", "list", "--json").stdout)
    assert empty == {"anchors": []}
    assert "no anchors" in musette(home, "trust", "anchors", "list").stdout
    added = musette(home, "trust", "anchors", "add", A, B, "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout) == {"anchors": [A, B]}
    again = json.loads(musette(home, "trust", "anchors", "add", B, C, "--json").stdout)
    assert again == {"anchors": [A, B, C]}  # no duplicates, order kept
    assert musette(home, "trust", "anchors", "list").stdout.split() == [A, B, C]
    removed = json.loads(musette(home, "trust", "anchors", "remove", B, "--json").stdout)
    assert removed == {"anchors": [A, C]}
    assert _one_error(musette(home, "trust", "anchors", "remove", B))  # not an anchor
    for invalid in ("alice", "did:key:zNotAKey", "did:ex:", "DID:EX:a"):
        refused = musette(home, "trust", "anchors", "add", invalid)
        assert invalid[:8] in _one_error(refused)
    listed = json.loads(musette(home, "trust", "anchors", "list", "--json").stdout)
    assert listed == {"anchors": [A, C]}
    assert json.loads(musette(home, "trust", "anchors", "remove", A, C, "--json").stdout) == {
        "anchors": []
    }
    # configured anchors are what score uses by default
    edges = _write_edges(tmp_path / "edges.jsonl", [_edge(D, E)])
    assert musette(home, "trust", "anchors", "add", D).returncode == 0
    assert _score(home, "--edges", str(edges))["scores"][E] > 0


# -- end to end: issue, accept, gossip, verify -----------------------------------------------


def _new_id(home: Path, name: str) -> str:
    result = musette(home, "id", "new", "--name", name, "--json")
    assert result.returncode == 0, result.stderr
    did: str = json.loads(result.stdout)["did"]
    return did


def _issue(home: Path, subject: str, skill: str, out: Path) -> Path:
    edge = out.with_suffix(".edge")
    result = musette(
        home,
        "issue",
        "skill",
        "--subject",
        subject,
        "--skill",
        skill,
        "--level",
        "6",
        "--out",
        str(out),
        "--edge-out",
        str(edge),
    )
    assert result.returncode == 0, result.stderr
    return edge


def _accept(home: Path, credential: Path, edge: Path) -> None:
    imported = musette(home, "wallet", "import", str(credential), "--edge", str(edge), "--json")
    assert imported.returncode == 0, imported.stderr
    accepted = musette(home, "accept", json.loads(imported.stdout)["id"])
    assert accepted.returncode == 0, accepted.stderr


def _carry(source: Path, target: Path, bundle: Path) -> None:
    """Gossip by hand: export one home's ledger, import it into another."""
    assert musette(source, "ledger", "export", str(bundle)).returncode == 0
    imported = musette(target, "ledger", "import", str(bundle))
    assert imported.returncode == 0, imported.stderr


def _trust_check(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    report = json.loads(result.stdout)
    check: dict[str, Any] = next(c for c in report["checks"] if c["name"] == "trust")
    names = [c["name"] for c in report["checks"]]
    assert names.index("trust") == names.index("status") + 1
    return check


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("trust-cli")
    homes = {name: base / name for name in ("guild", "peer", "worker", "verifier", "recruiter")}
    dids = {name: _new_id(homes[name], name) for name in ("guild", "peer", "worker")}
    # the guild (the verifier's anchor) attests the peer; the peer accepts it publicly
    badge = base / "peer-badge.json"
    _accept(homes["peer"], badge, _issue(homes["guild"], dids["peer"], "TIG welding", badge))
    # the peer attests the worker: the attestation a verifier is shown
    attestation = base / "worker-tig.json"
    _issue(homes["peer"], dids["worker"], "TIG welding", attestation)
    # the verifier learns the peer's ledger (its acceptance of the guild's edge)
    _carry(homes["peer"], homes["verifier"], base / "peer.bundle")
    return {"base": base, "homes": homes, "dids": dids, "attestation": attestation}


def test_verify_without_anchors_does_not_check_trust(world: dict[str, Any]) -> None:
    result = musette(world["homes"]["verifier"], "verify", "--json", str(world["attestation"]))
    assert result.returncode == 0, result.stdout
    check = _trust_check(result)
    assert check["status"] == "not-checked"
    assert "value" not in check
    assert "no anchors" in check["detail"]


def test_verify_with_an_anchor_measures_the_issuer_trust(world: dict[str, Any]) -> None:
    verifier, dids = world["homes"]["verifier"], world["dids"]
    guild, peer = dids["guild"], dids["peer"]
    given = musette(verifier, "verify", "--json", "--anchor", guild, str(world["attestation"]))
    assert given.returncode == 0, given.stdout
    check = _trust_check(given)
    assert check["status"] == "passed", check
    assert 0 < check["value"] < 1
    assert "'tig welding'" in check["detail"]
    assert guild[:20] in check["detail"]
    assert peer[-6:] in check["detail"]
    assert "via" in check["detail"]
    # the same from the configured anchors
    assert musette(verifier, "trust", "anchors", "add", guild).returncode == 0
    configured = musette(verifier, "verify", "--json", str(world["attestation"]))
    assert _trust_check(configured) == check
    # a policy the figure does not meet fails the verification
    strict = musette(verifier, "verify", "--json", "--min-trust", "0.99", str(world["attestation"]))
    assert strict.returncode == 1
    failed = _trust_check(strict)
    assert failed["status"] == "failed"
    assert failed["value"] == check["value"]
    assert "0.99" in failed["detail"]
    assert json.loads(strict.stdout)["verified"] is False
    # a figure that meets it passes
    met = musette(verifier, "verify", "--json", "--min-trust", "0.01", str(world["attestation"]))
    assert met.returncode == 0
    # an anchor with no path to the peer: trust 0 (measured), not an error
    other = musette(
        verifier, "verify", "--json", "--anchor", dids["worker"], str(world["attestation"])
    )
    assert other.returncode == 0
    zero = _trust_check(other)
    assert (zero["status"], zero["value"]) == ("passed", 0.0)
    assert "no path" in zero["detail"]


def test_explain_and_score_from_the_ledger(world: dict[str, Any]) -> None:
    verifier, dids = world["homes"]["verifier"], world["dids"]
    guild, peer = dids["guild"], dids["peer"]
    explained = musette(verifier, "trust", "explain", peer, "--anchor", guild, "--json")
    assert explained.returncode == 0, explained.stderr
    result = json.loads(explained.stdout)
    assert result["path"] == [guild, peer]
    assert result["score"] > 0
    assert result["contributors"][0]["from"] == guild
    text = musette(verifier, "trust", "explain", peer, "--anchor", guild)
    assert f"path: {guild} → {peer}" in text.stdout
    nobody = musette(verifier, "trust", "explain", dids["worker"], "--anchor", guild)
    assert "no path" in nobody.stdout
    scores = _score(verifier, "--anchor", guild)["scores"]
    assert scores == {guild: 1.0, peer: result["score"]}
    assert _one_error(musette(verifier, "trust", "explain", "nobody", "--anchor", guild))


def test_publish_a_snapshot_and_verify_from_it(world: dict[str, Any]) -> None:
    base, homes, dids = world["base"], world["homes"], world["dids"]
    verifier, recruiter = homes["verifier"], homes["recruiter"]
    publisher = _new_id(verifier, "desk")
    published = musette(verifier, "trust", "publish", "--anchor", dids["guild"], "--json")
    assert published.returncode == 0, published.stderr
    made = json.loads(published.stdout)
    assert made["author"] == publisher
    assert made["entries"] == 1
    assert made["scores"] >= 2  # the guild and the peer, overall and in 'tig welding'
    measured = _trust_check(
        musette(verifier, "verify", "--json", "--anchor", dids["guild"], str(world["attestation"]))
    )
    # a recruiter without anchors carries the verifier's ledger and uses its snapshot
    _carry(verifier, recruiter, base / "verifier.bundle")
    assert json.loads(musette(recruiter, "trust", "anchors", "list", "--json").stdout) == {
        "anchors": []
    }
    result = musette(
        recruiter, "verify", "--json", "--trust-from", publisher, str(world["attestation"])
    )
    assert result.returncode == 0, result.stdout
    check = _trust_check(result)
    assert check["status"] == "passed"
    assert check["value"] == pytest.approx(measured["value"], abs=1e-6)
    assert "snapshot" in check["detail"]
    assert publisher[:20] in check["detail"]
    strict = musette(
        recruiter,
        "verify",
        "--json",
        "--trust-from",
        publisher,
        "--min-trust",
        "0.99",
        str(world["attestation"]),
    )
    assert strict.returncode == 1
    assert _trust_check(strict)["status"] == "failed"
    # a node whose snapshot the ledger does not hold: an input error, said once
    unknown = musette(
        recruiter, "verify", "--trust-from", dids["worker"], str(world["attestation"])
    )
    assert "no trust snapshot" in _one_error(unknown)
