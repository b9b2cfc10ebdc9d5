"""JSON-LD 1.1 context processing, for the two data-model rules that depend on contexts.

:mod:`credentials.datamodel` hands a document here, with the object that cites its rules
(:class:`Spec`). Its contexts are processed with the *bundled* context documents (never
fetched) to enforce the two rules that depend on them: a context may not redefine a
protected term (VC DM 2.0 §5.2.1), and every ``type`` of every node expands to a URL
(§4.5); an ``id`` mapped to ``@id`` must be one URL (§4.4). This is JSON-LD 1.1 context
processing (API §4.1, §4.2, reduced to what the rules use), and the part of expansion
(API §5.1.2) that decides ``type``, ``id`` and scoped contexts; the proof suites do the
full expansion.

Also here, shared with the data-model rules: the URL grammar (:func:`is_url`) and the
small helpers that walk values and write reasons.

Raises :class:`~credentials.errors.DataModelError` (through :meth:`Spec.fail`) for a
broken rule, :class:`~credentials.errors.ContextError` when a context URL is not bundled,
and :class:`~credentials.errors.LimitExceededError` for nesting deeper than any credential.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, NoReturn, Protocol
from urllib.parse import urljoin

from .errors import LimitExceededError
from .loader import bundled_context

__all__ = ["Spec", "as_list", "check_json_ld", "is_url", "join_path", "show"]

# An absolute URL (any scheme: https:, did:, urn:, data:): RFC 3986 scheme, then no white
# space, no control character and none of the characters RFC 3987 excludes from IRIs.
_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f-\x9f]+")
_BAD_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_MAX_DEPTH: Final = 64
_GEN_DELIMS: Final = frozenset(":/?#[]@")
_KEYWORD_FORM: Final = re.compile(r"@[A-Za-z]+")
_NODE_KEYWORDS: Final = frozenset({"@graph", "@included", "@list", "@set"})
_KEYWORDS: Final = frozenset(
    {
        "@base", "@container", "@context", "@direction", "@graph", "@id", "@import",
        "@included", "@index", "@json", "@language", "@list", "@nest", "@none", "@prefix",
        "@propagate", "@protected", "@reverse", "@set", "@type", "@value", "@version",
        "@vocab",
    }
)  # fmt: skip


class Spec(Protocol):
    """Where a broken rule is reported: the data model's version, citing its sections."""

    def fail(self, rule: str, reason: str) -> NoReturn:
        """Raise DataModelError for ``rule`` (a key of the data model's section table)."""
        ...


def check_json_ld(spec: Spec, document: Mapping[str, Any], *, skip: frozenset[str]) -> None:
    """Check the context and type rules of ``document`` and of every node inside it.

    ``skip`` names top-level members left out of the walk (a presentation's embedded
    credentials, which carry their own contexts and are checked one by one). Raises
    through ``spec.fail``, ContextError, LimitExceededError.
    """
    _walk(spec, document, _EMPTY, False, None, "", 0, skip)


# ---------------------------------------------------------------------- context processing


@dataclass(frozen=True)
class _Term:
    """A term definition, reduced to what the type and protection rules need."""

    iri: str | None  # None: the term is mapped to null (JSON-LD drops it)
    protected: bool
    prefix: bool  # may serve as the prefix of a compact IRI
    scoped: bool
    scope: Any  # the term's own @context (null resets), when scoped
    literal: bool  # "@type": "@json": the value is a JSON literal, not nodes
    signature: str  # everything but @protected, to compare redefinitions


@dataclass(frozen=True)
class _Context:
    terms: Mapping[str, _Term]
    vocab: str | None
    base: str | None
    previous: _Context | None  # the context to revert to in nested nodes (type scopes)


_EMPTY: Final = _Context(terms={}, vocab=None, base=None, previous=None)


@functools.cache
def _bundled(url: str) -> Any:
    """The ``@context`` of a bundled document, parsed once and shared: it is only read,
    and its stable identity lets :func:`_process` reuse what it derived from it."""
    return bundled_context(url).get("@context")


# Processed contexts, keyed by the identity of the active context and of the local one
# (or the URL). Each entry holds both objects, so neither can be collected and have its
# id reused while the entry exists; a hit is confirmed by identity, never by id alone.
_MEMO: dict[tuple[int, object, bool, bool, bool], tuple[_Context, Any, _Context]] = {}
_MEMO_SIZE: Final = 512


def _process(
    spec: Spec,
    active: _Context,
    local: Any,
    *,
    override_protected: bool = False,
    propagate: bool = True,
    remote: tuple[str, ...] = (),
    validate: bool = True,
) -> _Context:
    """:func:`_process_uncached`, memoized: the bundled contexts and the scoped contexts
    inside them are processed once per active context, not once per document."""
    if remote:  # inside a remote context's own processing: rare, and cycle-checked
        return _process_uncached(
            spec,
            active,
            local,
            override_protected=override_protected,
            propagate=propagate,
            remote=remote,
            validate=validate,
        )
    local_key: object = local if isinstance(local, str) else id(local)
    key = (id(active), local_key, override_protected, propagate, validate)
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is active and (hit[1] is local or hit[1] == local_key):
        return hit[2]
    result = _process_uncached(
        spec,
        active,
        local,
        override_protected=override_protected,
        propagate=propagate,
        validate=validate,
    )
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.clear()
    _MEMO[key] = (active, local, result)
    return result


def _process_remote(spec: Spec, active: _Context, url: str, remote: tuple[str, ...]) -> _Context:
    """A bundled context URL applied to ``active``, memoized like :func:`_process`.

    The result does not depend on ``remote`` (the chain is only there to refuse cycles,
    checked by the caller before we get here), so the key leaves it out.
    """
    key = (id(active), url, False, True, False)
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is active and hit[1] == url:
        return hit[2]
    loaded = _bundled(url)  # ContextError when not bundled
    result = _process_uncached(spec, active, loaded, remote=(*remote, url), validate=False)
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.clear()
    _MEMO[key] = (active, url, result)
    return result


def _process_uncached(
    spec: Spec,
    active: _Context,
    local: Any,
    *,
    override_protected: bool = False,
    propagate: bool = True,
    remote: tuple[str, ...] = (),
    validate: bool = True,
) -> _Context:
    """JSON-LD 1.1 Context Processing (§4.1 of the API), for the parts the rules use.

    ``validate``: process the scoped contexts of new term definitions now, as JSON-LD
    does, so that a broken one fails even if unused. Off for bundled contexts (published
    and tested) and for scoped contexts applied during the walk (checked when defined).
    """
    if isinstance(local, Mapping) and isinstance(local.get("@propagate"), bool):
        propagate = local["@propagate"]  # checked to be a boolean by _Definer
    result = active
    for item in local if isinstance(local, list) else [local]:
        if item is None:
            if not override_protected and any(t.protected for t in result.terms.values()):
                spec.fail("semantic", "a null @context would erase protected terms")
            result = replace(_EMPTY, previous=result.previous)
        elif isinstance(item, str):
            if not is_url(item):
                spec.fail("contexts", f"context {show(item)} is not a URL")
            if item in remote:
                spec.fail("contexts", f"context {item} includes itself")
            result = _process_remote(spec, result, item, remote)
        elif isinstance(item, Mapping):
            result = _Definer(spec, result, item, override_protected, validate).run()
        else:
            spec.fail("contexts", f"a context must be a URL or an object, not {show(item)}")
    if not propagate and result.previous is None:
        result = replace(result, previous=active)
    return result


class _Definer:
    """Creates the term definitions of one local context object, in dependency order."""

    def __init__(
        self,
        spec: Spec,
        active: _Context,
        local: Mapping[str, Any],
        override: bool,
        validate: bool,
    ) -> None:
        self.spec = spec
        self.local = dict(local)
        self.override = override
        self.validate = validate
        self.terms: dict[str, _Term] = dict(active.terms)
        self.vocab = active.vocab
        self.base = active.base
        self.previous = active.previous
        self.defined: dict[str, bool] = {}

    def run(self) -> _Context:
        if "@import" in self.local:
            url = self.local.pop("@import")
            imported = _bundled(url) if is_url(url) else None
            if not isinstance(imported, Mapping):
                self.spec.fail("contexts", f"@import {show(url)} is not a context object")
            self.local = {**imported, **self.local}
        if "@base" in self.local:
            base = self.local["@base"]
            if base is not None and not isinstance(base, str):
                self.spec.fail("contexts", "@base must be a string or null")
            self.base = None if base is None else urljoin(self.base or "", base)
        if "@vocab" in self.local:
            vocab = self.local["@vocab"]
            if vocab is not None:
                # Expanded against the context so far: local terms are not defined yet.
                if isinstance(vocab, str):
                    vocab = _expand_iri(self.terms, self.vocab, self.base, vocab)
                if not is_url(vocab):
                    self.spec.fail("contexts", f"@vocab {show(self.local['@vocab'])} is not a URL")
            self.vocab = vocab
        protected = self.local.get("@protected", False)
        if not isinstance(protected, bool):
            self.spec.fail("contexts", "@protected must be true or false")
        if not isinstance(self.local.get("@propagate", True), bool):
            self.spec.fail("contexts", "@propagate must be true or false")
        for term in self.local:
            if not term.startswith("@"):  # keywords and keyword-like keys are not terms
                self.define(term, protected)
        return _Context(self.terms, self.vocab, self.base, self.previous)

    def define(self, term: str, protected_default: bool) -> None:
        # JSON-LD 1.1 API §4.2 Create Term Definition, reduced.
        state = self.defined.get(term)
        if state:
            return
        if state is False:
            self.spec.fail("contexts", f"the context defines {term!r} through itself")
        self.defined[term] = False
        value = self.local[term]
        if value is None or isinstance(value, str):
            raw: dict[str, Any] = {"@id": value}
        elif isinstance(value, Mapping):
            raw = dict(value)
        else:
            self.spec.fail("contexts", f"the definition of {term!r} is not a string or object")
        protected = raw.get("@protected", protected_default)
        # JSON-LD 1.1 §4.2 step 14: an @id equal to the term itself counts as no @id.
        explicit = ("@id" in raw and raw["@id"] != term) or "@reverse" in raw
        target = raw.get("@id", raw.get("@reverse")) if explicit else term
        iri: str | None = None
        if target is not None:
            if not isinstance(target, str):
                self.spec.fail("contexts", f"the context maps {term!r} to {show(target)}")
            if _KEYWORD_FORM.fullmatch(target) and target not in _KEYWORDS:
                self.defined[term] = True  # JSON-LD ignores such a term (step 14.2.2)
                return
            if explicit or ":" in term[1:] or "/" in term:
                iri = self.expand(target, itself=None if explicit else term)
            elif self.vocab is not None:
                iri = self.vocab + term
            if iri == "@context" or not (
                iri in _KEYWORDS or is_url(iri) or str(iri).startswith("_:")
            ):
                self.spec.fail(
                    "contexts",
                    f"the context maps {term!r} to {show(target)}, which is not a URL "
                    "(JSON-LD invalid IRI mapping)",
                )
        self.check_options(term, raw, iri)
        definition = _Term(
            iri=iri,
            protected=protected is True,
            prefix=(
                ":" not in term
                and "/" not in term
                and iri is not None
                and (
                    raw.get("@prefix") is True
                    or (isinstance(value, str) and iri[-1] in _GEN_DELIMS)
                )
            ),
            scoped="@context" in raw,
            scope=raw.get("@context"),
            literal=raw.get("@type") == "@json",
            signature=json.dumps(
                [iri, {k: v for k, v in raw.items() if k not in ("@id", "@protected")}],
                sort_keys=True,
            ),
        )
        previous = self.terms.get(term)
        if previous is not None and previous.protected and not self.override:
            # VC DM 2.0 §5.2.1 and JSON-LD 1.1 §4.1.11: a protected term keeps its meaning.
            if previous.signature != definition.signature:
                self.spec.fail("semantic", f"a context redefines the protected term {term!r}")
            definition = previous
        self.terms[term] = definition
        self.defined[term] = True

    def check_options(self, term: str, raw: Mapping[str, Any], iri: str | None) -> None:
        # JSON-LD 1.1 API §4.2 steps 12, 20, 21: type mapping, prefix flag, scoped context.
        kind = raw.get("@type")
        if "@type" in raw and kind not in ("@id", "@json", "@none", "@vocab"):
            mapped = self.expand(kind) if isinstance(kind, str) else None
            if not is_url(mapped) or str(mapped).startswith("_:"):
                self.spec.fail("contexts", f"the @type of {term!r} is not a URL (JSON-LD)")
        prefix = raw.get("@prefix", False)
        if not isinstance(prefix, bool) or (prefix and (":" in term or "/" in term)):
            self.spec.fail("contexts", f"{term!r} cannot be a prefix (JSON-LD)")
        if prefix and iri in _KEYWORDS:
            self.spec.fail("contexts", f"{term!r} maps to a keyword and cannot be a prefix")
        if "@context" in raw and self.validate:
            here = _Context(self.terms, self.vocab, self.base, None)
            _process(self.spec, here, raw["@context"], override_protected=True)

    def expand(self, value: str, *, itself: str | None = None) -> str | None:
        """Expand ``value`` while defining, first, the local terms it depends on.

        ``itself`` is a term being defined by its own name (a compact IRI or a URL): its
        previous definition must not be looked up, and it must not wait for itself.
        """

        def ensure(term: str) -> None:
            if term in self.local and not self.defined.get(term) and not term.startswith("@"):
                self.define(term, self.local.get("@protected", False) is True)

        return _expand_iri(self.terms, self.vocab, self.base, value, ensure, itself=itself)


def _expand_iri(
    terms: Mapping[str, _Term],
    vocab: str | None,
    base: str | None,
    value: str,
    ensure: Callable[[str], None] | None = None,
    *,
    itself: str | None = None,
) -> str | None:
    """JSON-LD 1.1 IRI Expansion with vocab true; ``ensure`` defines pending local terms."""
    if value.startswith("@"):
        return value if value in _KEYWORDS else None
    if value != itself:
        if ensure is not None:
            ensure(value)
        if value in terms:
            return terms[value].iri
    if ":" in value[1:]:
        prefix, suffix = value.split(":", 1)
        if prefix == "_" or suffix.startswith("//"):
            return value
        if ensure is not None:
            ensure(prefix)
        definition = terms.get(prefix)
        if definition is not None and definition.iri is not None and definition.prefix:
            return definition.iri + suffix
        if _SCHEME.match(value):
            return value
    if vocab is not None:
        return vocab + value
    if base is not None:
        return urljoin(base, value)
    return value


# ------------------------------------------------------------------------------- expansion


def _walk(
    spec: Spec,
    node: Mapping[str, Any],
    active: _Context,
    scoped: bool,
    scope: Any,
    path: str,
    depth: int,
    skip: frozenset[str] = frozenset(),
) -> None:
    """Visit a node as JSON-LD 1.1 Expansion would, checking its types and ids."""
    if depth > _MAX_DEPTH:
        raise LimitExceededError(f"{path or 'the document'} is nested over {_MAX_DEPTH} deep")
    if "@value" in node:
        return  # a value object is a literal
    # JSON-LD 1.1 API §5.1.2 steps 7-9: revert a type-scoped context that does not
    # propagate, then apply the property-scoped context, then the embedded one.
    context = active.previous or active
    if scoped:
        context = _process(spec, context, scope, override_protected=True, validate=False)
    if "@context" in node:
        context = _process(spec, context, node["@context"])
    # Step 11: types expand in the context before their own scoped contexts apply.
    before_types = context
    type_keys = [key for key in node if _maps_to(before_types, key, "@type")]
    where = path or "the document"
    types: set[str] = set()
    for value in (value for key in type_keys for value in as_list(node[key])):
        if not isinstance(value, str):
            spec.fail("types", f"a type of {where} is not a string: {show(value)}")
        types.add(value)
    for value in sorted(types):
        iri = _expand_iri(before_types.terms, before_types.vocab, before_types.base, value)
        # VC DM 2.0 §4.5: every type is a term that maps to a URL, or a URL.
        if not is_url(iri) or str(iri).startswith("_:"):
            spec.fail("types", f"type {value!r} of {where} does not expand to a URL")
        definition = before_types.terms.get(value)
        if definition is not None and definition.scoped:
            context = _process(spec, context, definition.scope, propagate=False, validate=False)
    for key, value in node.items():
        if key == "@context" or key in type_keys or (depth == 0 and key in skip):
            continue
        child_path = join_path(path, key)
        if _maps_to(context, key, "@id"):
            if not is_url(value):
                spec.fail("identifiers", f"{child_path} {show(value)} is not a single URL")
            continue
        definition = context.terms.get(key)
        iri = (
            definition.iri
            if definition is not None
            else _expand_iri(context.terms, context.vocab, context.base, key)
        )
        if iri is None or (definition is not None and definition.literal):
            continue  # dropped by expansion, or a JSON literal
        if iri.startswith("@"):
            if iri not in _NODE_KEYWORDS:
                continue
        elif not is_url(iri):
            # Expansion would drop it, so no RDF-canonicalized proof would cover it, yet a
            # reader would see it (data loss, VC Data Integrity 1.0 §4.x). Refused, except
            # inside a proof: a proof's terms are the suite's business (ours are defined by
            # the suite contexts; an unknown suite fails the proof check anyway).
            if child_path == "proof" or child_path.startswith(("proof.", "proof[")):
                continue
            spec.fail(
                "semantic",
                f"{child_path}: term {key!r} is not defined by the document's contexts "
                "(JSON-LD would drop it, so no proof covers it)",
            )
        child_scoped = definition is not None and definition.scoped
        child_scope = definition.scope if definition is not None else None
        for child in _nodes(value):
            _walk(spec, child, context, child_scoped, child_scope, child_path, depth + 1)


def _maps_to(context: _Context, key: str, keyword: str) -> bool:
    definition = context.terms.get(key)
    return key == keyword or (definition is not None and definition.iri == keyword)


def _nodes(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield from _nodes(item)
    elif isinstance(value, Mapping):
        if "@list" in value or "@set" in value:
            yield from _nodes(value.get("@list", value.get("@set")))
        else:
            yield value


# --------------------------------------------------------------------------------- helpers


def is_url(value: object) -> bool:
    """Whether ``value`` is an absolute URL (any scheme) with well-formed percent escapes."""
    return (
        isinstance(value, str)
        and _URL.fullmatch(value) is not None
        and _BAD_PERCENT.search(value) is None
    )


def as_list(value: Any) -> list[Any]:
    """A JSON-LD value as a list: ``[]`` for None, the items of an array, else ``[value]``."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def join_path(path: str, key: str) -> str:
    """The dotted path of member ``key`` below ``path`` (the document itself is ``""``)."""
    return f"{path}.{key}" if path else key


def show(value: object) -> str:
    """``repr(value)``, shortened to 60 characters, for a reason."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
