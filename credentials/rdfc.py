"""RDF Dataset Canonicalization (RDFC-1.0) of JSON-LD documents, with its cost bounded.

:func:`canonicalize` is the transformation step of ``eddsa-rdfc-2022`` and
``Ed25519Signature2020`` (VC Data Integrity EdDSA Cryptosuites v1.0 §3.2.3, §3.1.3), for
the unsecured document and for the proof configuration alike:

1. JSON-LD 1.1 → RDF dataset (JSON-LD 1.1 API §10.6 toRdf), by
   :mod:`credentials._jsonld_fast` when the document keeps to what it implements (bundled
   contexts, no exotic keywords), otherwise by pyld 3.3 ``to_rdf``; both give the same
   dataset, the first some fifty times faster;
2. first-degree hashes of the blank nodes (RDFC-1.0 §4.6);
3. blank node labels: when every first-degree hash is unique — ordinary credentials — the
   labels follow from sorting those hashes (§4.4.3 steps 4-5) and are issued here; when
   some blank nodes look alike, the cost guard (:func:`check_canonicalization_cost`)
   bounds the N-degree work first, then pyoxigraph runs the whole of RDFC-1.0
   (``CanonicalizationAlgorithm.RDFC_1_0``);
4. the canonical N-Quads document: every quad in canonical N-Quads form, one per line,
   lines sorted in code point order (RDFC-1.0 §4.4.3 step 7, N-Quads 1.2 §4.4).

pyld's own ``normalize`` is not used: besides being slow and unbounded, it writes control
characters other than tab, newline and carriage return raw, where canonical N-Quads
requires ``\\b``, ``\\f`` and ``\\u0001``-style escapes, so its output is not RDFC-1.0
for such strings. Ours and pyoxigraph's are.

Nothing here reads the network or the clock: contexts come from
:mod:`credentials.loader`. Errors, all :class:`~credentials.errors.CredentialError`:

    ContextError          a context URL that is not bundled
    MalformedInputError   not JSON, not valid JSON-LD, or an IRI that RDF cannot carry
    LimitExceededError    over the canonicalization cost bound, or nested too deep
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Final

import pyoxigraph
from pyld import ContextResolver, jsonld

from . import _jsonld_fast
from ._jsonld_fast import Quad, Unsupported
from .errors import ContextError, LimitExceededError, MalformedInputError
from .loader import pyld_document_loader

__all__ = [
    "JSON_LD_VERSION",
    "MAX_NDEGREE_WORK",
    "RDFC_VERSION",
    "canonical_document_hash",
    "canonicalize",
    "check_canonicalization_cost",
]

RDFC_VERSION: Final = "RDFC-1.0"  # W3C Recommendation, 21 May 2024
JSON_LD_VERSION: Final = "1.1"

#: Upper bound on the work of the N-degree hashing, in the units of
#: :func:`check_canonicalization_cost` (one unit ≈ one related blank node hashed or one
#: permutation tried). Measured with pyoxigraph 0.5.13: documents just under the bound
#: canonicalize in 2-40 ms; the same shapes a little over it take seconds to minutes.
#: Credentials without look-alike blank nodes cost 0.
MAX_NDEGREE_WORK: Final = 20_000

_RDF_LANGSTRING: Final = _jsonld_fast.RDF_LANGSTRING


def canonicalize(document: Mapping[str, Any]) -> str:
    """The canonical N-Quads (RDFC-1.0 with SHA-256, i.e. URDNA2015) of a JSON-LD document.

    ``document`` is a credential, a presentation or a Data Integrity proof configuration,
    as parsed JSON. Callers run :func:`credentials.limits.check_structure` first; the
    quad-level guard is run here. Raises ContextError, MalformedInputError or
    LimitExceededError (see the module docstring).
    """
    dataset = set(_dataset(document))  # an RDF dataset is a set of quads
    first_degree = _first_degree(dataset)
    if len({text for text, _ in first_degree.values()}) < len(first_degree):
        _bound_ndegree_work(first_degree)
        return _canonical_nquads(dataset)
    try:
        canonical = _label_by_first_degree(dataset, first_degree)
        canonical.encode("utf-8")
    except UnicodeEncodeError as e:
        raise MalformedInputError(
            "document holds a lone surrogate, which is not Unicode text"
        ) from e
    return canonical


def canonical_document_hash(document: Mapping[str, Any]) -> bytes:
    """SHA-256 of the UTF-8 canonical N-Quads of ``document`` (the RDFC-1.0 hash data)."""
    return hashlib.sha256(canonicalize(document).encode("utf-8")).digest()


def check_canonicalization_cost(document: Mapping[str, Any]) -> None:
    """Raise LimitExceededError when canonicalizing ``document`` could take too long.

    RDFC-1.0 labels at once every blank node whose first-degree hash (§4.6) is unique.
    Only blank nodes that share their first-degree hash with another ("look-alikes") go
    through Hash N-Degree Quads (§4.8), and it recurses only into look-alikes: a call on
    a blank node ``v`` hashes each related blank node once, then, for each group of
    related nodes with the same related hash (§4.7), tries every permutation of the group
    and recurses into each member the issuer has not labelled yet. That is the
    exponential part: nine blank nodes that all point at each other give groups of eight,
    8! permutations per call, each recursing.

    The guard finds the look-alikes exactly (by the text the first-degree hash is taken
    of), then evaluates an upper bound of that work::

        W(v, I) = 1 + deg(v) + Σ_groups k! · (1 + Σ_{u in group} W(u, I ∪ group))

    ``I`` is the set of blank nodes the temporary issuer has labelled; the groups are the
    look-alikes related to ``v`` and not in ``I``, keyed by what their related hash
    covers (position, predicate, first-degree hash); ``k`` is a group's size and
    ``deg(v)`` the number of blank nodes related to ``v``. It is an upper bound because
    the real issuer holds at least ``I`` (each member of a group is labelled before the
    recursion, §4.8 step 5.4.4), and a fuller issuer only splits groups and prunes
    recursion. The document is refused when the sum of ``W(v, {v})`` over the
    look-alikes exceeds :data:`MAX_NDEGREE_WORK`. The sum is evaluated against that
    budget, so a refusal costs at most that many small steps: milliseconds, however
    hostile the document.

    Simpler rules fail one way or the other: a product of factorials of group sizes
    misses that recursion multiplies, and refuses a list of forty repeated values (a
    chain of look-alike cells, cheap to label); a cap on the number of look-alikes admits
    one group of eight. Ordinary credentials have no look-alikes and cost nothing.

    Also raises ContextError or MalformedInputError when the document cannot be turned
    into RDF at all.
    """
    _bound_ndegree_work(_first_degree(set(_dataset(document))))


# -- 1. JSON-LD to RDF ----------------------------------------------------------------------


def _dataset(document: Mapping[str, Any]) -> list[Quad]:
    try:
        return _jsonld_fast.to_quads(document)
    except Unsupported:
        return _pyld_quads(document)


def _pyld_quads(document: Mapping[str, Any]) -> list[Quad]:
    """pyld 3.3 ``to_rdf``, for what the fast converter leaves to it."""
    _require_json(document)
    options = {
        "documentLoader": pyld_document_loader,
        # Not pyld's process-wide resolver cache: see _jsonld_fast._pyld_options.
        "contextResolver": ContextResolver({}, pyld_document_loader),
    }
    try:
        dataset = jsonld.to_rdf(dict(document), options)
    except jsonld.JsonLdError as e:
        cause = _context_error(e)
        if cause is not None:
            raise ContextError(str(cause)) from e
        raise MalformedInputError(f"not valid JSON-LD: {_innermost_reason(e)}") from e
    except RecursionError as e:
        raise LimitExceededError("document is nested too deeply to process") from e
    except (ValueError, TypeError, OverflowError) as e:
        raise MalformedInputError(f"JSON-LD processing failed: {e}") from e
    try:
        return [
            (
                _node_term(triple["subject"]),
                _jsonld_fast.iri_term(triple["predicate"]["value"]),
                _object_term(triple["object"]),
                "" if name == "@default" else _node_term({"type": _kind(name), "value": name}),
            )
            for name, triples in dataset.items()
            for triple in triples
        ]
    except Unsupported as e:
        raise MalformedInputError(f"the document's RDF cannot be written: {e}") from e


def _kind(name: str) -> str:
    return "blank node" if name.startswith("_:") else "IRI"


def _node_term(node: Mapping[str, str]) -> str:
    if node["type"] == "blank node":
        return node["value"]  # pyld relabels every blank node _:b<n>
    return _jsonld_fast.iri_term(node["value"])


def _object_term(node: Mapping[str, str]) -> str:
    if node["type"] != "literal":
        return _node_term(node)
    datatype = node["datatype"]
    language = node.get("language") if datatype == _RDF_LANGSTRING else None
    return _jsonld_fast.literal_term(node["value"], datatype, language)


def _require_json(document: Mapping[str, Any]) -> None:
    """pyld silently stringifies what is not JSON; refuse it instead."""
    stack: list[Any] = [dict(document)]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is dict:
            if any(type(key) is not str for key in value):
                raise MalformedInputError("document has an object key that is not a string")
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif not (value is None or kind in (str, bool, int, float)):
            raise MalformedInputError(f"document holds a {kind.__name__}, which is not JSON")


def _context_error(error: BaseException) -> ContextError | None:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ContextError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _innermost_reason(error: BaseException) -> str:
    """pyld wraps each failure in "could not expand…" layers; the first one says why."""
    while isinstance(error.__cause__, jsonld.JsonLdError):
        error = error.__cause__
    text = str(error.args[0]) if error.args else ""
    return text.splitlines()[0] if text else type(error).__name__


# -- 2. cost guard --------------------------------------------------------------------------


def _first_degree(dataset: set[Quad]) -> dict[str, tuple[str, list[Quad]]]:
    """Each blank node's first-degree hash input (RDFC-1.0 §4.6) and its quads.

    The input is the node's quads in canonical N-Quads form, itself as ``_:a`` and every
    other blank node as ``_:z``, sorted: equal inputs are equal hashes.
    """
    mentions: defaultdict[str, list[Quad]] = defaultdict(list)
    for quad in dataset:
        subject, _, obj, graph = quad
        if subject[0] == "_":
            mentions[subject].append(quad)
        if obj[0] == "_" and obj != subject:
            mentions[obj].append(quad)
        if graph[:1] == "_" and graph not in (subject, obj):
            mentions[graph].append(quad)
    return {
        node: ("".join(sorted(_line(quad, node) for quad in quads)), quads)
        for node, quads in mentions.items()
    }


def _line(quad: Quad, node: str) -> str:
    subject, predicate, obj, graph = quad
    subject = "_:a" if subject == node else "_:z" if subject[0] == "_" else subject
    obj = "_:a" if obj == node else "_:z" if obj[0] == "_" else obj
    if not graph:
        return f"{subject} {predicate} {obj} .\n"
    graph = "_:a" if graph == node else "_:z" if graph[0] == "_" else graph
    return f"{subject} {predicate} {obj} {graph} .\n"


class _OverBudget(Exception):
    pass


# Hash N-Degree Quads recursion deeper than this is refused outright (the issuer holds at
# least one more node per level): it is a chain of that many look-alikes, whose labelling
# would cost over MAX_NDEGREE_WORK anyway, and evaluating the bound must not exhaust the
# Python stack.
_MAX_RECURSION: Final = 200


def _bound_ndegree_work(first_degree: dict[str, tuple[str, list[Quad]]]) -> None:
    """Raise LimitExceededError if the N-degree work could exceed MAX_NDEGREE_WORK."""
    sizes = Counter(text for text, _ in first_degree.values())
    alike = {node for node, (text, _) in first_degree.items() if sizes[text] > 1}
    if not alike:
        return

    related: dict[str, set[tuple[tuple[str, str, str], str]]] = {}
    degree: dict[str, int] = {}
    for node in alike:
        links: set[tuple[tuple[str, str, str], str]] = set()
        others = 0
        for subject, predicate, obj, graph in first_degree[node][1]:
            for position, other in (("s", subject), ("o", obj), ("g", graph)):
                if other == node or other[:1] != "_":
                    continue
                others += 1
                if other in alike:
                    # §4.7: the related hash covers position, predicate (not for g) and
                    # the first-degree hash; issued identifiers only make groups smaller.
                    label = predicate if position != "g" else ""
                    links.add(((position, label, first_degree[other][0]), other))
        related[node] = links
        degree[node] = others

    def work(node: str, issued: frozenset[str], budget: int) -> int:
        cost = 1 + degree[node]
        if cost > budget or len(issued) > _MAX_RECURSION:
            raise _OverBudget
        groups: defaultdict[tuple[str, str, str], set[str]] = defaultdict(set)
        for key, other in related[node]:
            if other not in issued:
                groups[key].add(other)
        for members in groups.values():
            if len(members) > 12:  # 13! alone is far over any budget
                raise _OverBudget
            permutations = math.factorial(len(members))
            inner = issued | members
            recursion = 1
            for member in members:
                allowed = (budget - cost) // permutations - recursion
                if allowed < 1:
                    raise _OverBudget
                recursion += work(member, inner, allowed)
            cost += permutations * recursion
            if cost > budget:
                raise _OverBudget
        return cost

    spent = 0
    try:
        for node in sorted(alike):
            spent += work(node, frozenset((node,)), MAX_NDEGREE_WORK - spent)
    except _OverBudget:
        raise LimitExceededError(
            f"{len(alike)} look-alike blank nodes make RDF canonicalization too costly "
            f"(bound over {MAX_NDEGREE_WORK} steps)"
        ) from None


# -- 3, 4. RDFC-1.0 and canonical N-Quads ---------------------------------------------------


def _label_by_first_degree(
    dataset: set[Quad], first_degree: dict[str, tuple[str, list[Quad]]]
) -> str:
    """RDFC-1.0 when every first-degree hash is unique.

    §4.4.3 step 4 computes the hashes (SHA-256, hex); step 5 issues ``c14n0``, ``c14n1``…
    in the code point order of the hashes, and every blank node gets one; step 7 replaces
    the labels. The quads are already in canonical N-Quads form.
    """
    order = sorted(
        (hashlib.sha256(text.encode("utf-8")).hexdigest(), node)
        for node, (text, _) in first_degree.items()
    )
    label = {node: f"_:c14n{index}" for index, (_, node) in enumerate(order)}
    lines = []
    for subject, predicate, obj, graph in dataset:
        subject = label.get(subject, subject)
        obj = label.get(obj, obj)
        if graph:
            lines.append(f"{subject} {predicate} {obj} {label.get(graph, graph)} .\n")
        else:
            lines.append(f"{subject} {predicate} {obj} .\n")
    lines.sort()
    return "".join(lines)


def _canonical_nquads(quads: Iterable[Quad]) -> str:
    """The whole of RDFC-1.0, by pyoxigraph, then canonical N-Quads lines sorted."""
    text = "".join(f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n" for s, p, o, g in quads)
    try:
        # Lenient: IRIs are not checked against RFC 3987 here, as they are not on the
        # other path; the terms are well-formed N-Quads (see _jsonld_fast.iri_term).
        dataset = pyoxigraph.Dataset(
            pyoxigraph.parse(
                text.encode("utf-8"), format=pyoxigraph.RdfFormat.N_QUADS, lenient=True
            )
        )
    except UnicodeEncodeError as e:
        raise MalformedInputError(
            "document holds a lone surrogate, which is not Unicode text"
        ) from e
    except (SyntaxError, ValueError) as e:
        raise MalformedInputError(f"the document's RDF is not valid: {e}") from e
    dataset.canonicalize(pyoxigraph.CanonicalizationAlgorithm.RDFC_1_0)
    return "".join(sorted(f"{quad} .\n" for quad in dataset))
