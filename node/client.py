"""Talking to nodes over HTTP: the gossip transport and the calls the CLI makes.

Proxies from the environment are ignored (``trust_env=False``): a node is named by its
URL and nothing else decides where a request goes.
"""

from __future__ import annotations

from typing import Any, Final

import httpx

from .errors import NodeUnreachableError
from .gossip.errors import RefusedError, TransportError

__all__ = ["HttpTransport", "NodeClient"]

CBOR: Final = "application/cbor"
_LIMIT: Final = 8 * 1024 * 1024  # the most a response may be (the largest gossip message, ×2)


def _problem_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return str(body["detail"])
    return str(body)[:200]


class HttpTransport:
    """Gossip over HTTP: one CBOR envelope POSTed to ``<address>/gossip``, one back."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.client = httpx.Client(timeout=timeout, trust_env=False)

    def close(self) -> None:
        self.client.close()

    def exchange(self, address: str, request: bytes) -> bytes:
        try:
            with self.client.stream(
                "POST", f"{address}/gossip", content=request, headers={"content-type": CBOR}
            ) as response:
                data = b""
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > _LIMIT:
                        raise TransportError(f"{address}: response over {_LIMIT} bytes")
        except httpx.HTTPError as e:
            raise TransportError(f"{address}: {e or type(e).__name__}") from e
        if response.headers.get("content-type", "").startswith(CBOR):
            return data  # an answer, or a signed ERROR message
        response._content = data  # already read: let .json() see it
        reason = f"{address}: HTTP {response.status_code}: {_problem_detail(response)}"
        if response.status_code in (403, 429):
            raise RefusedError(reason)
        raise TransportError(reason)


class NodeClient:
    """JSON and CBOR calls to one node; errors are one-line NodeUnreachableErrors."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.client = httpx.Client(base_url=self.url, timeout=timeout, trust_env=False)

    def __enter__(self) -> NodeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as e:
            raise NodeUnreachableError(f"cannot reach the node at {self.url}: {e}") from e
        if response.status_code >= 400:
            raise NodeUnreachableError(
                f"the node at {self.url} refused {method} {path}: "
                f"HTTP {response.status_code}: {_problem_detail(response)}"
            )
        try:
            return response.json()
        except ValueError as e:
            raise NodeUnreachableError(f"the node at {self.url} answered with no JSON") from e

    def get(self, path: str, **params: Any) -> Any:
        return self._call("GET", path, params=params)

    def post_json(self, path: str, body: Any) -> Any:
        return self._call("POST", path, json=body)

    def post_cbor(self, path: str, data: bytes) -> Any:
        return self._call("POST", path, content=data, headers={"content-type": CBOR})
