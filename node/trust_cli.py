"""``musette trust anchors|score|explain|publish``: trust from your own anchors
(``specs/trust.md``), and the ``trust`` check that ``musette verify`` runs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from credentials.errors import CredentialError, InputError
from credentials.keys import Ed25519PublicKey
from credentials.models import normalize_skill
from ledger.store import LedgerStore
from ledger.trust import Edge, Scores, TrustGraph, compute
from ledger.trust_check import TrustCheck
from ledger.trust_ledger import trust_graph
from ledger.trust_snapshot import latest_snapshot, snapshot_bodies
from wallet.errors import IdentityError

from .common import AsOpt, HomeOpt, JsonOpt, app, home_path
from .home import Home
from .output import emit_json, stdout
from .service import NODE_IDENTITY

trust_app = typer.Typer(
    help="Trust from your own anchors: scores, explanations.", no_args_is_help=True
)
anchors_app = typer.Typer(help="The identities you already trust.", no_args_is_help=True)
trust_app.add_typer(anchors_app, name="anchors")
app.add_typer(trust_app, name="trust")

_CONFIG_KEY = "trust_anchors"
_MAX_EDGE_LINE = 4096

AnchorOpt = Annotated[
    list[str] | None,
    typer.Option("--anchor", help="An anchor DID (repeatable; default: your configured anchors)."),
]
SkillOpt = Annotated[str | None, typer.Option("--skill", help="One skill (default: all alike).")]


_DID = re.compile(r"did:[a-z0-9]+:[A-Za-z0-9._:%-]+")


def _did(text: str) -> str:
    """A DID as the edges name it (any method: trust is over names, not keys); a
    did:key must also be a valid key."""
    did = text.strip()
    if not _DID.fullmatch(did):
        raise typer.BadParameter(f"{text[:80]!r} is not a DID (did:method:identifier)")
    if did.startswith("did:key:"):
        try:
            Ed25519PublicKey.from_did(did)
        except CredentialError as e:
            raise typer.BadParameter(f"{text[:80]!r}: {e}") from e
    return did


def configured_anchors(place: Home) -> list[str]:
    return place.trust_anchors()


def _anchors(place: Home, given: list[str] | None) -> list[str]:
    anchors = [_did(a) for a in given] if given else configured_anchors(place)
    if not anchors:
        raise typer.BadParameter(
            "no anchors: give --anchor DID, or configure them with 'musette trust anchors add'"
        )
    return anchors


def _home_graph(place: Home) -> TrustGraph:
    if not (place.path / "ledger.db").exists():
        return TrustGraph.from_edges([])
    with place.ledger() as store:
        return trust_graph(store)


def read_edges(path: Path) -> TrustGraph:
    """A JSON Lines edge file: ``{"from": DID, "to": DID, "skill": TEXT, "level": N}``."""
    edges: list[Edge] = []
    try:
        handle = path.open("rb")  # json.loads decodes, and refuses bad UTF-8 as not JSON
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from e
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            if len(line) > _MAX_EDGE_LINE:
                raise InputError(f"{where}: line over {_MAX_EDGE_LINE} bytes")
            try:
                row = json.loads(line)
            except (ValueError, RecursionError) as e:
                raise InputError(f"{where}: not JSON ({e})") from e
            if not isinstance(row, dict):
                raise InputError(f"{where}: each line is a JSON object")
            source, target, skill = (row.get(k) for k in ("from", "to", "skill"))
            level = row.get("level")
            if not (
                isinstance(source, str)
                and isinstance(target, str)
                and isinstance(skill, str)
                and source
                and target
                and skill.strip()
            ):
                raise InputError(f"{where}: 'from', 'to' and 'skill' must be non-empty text")
            if level is not None and (type(level) is not int or not 1 <= level <= 8):
                raise InputError(f"{where}: 'level' must be 1 to 8 or null")
            edges.append(Edge(source, target, normalize_skill(skill), level))
    return TrustGraph.from_edges(edges)


def trust_check_for(
    place: Home,
    *,
    anchors: list[str] | None = None,
    trust_from: str | None = None,
    min_trust: float | None = None,
    store: LedgerStore | None = None,
) -> TrustCheck:
    """The ``trust`` plug-in for ``musette verify``: your anchors over the home's
    ledger, else the latest snapshot of the node ``trust_from`` found in it."""
    chosen = [_did(a) for a in anchors] if anchors else configured_anchors(place)
    if trust_from is not None and not chosen:
        snapshot = latest_snapshot(store, _did(trust_from)) if store is not None else None
        if snapshot is None:
            raise InputError(f"this home's ledger holds no trust snapshot of {trust_from}")
        return TrustCheck(snapshot=snapshot, min_trust=min_trust)
    graph = trust_graph(store) if store is not None and chosen else None
    if chosen and graph is None:
        graph = TrustGraph.from_edges([])
    return TrustCheck(graph=graph, anchors=chosen, min_trust=min_trust)


# -- anchors ------------------------------------------------------------------------------


@anchors_app.command("add")
def anchors_add(
    dids: Annotated[list[str], typer.Argument(help="DIDs you trust (did:key).")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Trust these identities: every score is computed from them."""
    place = Home(home_path(home))
    anchors = configured_anchors(place)
    anchors += [d for d in (_did(x) for x in dids) if d not in anchors]
    place.set_config(_CONFIG_KEY, anchors)
    _show_anchors(anchors, as_json)


@anchors_app.command("remove")
def anchors_remove(
    dids: Annotated[list[str], typer.Argument(help="DIDs to stop trusting.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    place = Home(home_path(home))
    gone = {_did(x) for x in dids}
    anchors = configured_anchors(place)
    missing = gone - set(anchors)
    if missing:
        raise typer.BadParameter(f"not an anchor: {', '.join(sorted(missing))}")
    anchors = [a for a in anchors if a not in gone]
    place.set_config(_CONFIG_KEY, anchors or None)
    _show_anchors(anchors, as_json)


@anchors_app.command("list")
def anchors_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    _show_anchors(configured_anchors(Home(home_path(home))), as_json)


def _show_anchors(anchors: list[str], as_json: bool) -> None:
    if as_json:
        emit_json({"anchors": anchors})
    elif not anchors:
        stdout.print("no anchors: trust figures are not computed ('musette trust anchors add DID')")
    else:
        for did in anchors:
            stdout.print(did)


# -- scores -------------------------------------------------------------------------------


@trust_app.command("score")
def trust_score(
    anchor: AnchorOpt = None,
    skill: SkillOpt = None,
    edges: Annotated[
        Path | None, typer.Option("--edges", help="A JSON Lines edge file instead of the ledger.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every identity's trust from the anchors (zeros included), highest first."""
    place = Home(home_path(home))
    anchors = _anchors(place, anchor)
    graph = read_edges(edges) if edges is not None else _home_graph(place)
    key = normalize_skill(skill) if skill else None
    scores = compute(graph, anchors, skill=key)
    table = {did: scores.score(did) for did in sorted({*graph.nodes, *anchors})}
    if as_json:
        emit_json({"anchors": sorted(anchors), "skill": key, "scores": table})
        return
    ranked = sorted(table.items(), key=lambda kv: (-kv[1], kv[0]))
    what = f"in '{key}'" if key else "over all skills"
    stdout.print(f"trust {what} from {len(anchors)} anchor(s), {len(graph)} edges:")
    for did, value in ranked:
        stdout.print(f"  {value:.4f}  {did}")


@trust_app.command("explain")
def trust_explain(
    did: Annotated[str, typer.Argument(help="Whose trust to explain.")],
    anchor: AnchorOpt = None,
    skill: SkillOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Why an identity has the trust it has: a chain from your anchors, the endorsers
    its trust came through, and flags."""
    place = Home(home_path(home))
    target = _did(did)
    anchors = _anchors(place, anchor)
    graph = _home_graph(place)
    key = normalize_skill(skill) if skill else None
    scores = compute(graph, anchors, skill=key)
    flags = [f.author for f in graph.flags if f.target == target]
    figure = scores.figure(target, [target], graph.flags)
    result = _explanation(scores, target, flags, figure.value)
    if as_json:
        emit_json(result)
        return
    stdout.print(f"{target}: trust {result['score']:.4f}" + (f" in '{key}'" if key else ""))
    if not result["path"]:
        stdout.print(
            "  no path from your anchors: an identity nobody you trust vouches for scores 0"
        )
    else:
        stdout.print("  path: " + " → ".join(result["path"]))
    for c in result["contributors"]:
        stdout.print(f"  {c['share']:6.1%} came through {c['from']}")
    if flags:
        stdout.print(
            f"  flagged by {len(flags)}; counted (above the threshold): {result['flaggers']}"
        )


def _explanation(scores: Scores, target: str, flags: list[str], value: float) -> dict[str, Any]:
    threshold = scores.flag_threshold()
    return {
        "did": target,
        "skill": scores.skill,
        "score": scores.score(target),
        "figure": value,
        "path": scores.path(target),
        "contributors": [{"from": c.source, "share": c.share} for c in scores.contributors(target)],
        "flagged_by": flags,
        "flaggers": [f for f in flags if scores.score(f) >= threshold],
        "flag_threshold": threshold,
    }


@trust_app.command("publish")
def trust_publish(
    as_: AsOpt = None,
    anchor: AnchorOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sign your current scores (per issuer and skill, from your anchors) as a trust
    snapshot in your feed; it gossips like any entry."""
    place = Home(home_path(home))
    anchors = _anchors(place, anchor)
    author = as_ or _default_publisher(place)
    key = place.identities.key(author)
    with place.ledger() as store:
        bodies = snapshot_bodies(trust_graph(store), anchors)
        entries = store.append_many(key, [("trust-snapshot", b) for b in bodies])
    listed = sum(len(t) for b in bodies for t in b["scores"].values())
    result = {"author": key.did, "entries": len(entries), "scores": listed, "anchors": anchors}
    if as_json:
        emit_json(result)
    else:
        stdout.print(
            f"trust snapshot signed by {key.did}: {listed} scores in {len(entries)} entr"
            f"{'y' if len(entries) == 1 else 'ies'}, from {len(anchors)} anchor(s)"
        )


def _default_publisher(place: Home) -> str | None:
    """The node's identity when the home runs a node, else the default persona."""
    try:
        place.identities.find(NODE_IDENTITY)
    except IdentityError:
        return None
    return NODE_IDENTITY
