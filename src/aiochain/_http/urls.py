"""A base URL that may carry a query string, and request URLs made from it.

Azure-style roots carry their query (`https://h/openai/deployments/d?api-version=X`), some
gateways even a key (`...?api-key=K`, `?code=K`): a request path goes before the query
(`https://h/openai/deployments/d/chat/completions?api-version=X`), never after it, and a URL
shown in an error or a log has the values of key-like parameters replaced, whatever their
length (a short key is still a key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from .errors import REDACTED

# Query parameters whose values are credentials (api-key, key, access_token, sig, code, ...).
_KEY_PARAM = re.compile(r"key|token|secret|passw|sig|auth|credential|code", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class BaseURL:
    """An API root split at its query.

    Attributes:
        root: the root without its query and without a trailing slash.
        query: the query (without `?`), or "".
        shown_query: the query with the values of key-like parameters redacted.
        secrets: the values of key-like parameters (to keep out of errors).
    """

    root: str
    query: str = ""
    shown_query: str = ""
    secrets: tuple[str, ...] = ()

    def url(self, path: str) -> str:
        """The URL of `path` (which may have a query of its own) under this root."""
        if not self.query:
            return self.root + path
        return _joined(self.root, path, self.query)

    def shown(self, path: str = "") -> str:
        """The URL of `path` as errors and logs show it (key-like values redacted)."""
        if not self.query:
            return self.root + path
        return _joined(self.root, path, self.shown_query)


def split_base_url(base_url: str) -> BaseURL:
    """`base_url` split at its query (a fragment is dropped)."""
    url = base_url.partition("#")[0]
    root, mark, query = url.partition("?")
    root = root.rstrip("/")
    if not mark or not query:
        return BaseURL(root)
    shown: list[str] = []
    secrets: list[str] = []
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        if eq and value and _KEY_PARAM.search(name):
            shown.append(f"{name}={REDACTED}")
            secrets.append(value)
            secrets.extend(v for n, v in parse_qsl(part) if v != value)  # its decoded form
        else:
            shown.append(part)
    return BaseURL(root, query, "&".join(shown), tuple(secrets))


def shown_url(url: str) -> str:
    """Any URL as errors show it: the values of key-like query parameters redacted."""
    if "?" not in url:
        return url
    base, _, query = url.partition("?")
    parts = []
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        parts.append(f"{name}={REDACTED}" if eq and value and _KEY_PARAM.search(name) else part)
    return base + "?" + "&".join(parts)


def _joined(root: str, path: str, query: str) -> str:
    path, mark, own = path.partition("?")
    return f"{root}{path}?{own}&{query}" if mark and own else f"{root}{path}?{query}"


__all__ = ["BaseURL", "shown_url", "split_base_url"]
