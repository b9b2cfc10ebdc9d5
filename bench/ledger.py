"""Ledger throughput and proof sizes: durable appends, verified ingest beside raw Ed25519
verify, Merkle proof sizes up to 10^6 leaves, and the status list figures.

1. Durable appends per second with ``PRAGMA synchronous=FULL`` (the store's setting,
   never turned off here: every commit is fsynced): one :meth:`LedgerStore.append` per
   transaction, and :meth:`LedgerStore.append_many` batches of ``--batch`` entries per
   transaction. The database is in the system temporary directory; its filesystem and
   the fsync latency measured there are printed, since on a tmpfs fsync would be free.
2. Verified ingests per second: :meth:`LedgerStore.ingest` of entries that another store
   signed, ``--ingest-batch`` entries per call (one transaction each), into a fresh store;
   beside it, raw PyNaCl Ed25519 verify (``VerifyKey.verify``) of messages the size of
   what each signature covers (the COSE Sig_structure), in the same process, the two
   interleaved and the best of ``--repeat`` runs kept. Two workloads: status entries
   (revocations: one signature each) and acceptances (two signatures: the entry's and its
   embedded edge statement's, so their raw figure is the time of both verifies). The
   ratio is ingest/s ÷ raw/s: 1.0 would mean storing costs nothing beyond the signatures.
3. Merkle proof sizes (RFC 9162 inclusion and consistency proofs, 32 bytes a hash) at
   10^3 … 10^6 leaves, generated from the leaf hashes directly (a few leaf indices and
   old sizes each, smallest–largest shown); root, proof generation and proof checking
   timed at 10^6.
4. The Bitstring Status List figures of ``bench/statuslist.py``.

Run: ``.venv/bin/python bench/ledger.py [--quick] [--profile]``. Prints figures and ends
with one line per target; asserts nothing (speed is measured, never asserted in tests).
``--profile`` adds the cProfile top of one ingest run of each workload.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import math
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.signing

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from credentials.keys import KeyPair
from credentials.models import SkillAttestation, SkillClaim
from ledger import merkle
from ledger.cose import decode_sign1
from ledger.entries import EdgeStatement, Entry
from ledger.statuslist import list_id
from ledger.store import LedgerStore

T = 1_780_000_000
APPEND_TARGET = 1_000  # durable appends per second
INGEST_TARGET = 0.7  # verified ingests per second ÷ raw Ed25519 verifies per second
MERKLE_SIZES = (10**3, 10**4, 10**5, 10**6)


def filesystem_of(path: Path) -> str:
    """The type of the filesystem holding ``path`` (longest mount point in /proc/mounts)."""
    best, kind = "", "unknown"
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                fields = line.split()
                mount = fields[1] if len(fields) >= 3 else ""
                if mount and str(path).startswith(mount) and len(mount) > len(best):
                    best, kind = mount, fields[2]
    except OSError:
        pass
    return kind


def fsync_latency(directory: Path, count: int = 50) -> float:
    """Median seconds of an fsync after an 8 KiB write, in ``directory``."""
    samples = []
    with open(directory / "fsync-probe", "wb", buffering=0) as probe:
        for _ in range(count):
            probe.write(b"\0" * 8192)
            start = time.perf_counter()
            os.fsync(probe.fileno())
            samples.append(time.perf_counter() - start)
    samples.sort()
    return samples[len(samples) // 2]


def status_body(key: KeyPair, index: int) -> dict[str, Any]:
    digest = hashlib.sha256(index.to_bytes(8, "big")).digest()
    return {"credential": digest, "list": list_id(key.did, 1), "index": index}


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# -- 1. durable appends --------------------------------------------------------------------


def append_rates(directory: Path, single: int, batches: int, batch: int) -> tuple[float, float]:
    """(appends/s, one append per transaction; appends/s, ``batch`` per transaction)."""
    key = KeyPair.generate()
    with LedgerStore(directory / "appends.db") as store:
        store.append(key, "revocation", status_body(key, 0), when=T)  # warm-up
        start = time.perf_counter()
        for i in range(1, single + 1):
            store.append(key, "revocation", status_body(key, i), when=T)
        one = single / (time.perf_counter() - start)
        bodies = [
            [("revocation", status_body(key, single + 1 + b * batch + i)) for i in range(batch)]
            for b in range(batches)
        ]
        start = time.perf_counter()
        for items in bodies:
            store.append_many(key, items, when=T)
        many = batches * batch / (time.perf_counter() - start)
    return one, many


# -- 2. verified ingest --------------------------------------------------------------------


def status_feeds(directory: Path, authors: int, per_author: int) -> list[bytes]:
    """Signed revocations of ``authors`` feeds, feed by feed, made by another store."""
    keys = [KeyPair.generate() for _ in range(authors)]
    with LedgerStore(directory / "status-source.db") as source:
        for key in keys:
            for first in range(0, per_author, 500):
                last = min(first + 500, per_author)
                source.append_many(
                    key, [("revocation", status_body(key, i)) for i in range(first, last)], when=T
                )
        return [data for key in keys for data in source.signed_entries(key.did)]


def acceptance_feeds(directory: Path, workers: int, per_worker: int) -> list[bytes]:
    """Signed acceptances of ``workers`` feeds, each embedding an issuer's edge statement."""
    issuer = KeyPair.generate()
    keys = [KeyPair.generate() for _ in range(workers)]
    with LedgerStore(directory / "acceptance-source.db") as source:
        for key in keys:
            items = []
            for i in range(per_worker):
                credential = SkillAttestation(
                    issuer=issuer.did, subject=key.did, skill=f"TIG welding {i}", level=5
                ).to_jsonld()
                claim = SkillClaim.from_credential(credential)
                edge = EdgeStatement.create(credential, claim, issuer, time=T)
                items.append(("acceptance", {"edge": edge.signed}))
            for first in range(0, per_worker, 500):
                source.append_many(key, items[first : first + 500], when=T)
        return [data for key in keys for data in source.signed_entries(key.did)]


def covered_sizes(signed: bytes) -> list[int]:
    """Bytes that each signature of an entry covers: its Sig_structure, and its edge's."""
    sizes = [len(decode_sign1(signed).to_be_signed())]
    entry = Entry.from_bytes(signed, verify=False)
    if entry.kind == "acceptance":
        sizes.append(len(decode_sign1(bytes(entry.body["edge"])).to_be_signed()))
    return sizes


def ingest_seconds(path: Path, entries: list[bytes], batch: int) -> float:
    """Seconds to ingest ``entries`` into a fresh store at ``path``, ``batch`` per call."""
    remove_database(path)
    stored = 0
    with LedgerStore(path) as store:
        start = time.perf_counter()
        for first in range(0, len(entries), batch):
            stored += store.ingest(entries[first : first + batch]).stored
        elapsed = time.perf_counter() - start
    remove_database(path)
    if stored != len(entries):
        print(f"  (warning: stored {stored} of {len(entries)} entries)", file=sys.stderr)
    return elapsed


def raw_verify_seconds(size: int, count: int) -> float:
    """Seconds for ``count`` PyNaCl verifies of one ``size``-byte signed message."""
    key = nacl.signing.SigningKey.generate()
    signed = key.sign(os.urandom(size))
    verify = key.verify_key.verify
    start = time.perf_counter()
    for _ in range(count):
        verify(signed)
    return time.perf_counter() - start


@dataclass(frozen=True)
class IngestFigures:
    workload: str
    entries: int
    signatures: int  # per entry
    covered: float  # mean bytes a signature covers
    ingest: float  # entries per second
    raw: float  # entries per second if only their signatures were verified, raw

    @property
    def ratio(self) -> float:
        return self.ingest / self.raw

    @property
    def overhead_us(self) -> float:
        """Microseconds per entry spent beyond the raw signature checks."""
        return 1e6 / self.ingest - 1e6 / self.raw


def measure_ingest(
    directory: Path, workload: str, entries: list[bytes], batch: int, repeat: int
) -> IngestFigures:
    sizes = covered_sizes(entries[len(entries) // 2])
    best_ingest = best_raw = math.inf
    for _ in range(repeat):
        # Interleaved, so that a busy neighbour slows both sides alike.
        best_raw = min(best_raw, sum(raw_verify_seconds(s, len(entries)) for s in sizes))
        best_ingest = min(best_ingest, ingest_seconds(directory / f"{workload}.db", entries, batch))
    return IngestFigures(
        workload=workload,
        entries=len(entries),
        signatures=len(sizes),
        covered=sum(sizes) / len(sizes),
        ingest=len(entries) / best_ingest,
        raw=len(entries) / best_raw,
    )


def profile_ingest(directory: Path, entries: list[bytes], batch: int, lines: int = 16) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    ingest_seconds(directory / "profiled.db", entries, batch)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(lines)
    return out.getvalue()


# -- 3. Merkle proofs ----------------------------------------------------------------------


def proof_sizes(leaves: list[bytes], size: int, samples: int) -> tuple[list[int], list[int]]:
    """Byte sizes of inclusion proofs (a few indices) and consistency proofs (a few old
    sizes) in the tree of the first ``size`` leaves, generated from the leaf hashes."""
    picks = [0, size // 3, size // 2, size - 2, size - 1][: max(samples, 2)]
    inclusion = [
        merkle.HASH_SIZE * len(merkle.inclusion_proof(leaves, i, tree_size=size))
        for i in sorted(set(picks))
    ]
    olds = [size // 2 + 1, size - 1, 1, size // 3][: max(samples - 1, 2)]
    consistency = [
        merkle.HASH_SIZE * len(merkle.consistency_proof(leaves, m, new_size=size))
        for m in sorted(set(olds))
    ]
    return inclusion, consistency


def timed(action: Callable[[], Any], times: int = 1) -> tuple[float, Any]:
    """(mean seconds per call of ``action`` over ``times`` calls, its last result)."""
    start = time.perf_counter()
    for _ in range(times):
        result = action()
    return (time.perf_counter() - start) / times, result


def merkle_figures(samples: int) -> None:
    print("3. Merkle proofs (RFC 9162, SHA-256), generated from leaf hashes")
    leaves = [merkle.leaf_hash(i.to_bytes(8, "big")) for i in range(MERKLE_SIZES[-1])]
    print(f"  {'leaves':>9} {'inclusion B':>12} {'consistency B':>14} {'⌈log2 n⌉×32':>12}")
    for size in MERKLE_SIZES:
        inclusion, consistency = proof_sizes(leaves, size, samples)
        print(
            f"  {size:>9} {f'{min(inclusion)}–{max(inclusion)}':>12} "
            f"{f'{min(consistency)}–{max(consistency)}':>14} "
            f"{merkle.HASH_SIZE * math.ceil(math.log2(size)):>12}"
        )
    n = MERKLE_SIZES[-1]
    index, old = n // 2, n // 2 + 1
    root_s, root = timed(lambda: merkle.root(leaves))
    inclusion_s, path = timed(lambda: merkle.inclusion_proof(leaves, index))
    consistency_s, proof = timed(lambda: merkle.consistency_proof(leaves, old))
    old_root = merkle.root(leaves[:old])
    check_inclusion_s, _ = timed(
        lambda: merkle.verify_inclusion(leaves[index], index, n, path, root), times=1000
    )
    check_consistency_s, _ = timed(
        lambda: merkle.verify_consistency(old, n, old_root, root, proof), times=1000
    )
    frontier = merkle.CompactRange()
    extend_s, _ = timed(lambda: frontier.extend(leaves))
    print(
        f"  at {n} leaves: root {root_s:.2f} s, inclusion proof {inclusion_s:.2f} s, "
        f"consistency proof {consistency_s:.2f} s (each hashes every leaf once);\n"
        f"  checking them {check_inclusion_s * 1e6:.0f} µs and {check_consistency_s * 1e6:.0f} "
        f"µs; compact range: {n} appends {extend_s:.2f} s "
        f"({extend_s / n * 1e6:.2f} µs each)\n"
    )


# -- 4. status list ------------------------------------------------------------------------


def status_list_figures(trials: int) -> None:
    print(f"4. Bitstring Status List (bench/statuslist.py, {trials} trials)")
    try:
        from bench import statuslist
        from ledger.statuslist import MIN_ENTRIES

        measure, log2_binomial, rates = (
            statuslist.measure,
            statuslist.log2_binomial,
            statuslist.RATES,
        )
    except (ImportError, AttributeError):
        script = Path(__file__).resolve().parent / "statuslist.py"
        subprocess.run([sys.executable, str(script), "--trials", str(trials)], check=False)
        return
    n = MIN_ENTRIES
    print(f"  n = {n} entries ({n // 8} bytes raw)")
    print(f"  {'revoked':>15} {'gzip B':>7} {'encodedList':>12} {'floor B':>8} {'gzip/floor':>11}")
    for rate in rates:
        k = round(n * rate)
        gzip_bytes, chars = measure(n, k, trials)
        floor = log2_binomial(n, k) / 8
        ratio = f"{gzip_bytes / floor:.2f}" if floor else "-"
        print(
            f"  {k:>6} ({rate:>6.1%}) {gzip_bytes:>7.0f} {chars:>12.0f} {floor:>8.0f} {ratio:>11}"
        )
    print()


# -------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (smaller counts)")
    parser.add_argument("--batch", type=int, default=100, help="entries per append_many")
    parser.add_argument("--ingest-batch", type=int, default=1000, help="entries per ingest")
    parser.add_argument("--repeat", type=int, help="ingest runs, best kept (default 2 / 4)")
    parser.add_argument("--profile", action="store_true", help="cProfile one ingest run each")
    args = parser.parse_args()
    quick = args.quick
    single, batches = (200, 10) if quick else (1000, 50)
    status_count, acceptance_count = (2000, 1000) if quick else (10000, 2000)
    repeat = args.repeat or (2 if quick else 4)

    with tempfile.TemporaryDirectory(prefix="musette-bench-") as name:
        directory = Path(name)
        print(f"Musette ledger bench ({'quick' if quick else 'full'} run), {os.cpu_count()} CPUs")
        print(
            f"databases in {directory} on {filesystem_of(directory)}, WAL, synchronous=FULL; "
            f"fsync there: {fsync_latency(directory) * 1e6:.0f} µs (median)\n"
        )

        one, many = append_rates(directory, single, batches, args.batch)
        print("1. durable appends (fsync on every commit)")
        print(f"  {'append, 1 entry per transaction':<40} {one:>8.0f} /s")
        print(f"  {f'append_many, {args.batch} entries per transaction':<40} {many:>8.0f} /s\n")

        workloads = {
            "status": status_feeds(directory, 4, status_count // 4),
            "acceptance": acceptance_feeds(directory, 4, acceptance_count // 4),
        }
        print(
            f"2. verified ingest, {args.ingest_batch} entries per ingest (one transaction), "
            f"best of {repeat}"
        )
        print(
            f"  {'workload':<10} {'entries':>7} {'sigs':>4} {'B/sig':>5} {'ingest/s':>9} "
            f"{'raw/s':>8} {'ratio':>5} {'µs/entry beyond raw':>20}"
        )
        results = []
        for workload, entries in workloads.items():
            r = measure_ingest(directory, workload, entries, args.ingest_batch, repeat)
            results.append(r)
            print(
                f"  {r.workload:<10} {r.entries:>7} {r.signatures:>4} {r.covered:>5.0f} "
                f"{r.ingest:>9.0f} {r.raw:>8.0f} {r.ratio:>5.2f} {r.overhead_us:>20.1f}"
            )
        print(
            "  raw/s: entries per second if only their signatures were checked, by PyNaCl\n"
            "  VerifyKey.verify of messages of the same size; ratio = ingest/s ÷ raw/s\n"
        )
        if args.profile:
            for workload, entries in workloads.items():
                print(f"cProfile: ingest of {len(entries)} {workload} entries")
                print(profile_ingest(directory, entries, args.ingest_batch))

    merkle_figures(samples=2 if quick else 5)
    status_list_figures(trials=3 if quick else 20)

    print("Targets")
    modes = [
        name
        for name, rate in (("single append", one), (f"append_many ×{args.batch}", many))
        if rate >= APPEND_TARGET
    ]
    print(
        f"  durable appends ≥ {APPEND_TARGET}/s: "
        f"{'met by ' + ' and '.join(modes) if modes else 'not met'} "
        f"(single append {one:.0f}/s, append_many ×{args.batch} {many:.0f}/s, fsync on)"
    )
    met = all(r.ratio >= INGEST_TARGET for r in results)
    figures = "; ".join(
        f"{r.workload} {r.ingest:.0f}/s vs raw {r.raw:.0f}/s = {r.ratio:.2f}×" for r in results
    )
    verdict = "met" if met else "not met"
    print(f"  verified ingest ≥ {INGEST_TARGET}× raw verify: {verdict} ({figures})")


if __name__ == "__main__":
    main()
