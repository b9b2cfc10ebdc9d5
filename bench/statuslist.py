"""Size of a Bitstring Status List against the information-theoretic minimum.

A list of n = 131,072 entries (the specification's minimum) with k random revocations
(0.1 % and 1 %, plus the empty list and 10 % for scale) is encoded as the verifier
receives it: GZIP (level 9, our encoder) then multibase base64url. The floor is the
entropy of the set of revoked indices, log2 C(n, k) bits, computed with ``math.lgamma``:
no encoding of an arbitrary k-subset can be shorter on average. Figures are the mean over
``--trials`` random subsets (fixed seeds).

Run: ``.venv/bin/python bench/statuslist.py [--trials T]``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import base64
import math
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger.statuslist import MIN_ENTRIES, StatusList

RATES = (0.0, 0.001, 0.01, 0.1)


def log2_binomial(n: int, k: int) -> float:
    """log2 C(n, k), by the log-gamma function (exact enough at these sizes)."""
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(2)


def measure(n: int, k: int, trials: int) -> tuple[float, float]:
    """Mean gzip bytes and mean encodedList characters over ``trials`` random k-subsets."""
    gzip_bytes = chars = 0
    for seed in range(trials):
        revoked = random.Random(seed).sample(range(n), k)
        encoded = StatusList.from_indices(revoked, n).encode()
        body = encoded[1:]
        gzip_bytes += len(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        chars += len(encoded)
    return gzip_bytes / trials, chars / trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    n = MIN_ENTRIES
    print(f"Bitstring Status List, n = {n} entries ({n // 8} bytes raw), {args.trials} trials")
    print(
        f"{'revoked':>14} {'gzip B':>9} {'encodedList':>12} {'floor B':>9} "
        f"{'gzip/floor':>11} {'bits/revocation':>16}"
    )
    for rate in RATES:
        k = round(n * rate)
        gzip_bytes, chars = measure(n, k, args.trials)
        floor = log2_binomial(n, k) / 8
        ratio = f"{gzip_bytes / floor:.2f}" if floor else "-"
        per = f"{gzip_bytes * 8 / k:.1f}" if k else "-"
        print(
            f"{k:>7} ({rate:>5.1%}) {gzip_bytes:>9.0f} {chars:>12.0f} {floor:>9.0f} "
            f"{ratio:>11} {per:>16}"
        )


if __name__ == "__main__":
    main()
