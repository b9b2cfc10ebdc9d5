"""``musette demo``: the story so far, in temporary homes on this machine.

Act one: a community and two peers issue to a worker; the worker presents by QR; a
recruiter verifies offline. Act two: an issuer revokes one attestation; the worker's
next presentation staples the issuer's signed status list, and the recruiter's offline
check reports the revocation. Act three: three node processes on loopback, in a line;
the issuer hands her revocation to the first, gossip carries it to the third, and the
recruiter's status query to that farthest node reports it. Act four: the worker asks two
peers for an endorsement through sealed mailboxes on nodes; one vouches, one declines,
and the worker accepts the answer (each step a ``musette`` command in its own process).

Everything goes through the same library calls the CLI commands make. The demo checks
its own story (genuine documents verify, forged, replayed and revoked ones do not) and
returns False otherwise, so ``make demo`` fails loudly.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.rule import Rule

from credentials import transport
from credentials.inputs import ParsedInput, parse_input
from credentials.issuance import Format, present
from credentials.models import CommunityBadge, SkillAttestation
from credentials.report import Report
from credentials.verifier import Verifier
from ledger.entries import credential_digest
from wallet.store import CredentialStore

from .client import NodeClient
from .errors import NodeUnreachableError
from .home import Home
from .issuing import issue_from_home
from .ledger_cli import status_list_document
from .node_cli import push_ledger
from .output import describe_claim, print_report, stdout
from .processes import NodeProcess, free_ports
from .status import StatusSources, stapled_lists, status_reference

__all__ = ["PASSPHRASE", "run_demo"]

PASSPHRASE = "demo passphrase, not a secret"  # noqa: S105 (throwaway demo homes)


def _parsed(document: dict[str, Any] | str) -> ParsedInput:
    if isinstance(document, str):
        return ParsedInput(format="jwt", token=document, via="jwt")
    return ParsedInput(format="jsonld", document=document)


def run_demo(root: Path | None = None) -> bool:
    with tempfile.TemporaryDirectory(prefix="musette-demo-") as tmp:
        return _story(root or Path(tmp))


def _recruiter_checks(presentation: dict[str, Any]) -> Verifier:
    """The recruiter has no node and no ledger: status comes stapled, or not at all."""
    return Verifier(checks=(StatusSources(lists=stapled_lists(presentation), store=None),))


def _story(base: Path) -> bool:
    ok = True
    # Throwaway homes: each keystore is sealed under a fixed demo passphrase, with the
    # real KDF (Argon2id, moderate), so the demo shows the cost users pay.
    homes = {
        who: Home(base / who, passphrase=lambda: PASSPHRASE)
        for who in ("guild", "amira", "bastien", "chloe")
    }
    ids = {who: home.identities.create("main") for who, home in homes.items()}
    worker = ids["chloe"].did
    stdout.print(Rule("Musette — act one: skills issued by peers, verified offline"))
    for who, identity in ids.items():
        stdout.print(f"  {who:<8} {identity.did}")

    edges: dict[int, bytes] = {}

    def issued(who: str, model: Callable[[str], Any], fmt: Format = "rdfc") -> Any:
        edge = base / f"edge-{len(edges)}.cbor"
        document = issue_from_home(homes[who], model, as_=None, fmt=fmt, edge_out=edge)
        edges[id(document)] = edge.read_bytes()  # handed to the worker with the credential
        return document

    stdout.print(Rule("Issuing (each credential gets a random index on its issuer's status list)"))
    badge = issued(
        "guild",
        lambda me: CommunityBadge(
            issuer=me,
            issuer_name="Lyon Welders' Guild",
            subject=worker,
            badge="Certified TIG Welder",
            criteria="Passed the guild's practical test: three TIG joints on stainless steel, "
            "inspected by two members.",
            alignment=("http://data.europa.eu/esco/skill/4dd8b6d5-e5c8-4e5b-9a75-d2a34c3e0ecf",),
        ),
    )
    attestation = issued(
        "amira",
        lambda me: SkillAttestation(
            issuer=me,
            issuer_name="Amira Haddad",
            subject=worker,
            skill="TIG welding",
            level=6,
            evidence="Welded the stainless manifolds of the Vénissieux job, zero rejects.",
            relationship="Her site foreman for two years",
        ),
    )
    peer_jcs = issued(
        "bastien",
        lambda me: SkillAttestation(
            issuer=me,
            issuer_name="Bastien Roux",
            subject=worker,
            skill="Technical drawing reading",
            level=4,
            evidence="Read and corrected our piping isometrics.",
            relationship="Co-worker on three projects",
            alignment=("digcomp:3",),
        ),
        "jcs",
    )
    peer_jwt = issued(
        "bastien",
        lambda me: SkillAttestation(
            issuer=me,
            subject=worker,
            skill="Team leadership",
            level=3,
            relationship="Co-worker on three projects",
        ),
        "jwt",
    )
    for label, doc in (
        ("badge (eddsa-rdfc-2022)", badge),
        ("attestation (eddsa-rdfc-2022)", attestation),
        ("attestation (eddsa-jcs-2022)", peer_jcs),
        ("attestation (VC-JWT, didkit)", peer_jwt),
    ):
        claim = describe_claim(doc) if isinstance(doc, dict) else f"VC-JWT, {len(doc)} chars"
        stdout.print(f"  {label:<32} {claim}")

    stdout.print(Rule("Chloé's wallet: verified on import, held until she consents"))
    with CredentialStore.in_home(homes["chloe"].path) as wallet:
        held = {}
        for document in (badge, attestation, peer_jcs, peer_jwt):
            raw = document if isinstance(document, str) else json.dumps(document)
            item = wallet.import_credential(raw, personas=[worker], edge=edges[id(document)])
            held[id(document)] = item
            stdout.print(f"  {item.id}  pending   {item.kind:<11} {item.skill}")
        key = homes["chloe"].identities.key(worker)
        with homes["chloe"].ledger() as ledger:
            for document in (badge, attestation, peer_jcs):
                item = held[id(document)]
                entry = ledger.append(key, "acceptance", {"edge": item.edge})
                wallet.set_state(item.id, "accepted")
                stdout.print(
                    f"  she accepts {item.id}: its endorsement edge becomes public as entry "
                    f"{entry.seq} of her feed, with the issuer's signature and hers"
                )
        stdout.print(f"  {held[id(peer_jwt)].id} stays pending: private, published nowhere")

    stdout.print(Rule("The worker presents, by QR, to a recruiter"))
    challenge, domain = secrets.token_urlsafe(16), "recruit.example"
    chloe = homes["chloe"].identities.key(None)
    vp = present([badge, attestation, peer_jcs], chloe, challenge=challenge, domain=domain)
    assert isinstance(vp, dict)
    single = transport.encode_payload(attestation)
    payload = transport.encode_payload(vp)
    stdout.print(
        f"  one attestation: {len(single)} characters, QR version "
        f"{transport.qr_version(single)}; the presentation of 3: {len(payload)} characters, "
        f"QR version {transport.qr_version(payload)} (level M)"
    )

    stdout.print(Rule("The recruiter verifies, offline"))
    report = _recruiter_checks(vp).verify(parse_input(payload), challenge=challenge, domain=domain)
    print_report(report, title="presentation from Chloé (via MUS1 payload)")
    ok &= report.verified
    jwt_report = Verifier().verify(_parsed(peer_jwt))
    print_report(jwt_report, title="VC-JWT attestation from Bastien (a file, VC 1.1)")
    ok &= jwt_report.verified

    stdout.print(Rule("A forger edits the level of a claim"))
    forged = copy.deepcopy(attestation)
    forged["credentialSubject"]["result"][0]["achievedLevel"] = "urn:musette:digcomp-level:8"
    forged_report = Verifier().verify(_parsed(forged))
    print_report(forged_report, title="forged attestation")
    ok &= not forged_report.verified

    stdout.print(Rule("A replayed presentation (wrong challenge)"))
    replay = Verifier().verify(_parsed(vp), challenge="another-challenge", domain=domain)
    _print_summary(replay, "replayed presentation")
    ok &= not replay.verified

    ok &= _act_two(homes, attestation, badge, chloe)
    ok &= _act_three(base, homes["amira"], attestation)
    ok &= _act_four(base, homes)
    ok &= _act_five(base, homes)
    verdict = "[green]the story holds[/green]" if ok else "[red]the story does not hold[/red]"
    stdout.print(Rule(f"Demo done: {verdict}"))
    return bool(ok)


def _act_two(
    homes: dict[str, Home], attestation: dict[str, Any], badge: dict[str, Any], chloe: Any
) -> bool:
    stdout.print(Rule("Musette — act two: a revocation, checked offline"))
    amira = homes["amira"].identities.key(None)
    reference = status_reference(attestation)
    assert reference is not None
    with homes["amira"].ledger() as store:
        entry = store.append(
            amira,
            "revocation",
            {
                "credential": credential_digest(attestation),
                "list": reference[0],
                "index": reference[1],
                "reason": "attested to the wrong person's work",
            },
        )
        checkpoint = store.checkpoint(amira.did)
        revocations = status_list_document(store, amira, "revocation", 0)
        suspensions = status_list_document(store, amira, "suspension", 0)
    assert checkpoint is not None
    stdout.print(
        f"  Amira revokes her attestation: entry {entry.seq} of her feed, checkpoint "
        f"size {checkpoint.size} root {checkpoint.root.hex()[:16]}…"
    )
    stdout.print(f"  she publishes her signed status lists: {revocations['id']}")
    with homes["guild"].ledger() as store:
        guild = homes["guild"].identities.key(None)
        guild_lists = [
            status_list_document(store, guild, p, 0) for p in ("revocation", "suspension")
        ]

    challenge, domain = secrets.token_urlsafe(16), "recruit.example"
    vp = present(
        [badge, attestation, revocations, suspensions, *guild_lists],
        chloe,
        challenge=challenge,
        domain=domain,
    )
    assert isinstance(vp, dict)
    stdout.print("  Chloé's next presentation staples the issuers' latest status lists")
    report = _recruiter_checks(vp).verify(_parsed(vp), challenge=challenge, domain=domain)
    print_report(report, title="presentation with stapled status lists")
    revoked = report.credentials[1].check("status")
    badge_status = report.credentials[0].check("status")
    holds = (
        not report.verified
        and revoked is not None
        and revoked.status == "failed"
        and "revoked" in revoked.detail
        and badge_status is not None
        and badge_status.status == "passed"
    )
    stdout.print(
        "  the recruiter sees the badge still valid and the attestation revoked"
        if holds
        else "  [red]the revocation was not reported as it should be[/red]"
    )
    return holds


def _act_three(base: Path, amira: Home, attestation: dict[str, Any]) -> bool:
    stdout.print(Rule("Musette — act three: the revocation gossips across three nodes"))
    ports = free_ports(3)
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    neighbours = [[urls[1]], [urls[0], urls[2]], [urls[1]]]  # a line: A - B - C
    env = {"MUSETTE_PASSPHRASE": PASSPHRASE}
    nodes = [
        NodeProcess(base / f"node-{name}", port, peers=peers, interval=0.5, env=env)
        for name, port, peers in zip("ABC", ports, neighbours, strict=True)
    ]
    try:
        for name, node in zip("ABC", nodes, strict=True):
            node.start()
            stdout.print(f"  node {name} (its own process) serves {node.url}")
        far = nodes[2]
        before = far.health()["rounds"]
        with NodeClient(far.url) as client:
            asked = client.post_json("/status/check", {"credential": attestation})
        stdout.print(f"  before: node C says the attestation is {asked['status']}")
        pushed = push_ledger(amira, nodes[0].url)
        stdout.print(
            f"  Amira hands node A her feed: {pushed['stored']} entries stored, "
            f"{len(pushed['status_lists'])} signed status lists to serve"
        )
        deadline = time.monotonic() + 60
        with NodeClient(far.url) as client:
            while time.monotonic() < deadline:
                asked = client.post_json("/status/check", {"credential": attestation})
                if asked["status"] == "revoked":
                    break
                time.sleep(0.2)
        rounds = far.health()["rounds"] - before
        stdout.print(
            f"  the recruiter asks node C, two hops from A: [bold]{asked['status']}[/bold] "
            f"({asked['detail']}; C gossiped {rounds} rounds meanwhile)"
        )
        holds = asked["status"] == "revoked"
    finally:
        codes = [node.stop() for node in nodes]
    stdout.print(f"  the three nodes stop cleanly (exit statuses {codes})")
    return holds and codes == [0, 0, 0]


def _cli(home: Home, *args: str) -> Any:
    """Run one ``musette … --json`` command in its own process, as a person would."""
    result = subprocess.run(
        [sys.executable, "-m", "node", "--home", str(home.path), *args, "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "MUSETTE_PASSPHRASE": PASSPHRASE},
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise DemoError(f"musette {' '.join(args[:2])} failed: {result.stderr.strip()[-300:]}")
    return json.loads(result.stdout)


class DemoError(Exception):
    """A step of the demo's story that did not happen."""


def _act_four(base: Path, homes: dict[str, Home]) -> bool:
    stdout.print(Rule("Musette — act four: Chloé asks two peers to vouch, through mailboxes"))
    ports = free_ports(2)
    env = {"MUSETTE_PASSPHRASE": PASSPHRASE}
    mailbox = NodeProcess(base / "node-mail", ports[0], interval=0.5, env=env)
    reply = NodeProcess(base / "node-chloe", ports[1], peers=[mailbox.url], interval=0.5, env=env)
    chloe, amira, bastien = homes["chloe"], homes["amira"], homes["bastien"]
    try:
        mailbox.start()
        reply.start()
        for who, name in ((amira, "Amira"), (bastien, "Bastien")):
            card = _cli(who, "card", "--name", name, "--node", mailbox.url)
            _cli(chloe, "contacts", "add", card["card"])
            stdout.print(f"  Chloé adds {name}'s signed contact card (mailbox {card['node']})")
        for name in ("Amira", "Bastien"):
            _cli(
                chloe, "ask", name, "--skill", "Pipe welding", "--level", "5",
                "--context", "The Lyon pipeline job, 2024", "--reply-node", reply.url,
            )  # fmt: skip
        stdout.print("  she asks both to vouch for her pipe welding: sealed requests, one each")
        held = b"".join(p.read_bytes() for p in mailbox.home.glob("node.db*"))
        sealed = b"Pipe welding" not in held
        stdout.print(f"  the mailbox node holds only ciphertext: {sealed}")
        request = _cli(amira, "requests", "--node", mailbox.url)["requests"][0]
        _cli(amira, "answer", request["id"], "--level", "6", "--evidence", "Welded the loop")
        stdout.print(f"  Amira reads the request ({request['context']}) and vouches at level 6")
        declined = _cli(bastien, "requests", "--node", mailbox.url)["requests"][0]
        _cli(bastien, "decline", declined["id"])
        stdout.print("  Bastien declines: he did not see her weld")
        inbox = _cli(chloe, "inbox", "--node", reply.url)
        for line in inbox["fetched"]:
            stdout.print(f"  Chloé's inbox: {line}")
        pending = [i for i in inbox["pending"] if i["skill"] == "Pipe welding"]
        _cli(chloe, "accept", pending[0]["id"])
        pushed = _cli(chloe, "ledger", "push", reply.url)
        stdout.print(
            f"  she accepts it: the edge is published in her feed and handed to her node "
            f"({pushed['stored']} entries stored)"
        )
        holds = sealed and len(pending) == 1 and len(inbox["fetched"]) == 2
    except (DemoError, IndexError, KeyError) as e:
        stdout.print(f"  [red]{escape(str(e))}[/red]")
        holds = False
    finally:
        codes = [mailbox.stop(), reply.stop()]
    return holds and codes == [0, 0]


def _act_five(base: Path, homes: dict[str, Home]) -> bool:
    stdout.print(Rule("Musette — act five: a recruiter checks Chloé's CV offline, with trust"))
    guild, amira, chloe = homes["guild"], homes["amira"], homes["chloe"]
    recruiter = Home(base / "recruiter", passphrase=lambda: PASSPHRASE)
    env = {"MUSETTE_PASSPHRASE": PASSPHRASE}
    node = NodeProcess(
        base / "node-trust", free_ports(1)[0], interval=0.5, env=env,
        options=["--trust-interval", "0.5"],
    )  # fmt: skip
    try:
        guild_did = _cli(guild, "id", "list")[0]["did"]
        amira_did = _cli(amira, "id", "list")[0]["did"]
        badge, edge = base / "amira-badge.json", base / "amira-badge.edge"
        _cli(
            guild, "issue", "badge", "--subject", amira_did, "--badge", "Certified welder",
            "--criteria", "Passed the guild's practical test", "--out", str(badge),
            "--edge-out", str(edge),
        )  # fmt: skip
        _cli(
            amira, "accept", _cli(amira, "wallet", "import", str(badge), "--edge", str(edge))["id"]
        )
        stdout.print("  the guild certifies Amira as a welder; she accepts (a public edge)")
        _cli(Home(node.home, passphrase=lambda: PASSPHRASE), "trust", "anchors", "add", guild_did)
        node.start()
        for who in (guild, amira, chloe):
            _cli(who, "ledger", "push", node.url)
        stdout.print(f"  a node that trusts the guild ({node.url}) gets the ledgers")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with NodeClient(node.url) as client, contextlib.suppress(NodeUnreachableError):
                if amira_did in client.get("/trust/snapshot")["scores"].get("*", {}):
                    break
            time.sleep(0.3)
        asked = _cli(recruiter, "recruiter", "request", "--domain", "recruit.example", "--no-show")
        stdout.print(f"  the recruiter asks for a presentation: request {asked['id']}")
        bundle = base / "chloe-bundle.json"
        _cli(
            chloe, "present", "--skill", "Pipe welding", "--challenge", asked["challenge"],
            "--domain", "recruit.example", "--bundle", "--trust-from", node.url,
            "--out", str(bundle),
        )  # fmt: skip
        stdout.print(
            "  Chloé hands over one file: her presentation, the status lists and the node's "
            "signed trust snapshot"
        )
    except (DemoError, IndexError, KeyError) as e:
        stdout.print(f"  [red]{escape(str(e))}[/red]")
        return False
    finally:
        code = node.stop()
    # The recruiter is offline now: nothing below reaches a node.
    report = _cli(recruiter, "verify", str(bundle), "--request", asked["id"])
    for claim in report.get("claims", []):
        trust = claim.get("trust")
        figure = f"{trust:.3f}" if isinstance(trust, float) else "not checked"
        stdout.print(
            f"  offline: {claim.get('claim')}: "
            f"{'genuine' if claim.get('genuine') else 'NOT genuine'}, "
            f"{'revoked' if claim.get('revoked') else 'not revoked'}, trust {figure}"
        )
    replayed = subprocess.run(
        [sys.executable, "-m", "node", "--home", str(recruiter.path), "verify", str(bundle),
         "--request", asked["id"]],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=120, check=False,
    )  # fmt: skip
    stdout.print(
        f"  the same bundle again is refused (request already used): {replayed.returncode != 0}"
    )
    claims = report.get("claims", [])
    trusted = any(isinstance(c.get("trust"), float) and c["trust"] > 0 for c in claims)
    return bool(report.get("verified")) and trusted and replayed.returncode != 0 and code == 0


def _print_summary(report: Report, title: str) -> None:
    failed = ", ".join(f"{c.name}: {c.detail}" for c in report.failures())
    verdict = "VERIFIED" if report.verified else "NOT VERIFIED"
    stdout.print(f"{verdict}  {title}" + (f" — {failed}" if failed else ""))
