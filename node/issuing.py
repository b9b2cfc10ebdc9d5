"""Issuing from a home: a status entry at a random index of the issuer's list, the
signature, and the edge statement handed to the subject with the credential."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from credentials.issuance import Format, data_model_for, issue
from credentials.models import SkillClaim
from ledger.entries import EdgeStatement
from ledger.errors import StoreError
from ledger.statuslist import MIN_ENTRIES, attach_status, list_id, status_entries

from .home import Home

__all__ = ["issue_from_home"]

# didkit bundles no status-list context, so its JSON-LD format cannot carry the entry.
_NO_STATUS_FORMATS = ("ld2018",)
_MAX_LISTS = 1000


def issue_from_home(
    place: Home,
    model: Any,
    *,
    as_: str | None,
    fmt: Format,
    with_status: bool = True,
    edge_out: Path | None = None,
) -> dict[str, Any] | str:
    """Build ``model`` (a credentials.models class taking ``issuer``) as ``place``'s
    identity ``as_``, give it a status entry, sign it, and write its edge statement."""
    key = place.identities.key(as_)
    document = model(key.did).to_jsonld(model=data_model_for(fmt))
    if with_status and fmt not in _NO_STATUS_FORMATS:
        with place.ledger() as store:
            public_node = place.config().get("public_node")
            for number in range(_MAX_LISTS):
                lid = list_id(key.did, number, base_url=public_node)
                if store.allocations(lid) < MIN_ENTRIES:
                    break
            else:
                raise StoreError("every status list of this issuer is full")
            index = store.allocate_index(lid, MIN_ENTRIES, str(document["id"]))
        entries = status_entries(lid, index)
        if data_model_for(fmt) == "1.1":
            entries = entries[:1]  # VC 1.1 describes one status: revocation
        document = attach_status(document, entries)
    signed = issue(document, key, fmt=fmt)
    if edge_out is not None:
        edge = EdgeStatement.create(
            signed, SkillClaim.from_credential(document), key, time=int(time.time())
        )
        edge_out.write_bytes(edge.signed)
    return signed
