"""JSON-LD → RDF quads, fast, for documents whose ``@context`` lists only bundled URLs.

pyld needs ~2.6 ms to turn a credential into RDF, nearly all of it processing the same
contexts again on every call. Here each distinct list of bundled context URLs is processed
once — by pyld itself, so that every term definition is exactly pyld's — and the active
context is cached, together with every type-scoped and property-scoped context derived
from it. The document is then walked once, doing in one pass what JSON-LD 1.1 API does in
three: expansion (§13.4), node map generation (§14.2) and deserialization to RDF (§16.1
with §16.3 object to RDF and §16.4 list conversion).

pyld 3.3 is the reference, quirks included: where pyld departs from the JSON-LD
specification (it reverts a type-scoped context only for objects of at most two entries,
applies a property-scoped context twice, ignores a type-scoped ``null`` context), this
walker departs the same way, because the canonical form must be byte-for-byte what the
pyld path gives.

Implemented: the ``@id`` and ``@type`` keywords and their aliases; term definitions with
``@id`` (terms, compact IRIs, prefixes, ``@vocab``), ``@type`` coercion to ``@id``,
``@vocab``, ``@json`` or a datatype IRI, ``@container`` ``@set``, ``@list`` and
``@graph``, ``@protected``, type-scoped (not propagated) and property-scoped contexts.

Everything else raises :class:`Unsupported`, and the caller must then use pyld: a context
entry that is not a URL string; ``@context`` below the top of the document; any other
keyword in the document (``@value``, ``@list``, ``@set``, ``@graph``, ``@reverse``,
``@nest``, ``@included``, ``@index``, ``@language``…); terms defined with ``@reverse``,
``@language``, ``@direction``, ``@nest``, ``@index``, ``@none``, ``xsd:double`` or an
index, id, type or language container; a default language or direction; an IRI that is
relative (pyld resolves it against a placeholder base) or a blank node label; a number
that is not finite; a list of lists. A context URL that is not bundled raises
:class:`~credentials.errors.ContextError`, as the loader does.

Contexts are processed through pyld's private ``_process_context`` (the public
``process_context`` cannot ask for a type-scoped, non-propagated context); pyld is pinned
below 4 and the differential tests would catch a change.

Output: a list of quads, each a tuple ``(subject, predicate, object, graph)`` of terms in
canonical N-Quads form (``<iri>``, ``_:b3``, ``"text"^^<datatype>``, and ``""`` for the
default graph), blank nodes labelled in walk order. A mismatch with pyld is a signature
forgery bug, so ``tests/test_rdfc.py`` compares the two on the published examples, on
generated credentials and on random mixtures of every bundled term.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from itertools import count
from typing import Any, Final

from pyld import ContextResolver, jsonld

from .errors import LimitExceededError
from .limits import MAX_DEPTH
from .loader import BUNDLED_CONTEXTS, bundled_context, pyld_document_loader

__all__ = ["Quad", "Unsupported", "iri_term", "literal_term", "to_quads"]

Quad = tuple[str, str, str, str]

RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD: Final = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING: Final = XSD + "string"
XSD_BOOLEAN: Final = XSD + "boolean"
XSD_INTEGER: Final = XSD + "integer"
XSD_DOUBLE: Final = XSD + "double"
RDF_JSON: Final = RDF + "JSON"
RDF_LANGSTRING: Final = RDF + "langString"

_RDF_TYPE: Final = f"<{RDF}type>"
_RDF_FIRST: Final = f"<{RDF}first>"
_RDF_REST: Final = f"<{RDF}rest>"
_RDF_NIL: Final = f"<{RDF}nil>"

# JSON-LD 1.1 keywords (and the framing ones), as pyld recognises them.
_KEYWORDS: Final = frozenset(
    {
        "@base", "@container", "@context", "@default", "@direction", "@embed", "@explicit",
        "@first", "@graph", "@id", "@import", "@included", "@index", "@json", "@language",
        "@list", "@nest", "@none", "@omitDefault", "@propagate", "@protected", "@preserve",
        "@requireAll", "@reverse", "@set", "@type", "@value", "@version", "@vocab",
    }
)  # fmt: skip
# Keyword-shaped strings that are not keywords are ignored (JSON-LD 1.1 §9.1).
_KEYWORD_FORM: Final = re.compile(r"^@[a-zA-Z]+$")
# pyld's test for an absolute IRI; `$` also matches before a final newline, as in pyld.
_PYLD_ABSOLUTE: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+,\-.]*|_):[^\s]*$")
# What may appear between < and > in N-Quads (RDF 1.1 N-Quads IRIREF, without escapes).
_IRIREF: Final = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*:[^\x00-\x20<>\"{}|^`\\]*")
_LANGUAGE_TAG: Final = re.compile(r"[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")
# Escapes of canonical N-Quads string literals (N-Quads 1.2 §4.4, used by RDFC-1.0):
# \b \t \n \f \r \" \\, and \uXXXX (upper-case hex) for the other control characters.
_ESCAPES: Final = {c: f"\\u{c:04X}" for c in (*range(0x20), 0x7F)} | {
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x5C: "\\\\",
}

# Term definition entries pyld may record, and those this walker can honour.
_PYLD_MAPPING_KEYS: Final = frozenset(
    {"reverse", "protected", "_prefix", "_term_has_colon", "@id", "@type", "@container",
     "@context", "@language", "@direction", "@nest", "@index"}
)  # fmt: skip
_CONTAINERS: Final = frozenset({"@set", "@list", "@graph"})
_CONTEXT_ENTRIES: Final = frozenset(
    {"mappings", "@vocab", "@base", "previousContext", "processingMode", "@version", "_uuid"}
)
# How many derived (scoped) contexts are kept: enough for every scoped context of the
# bundled documents, bounded because which ones a document reaches is its author's choice.
_DERIVED_CACHE_SIZE: Final = 1024
# Vocabulary expansions memoised per context, bounded for the same reason.
_KEY_CACHE_SIZE: Final = 4096


class Unsupported(Exception):
    """The document needs a JSON-LD feature this converter leaves to pyld."""


def iri_term(iri: str) -> str:
    """``<iri>`` for an absolute IRI that N-Quads can carry; Unsupported otherwise."""
    if _IRIREF.fullmatch(iri) is None:
        raise Unsupported(f"IRI {iri[:80]!r} cannot be written in N-Quads")
    return f"<{iri}>"


def literal_term(value: str, datatype: str, language: str | None = None) -> str:
    """A literal in canonical N-Quads form (``xsd:string`` implicit, tag in lower case)."""
    text = '"' + value.translate(_ESCAPES) + '"'
    if language is not None:
        if _LANGUAGE_TAG.fullmatch(language) is None:
            raise Unsupported(f"language tag {language[:40]!r} is not well formed")
        return f"{text}@{language.lower()}"
    if datatype == XSD_STRING:
        return text
    return f"{text}^^{iri_term(datatype)}"


def to_quads(document: Mapping[str, Any]) -> list[Quad]:
    """The RDF dataset of ``document``: pyld 3.3 ``to_rdf``'s, up to blank node labels.

    Raises Unsupported when the document needs pyld, ContextError when it names a context
    that is not bundled, LimitExceededError when it is nested deeper than
    :data:`~credentials.limits.MAX_DEPTH`.
    """
    walker = _Walker()
    walker.document(document)
    return walker.quads


# -- active contexts -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Term:
    """One term definition, read from pyld's processed context."""

    iri: str | None
    coerce: str | None
    container: frozenset[str]
    prefix: bool
    has_scope: bool
    scope: Any
    scope_key: str
    unsupported: str | None
    # What follows a coerced string literal: "" for xsd:string, "^^<datatype>" otherwise,
    # None when the term coerces to @id, @vocab or @json, or does not coerce.
    suffix: str | None


# How an object key reads in an active context.
_DROPPED, _ID, _TYPE, _PROPERTY = range(4)
_NO_CONTAINER: Final[frozenset[str]] = frozenset()


class _Context:
    """An active context: pyld's, with its term definitions read once into ``_Term``s."""

    __slots__ = ("_entries", "_keys", "_types", "previous", "raw", "serial", "terms", "vocab")

    _serials = count()

    def __init__(self, raw: Mapping[str, Any], previous: _Context | None) -> None:
        for entry in raw:
            if entry not in _CONTEXT_ENTRIES:
                # @language, @direction, or something newer than this walker.
                raise Unsupported(f"active context entry {entry!r}")
        self.raw = raw
        self.previous = previous
        self.serial = next(self._serials)
        vocab = raw.get("@vocab")
        self.vocab: str | None = vocab if isinstance(vocab, str) else None
        self.terms: dict[str, _Term] = {
            term: _read_term(mapping) for term, mapping in raw["mappings"].items()
        }
        # Memos: a context never changes once built. Bounded, as keys are the author's.
        self._keys: dict[str, str | None] = {}
        self._entries: dict[str, tuple[int, str]] = {}
        self._types: dict[str, str] = {}

    def vocab_iri(self, value: str) -> str | None:
        """IRI expansion of a key or type (``vocab`` true)."""
        try:
            return self._keys[value]
        except KeyError:
            pass
        expanded = _expand_iri(self, value, vocab=True)
        if len(self._keys) < _KEY_CACHE_SIZE:
            self._keys[value] = expanded
        return expanded

    def entry(self, key: str) -> tuple[int, str]:
        """What an object key is here: dropped, @id, @type, or a property and its term."""
        try:
            return self._entries[key]
        except KeyError:
            pass
        expanded = self.vocab_iri(key)
        if expanded is None:
            found = (_DROPPED, "")
        elif expanded == "@id":
            found = (_ID, "")
        elif expanded == "@type":
            found = (_TYPE, "")
        elif expanded in _KEYWORDS:
            raise Unsupported(f"keyword {expanded}")
        elif _PYLD_ABSOLUTE.match(expanded):
            found = (_PROPERTY, iri_term(expanded))
        else:
            found = (_DROPPED, "")  # pyld drops an undefined term when there is no @vocab
        if len(self._entries) < _KEY_CACHE_SIZE:
            self._entries[key] = found
        return found

    def type_term(self, name: str) -> str:
        """``<iri>`` for a value of @type (expanded with ``vocab`` true)."""
        try:
            return self._types[name]
        except KeyError:
            pass
        found = _node_iri(self.vocab_iri(name), "type")
        if len(self._types) < _KEY_CACHE_SIZE:
            self._types[name] = found
        return found


def _read_term(mapping: Mapping[str, Any]) -> _Term:
    unsupported = None
    extra = set(mapping) - _PYLD_MAPPING_KEYS
    container = frozenset(mapping.get("@container", ()))
    coerce = mapping.get("@type")
    if extra:
        unsupported = f"term definition entries {sorted(extra)}"
    elif mapping.get("reverse"):
        unsupported = "@reverse"
    elif any(key in mapping for key in ("@language", "@direction", "@nest", "@index")):
        unsupported = "language, direction, nest or index in a term definition"
    elif not container <= _CONTAINERS:
        unsupported = f"container {sorted(container)}"
    elif coerce in ("@none", XSD_DOUBLE):
        # pyld turns strings typed xsd:double into numbers; @none has its own rules.
        unsupported = f"type coercion to {coerce}"
    elif coerce == "@json" and container - {"@set"}:
        unsupported = "@json in a container"
    iri = mapping.get("@id")
    has_scope = "@context" in mapping
    scope = mapping.get("@context")
    scope_key = ""
    if has_scope:
        try:
            scope_key = json.dumps(scope, sort_keys=True)
        except (TypeError, ValueError):
            unsupported = unsupported or "a scoped context that is not plain JSON"
    suffix = None
    if isinstance(coerce, str) and coerce not in _KEYWORDS:
        try:
            suffix = "" if coerce == XSD_STRING else "^^" + iri_term(coerce)
        except Unsupported as e:
            unsupported = unsupported or str(e)
    return _Term(
        iri=iri if isinstance(iri, str) else None,
        coerce=coerce if isinstance(coerce, str) else None,
        container=container,
        prefix=bool(mapping.get("_prefix")),
        has_scope=has_scope,
        scope=scope,
        scope_key=scope_key,
        unsupported=unsupported,
        suffix=suffix,
    )


def _pyld_options() -> dict[str, Any]:
    # A fresh resolver: pyld's shared resolver cache is process-wide, keyed by URL alone,
    # and would be shared with any other loader the process uses.
    return {
        "documentLoader": pyld_document_loader,
        "contextResolver": ContextResolver({}, pyld_document_loader),
        "base": "",
        "processingMode": "json-ld-1.1",
    }


_PROCESSOR: Final = jsonld.JsonLdProcessor()


@lru_cache(maxsize=32)
def _top_context(urls: tuple[str, ...]) -> _Context:
    options = _pyld_options()
    initial = _PROCESSOR._get_initial_context(options)
    try:
        raw = _PROCESSOR._process_context(initial, list(urls), options)
    except jsonld.JsonLdError as e:
        raise Unsupported(f"pyld refuses the contexts: {e}") from e
    return _context_from_raw(raw, ())


def _context_from_raw(raw: Mapping[str, Any], known: tuple[_Context, ...]) -> _Context:
    previous_raw = raw.get("previousContext")
    if previous_raw is None:
        return _Context(raw, None)
    for candidate in known:
        if candidate.raw is previous_raw:
            return _Context(raw, candidate)
    return _Context(raw, _context_from_raw(previous_raw, ()))


# Insertion-ordered; the oldest is dropped when full (only a hostile stream of documents
# reaching ever new combinations of scoped contexts fills it).
_derived: dict[tuple[int, bool, str], _Context] = {}


def _derive(parent: _Context, term: _Term, *, type_scoped: bool) -> _Context:
    """The context after a term's scoped context (JSON-LD 1.1 §4.1.8), cached."""
    key = (parent.serial, type_scoped, term.scope_key)
    found = _derived.get(key)
    if found is not None:
        return found
    options = _pyld_options()
    try:
        if type_scoped:
            # Type-scoped contexts do not propagate to nested nodes (pyld _expand).
            raw = _PROCESSOR._process_context(parent.raw, term.scope, options, propagate=False)
        else:
            raw = _PROCESSOR._process_context(
                parent.raw, term.scope, options, override_protected=True
            )
    except jsonld.JsonLdError as e:
        raise Unsupported(f"pyld refuses a scoped context: {e}") from e
    known = (parent,) if parent.previous is None else (parent, parent.previous)
    derived = _context_from_raw(raw, known)
    if len(_derived) >= _DERIVED_CACHE_SIZE:
        with suppress(StopIteration, KeyError, RuntimeError):  # another thread may be at it
            del _derived[next(iter(_derived))]
    _derived[key] = derived
    return derived


def _expand_iri(ctx: _Context, value: str, *, vocab: bool) -> str | None:
    """JSON-LD 1.1 IRI expansion (§5.2.2) as pyld does it, without base resolution.

    Returns None for a term mapped to null and for a keyword-shaped non-keyword; a value
    that would need the base IRI comes back unchanged (callers test it is absolute).
    """
    if value in _KEYWORDS:
        return value
    if _KEYWORD_FORM.match(value):
        return None
    if vocab and value in ctx.terms:
        return ctx.terms[value].iri
    prefix, colon, suffix = value.partition(":")
    if colon and prefix:
        if prefix == "_" or suffix.startswith("//"):
            return value
        term = ctx.terms.get(prefix)
        if term is not None and term.prefix and term.iri is not None:
            return term.iri + suffix
        if _PYLD_ABSOLUTE.match(value):
            return value
    if vocab and ctx.vocab is not None:
        return ctx.vocab + value
    return value


def _node_iri(iri: str | None, what: str) -> str:
    """``<iri>`` for a node or type reference, which pyld would resolve if relative."""
    if iri is None or iri.startswith("_:") or not _PYLD_ABSOLUTE.match(iri):
        raise Unsupported(f"{what} {iri!r} is a relative IRI or a blank node label")
    return iri_term(iri)


def _context_urls(value: Any) -> tuple[str, ...]:
    items = value if type(value) is list else [value]
    if not items or any(type(item) is not str for item in items):
        raise Unsupported("@context holds something other than URL strings")
    urls = tuple(items)
    if not set(urls) <= BUNDLED_CONTEXTS:
        for url in urls:
            bundled_context(url)  # raises ContextError
    return urls


# -- values ---------------------------------------------------------------------------------


def _double(value: float) -> str:
    """The xsd:double form pyld writes: 16 significant digits, e.g. ``1.5E0`` (§16.3)."""
    mantissa, _, exponent = f"{value:.15E}".partition("E")
    mantissa = mantissa.rstrip("0")
    if mantissa.endswith("."):
        mantissa += "0"
    return f"{mantissa}E{int(exponent)}"


def _native(value: bool | int | float, datatype: str | None) -> str:
    """A JSON boolean or number as an RDF literal (JSON-LD 1.1 §16.3 steps 9-11, as pyld)."""
    if type(value) is bool:
        return literal_term("true" if value else "false", datatype or XSD_BOOLEAN)
    if type(value) is float:
        if not math.isfinite(value):
            raise Unsupported("a number that is not finite")
        if not value.is_integer():
            return literal_term(_double(value), datatype or XSD_DOUBLE)
    if abs(value) >= 1e21:
        try:
            as_double = float(value)
        except OverflowError as e:  # an integer beyond any double; pyld fails on it
            raise Unsupported("a number too large for a double") from e
        return literal_term(_double(as_double), datatype or XSD_DOUBLE)
    return literal_term(str(int(value)), datatype or XSD_INTEGER)


def _json_literal(value: Any) -> str:
    # rdf:JSON lexical form is the RFC 8785 form (JSON-LD 1.1 §16.3 step 8); pyld's own
    # canonicalizer is used so that both paths agree on every number.
    try:
        text: str = jsonld.canonicalize(value).decode("utf-8")
    except Exception as e:
        raise Unsupported(f"JSON literal: {e}") from e
    return literal_term(text, RDF_JSON)


def _flatten(value: list[Any], depth: int, into: list[Any]) -> list[Any]:
    """Nested arrays flattened and nulls dropped, as expansion does (§13.4 step 5)."""
    if depth > MAX_DEPTH:
        raise LimitExceededError(f"document is nested deeper than {MAX_DEPTH} levels")
    for item in value:
        if type(item) is list:
            _flatten(item, depth + 1, into)
        elif item is not None:
            into.append(item)
    return into


# -- the walk -------------------------------------------------------------------------------


class _Walker:
    """One document's expansion, flattening and RDF deserialization, in a single walk."""

    __slots__ = ("_labels", "quads")

    def __init__(self) -> None:
        self.quads: list[Quad] = []
        self._labels = count()

    def _blank(self) -> str:
        return f"_:b{next(self._labels)}"

    def document(self, document: Mapping[str, Any]) -> None:
        if "@context" not in document:
            raise Unsupported("no @context")
        ctx = _top_context(_context_urls(document["@context"]))
        # JSON-LD 1.1 §13.4: the top-level object is a node object in the default graph;
        # a node with nothing but an @id yields no quads, as pyld drops it.
        self._node(ctx, document, "", 0)

    def _object(
        self, term_ctx: _Context, key: str, element: dict[str, Any], graph: str, depth: int
    ) -> str:
        """A JSON object that is the value of ``key``; returns its node term.

        pyld ``_expand`` steps before the object's own entries: revert a type-scoped
        context unless the object is a node reference, then apply the key's scoped context.
        """
        if depth > MAX_DEPTH:
            raise LimitExceededError(f"document is nested deeper than {MAX_DEPTH} levels")
        if "@context" in element:
            raise Unsupported("@context inside the document")
        active = term_ctx
        if term_ctx.previous is not None:
            revert = True
            if len(element) <= 2:
                for entry in sorted(element):
                    expanded = term_ctx.vocab_iri(entry)
                    if expanded == "@value":
                        raise Unsupported("value object")
                    if expanded == "@id" and len(element) == 1:
                        revert = False
                        break
            if revert:
                active = term_ctx.previous
        definition = term_ctx.terms.get(key)
        if definition is not None and definition.has_scope:
            active = _derive(active, definition, type_scoped=False)
        return self._node(active, element, graph, depth)

    def _node(self, ctx: _Context, element: Mapping[str, Any], graph: str, depth: int) -> str:
        """A node object's own entries (pyld ``_prepare_nested_context``, ``_expand_object``)."""
        type_key = None
        for key in element:
            if type(key) is not str:
                raise Unsupported("an object key that is not a string")
            if key != "@context" and ctx.entry(key)[0] == _TYPE:
                if type_key is not None:
                    raise Unsupported("several entries alias @type")
                type_key = key
        types: list[str] = []
        active = ctx
        if type_key is not None:
            value = element[type_key]
            types = [value] if type(value) is str else value
            if type(types) is not list or any(type(t) is not str for t in types):
                raise Unsupported("@type that is not a string or an array of strings")
            # Type-scoped contexts, in lexicographic order of the types (§13.4 step 11),
            # each looked up in the context the object started with.
            for name in sorted(types):
                definition = ctx.terms.get(name)
                if (
                    definition is not None
                    and definition.has_scope
                    and definition.scope is not False
                ):
                    active = _derive(active, definition, type_scoped=True)

        subject = None
        properties: list[tuple[str, str, Any]] = []
        for key, value in element.items():
            if key == "@context":
                continue
            kind, predicate = active.entry(key)
            if kind == _PROPERTY:
                properties.append((key, predicate, value))
            elif kind == _ID:
                if subject is not None or type(value) is not str:
                    raise Unsupported("@id twice, or not a string")
                subject = _node_iri(_expand_iri(active, value, vocab=False), "@id")
            elif kind == _TYPE and key != type_key:
                raise Unsupported("a type-scoped context changes what aliases @type")
        if type_key is not None and active.entry(type_key)[0] != _TYPE:
            raise Unsupported("a type-scoped context changes what aliases @type")

        if subject is None:
            subject = self._blank()
        emit = self.quads.append
        for name in types:
            emit((subject, _RDF_TYPE, ctx.type_term(name), graph))
        for key, predicate, value in properties:
            self._property(active, subject, key, predicate, value, graph, depth)
        return subject

    def _property(
        self,
        active: _Context,
        subject: str,
        key: str,
        predicate: str,
        value: Any,
        graph: str,
        depth: int,
    ) -> None:
        definition = active.terms.get(key)
        term_ctx = active
        container = _NO_CONTAINER
        if definition is not None:
            if definition.unsupported is not None:
                raise Unsupported(f"term {key!r}: {definition.unsupported}")
            if definition.coerce == "@json":
                # The whole value, null included, is one rdf:JSON literal (§13.4 step 13.6).
                self.quads.append((subject, predicate, _json_literal(value), graph))
                return
            if definition.has_scope:
                term_ctx = _derive(active, definition, type_scoped=False)
                if term_ctx.terms.get(key) != definition:
                    raise Unsupported(f"the scoped context of {key!r} redefines it")
            container = definition.container
        if value is None:
            return  # expansion drops null (§13.4 step 13.10)
        items = _flatten(value, depth + 1, []) if type(value) is list else [value]
        emit = self.quads.append
        if not container:
            for item in items:
                emit(
                    (subject, predicate, self._value(term_ctx, key, item, graph, depth + 1), graph)
                )
        elif "@list" in container:
            if type(value) is list and any(type(item) is list for item in value):
                raise Unsupported("list of lists")
            objects = [self._value(term_ctx, key, item, graph, depth + 1) for item in items]
            emit((subject, predicate, self._list(objects, graph), graph))
        elif "@graph" in container:
            # Each value is a node object in a graph of its own, named by a blank node.
            for item in items:
                if type(item) is not dict:
                    raise Unsupported("@graph container value that is not an object")
                name = self._blank()
                self._object(term_ctx, key, item, name, depth + 1)
                emit((subject, predicate, name, graph))
        else:  # @set
            for item in items:
                emit(
                    (subject, predicate, self._value(term_ctx, key, item, graph, depth + 1), graph)
                )

    def _value(self, term_ctx: _Context, key: str, value: Any, graph: str, depth: int) -> str:
        """The RDF term for one member of a property value (value expansion, §5.3.2)."""
        kind = type(value)
        if kind is dict:
            return self._object(term_ctx, key, value, graph, depth)
        definition = term_ctx.terms.get(key)
        coerce = definition.coerce if definition is not None else None
        if kind is str:
            text: str = value
            if coerce is None:
                return '"' + text.translate(_ESCAPES) + '"'
            if coerce == "@id":
                return _node_iri(_expand_iri(term_ctx, value, vocab=False), "IRI value")
            if coerce == "@vocab":
                return _node_iri(term_ctx.vocab_iri(value), "IRI value")
            suffix = definition.suffix if definition is not None else None
            if suffix is None:
                raise Unsupported(f"type coercion to {coerce}")
            return '"' + text.translate(_ESCAPES) + '"' + suffix
        if kind is bool or kind is int or kind is float:
            return _native(value, None if coerce in (None, "@id", "@vocab") else coerce)
        raise Unsupported(f"a {kind.__name__} is not a JSON value")

    def _list(self, objects: list[str], graph: str) -> str:
        """An RDF collection (JSON-LD 1.1 §16.4); its head, or rdf:nil when empty."""
        if not objects:
            return _RDF_NIL
        head = cell = self._blank()
        emit = self.quads.append
        for index, item in enumerate(objects):
            emit((cell, _RDF_FIRST, item, graph))
            rest = _RDF_NIL if index == len(objects) - 1 else self._blank()
            emit((cell, _RDF_REST, rest, graph))
            cell = rest
        return head
