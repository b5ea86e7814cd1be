"""Inline content (``base64://``) and the content-addressed URLs Ory stores it under.

Ory Network decodes every ``base64://`` value it receives (Jsonnet bodies, identity schemas,
OIDC mappers), stores the bytes, and returns ``https://storage.googleapis.com/<bucket>/
<sha512 hex of the content>.<ext>`` instead (ory-api.md §1a, "Server-side transformations" 1).
Comparing blobs therefore means comparing SHA-512 digests, never strings.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from collections.abc import Mapping

BASE64_SCHEME = "base64://"
_SHA512_NAME = re.compile(r"/([0-9a-f]{128})(?:\.[A-Za-z0-9]+)?$")


def sha512_hex(content: bytes) -> str:
    return hashlib.sha512(content).hexdigest()


def encode(content: bytes) -> str:
    """Return a ``base64://`` URL with standard, padded base64, as the Ory CLI sends it."""
    return BASE64_SCHEME + base64.b64encode(content).decode("ascii")


def decode(url: str) -> bytes | None:
    """Decode a ``base64://`` URL leniently (std/url-safe, padded or not), like Ory does.

    Returns ``None`` when ``url`` is not a ``base64://`` URL or does not decode.
    """
    if not url.startswith(BASE64_SCHEME):
        return None
    payload = url[len(BASE64_SCHEME) :].strip()
    padded = payload + "=" * (-len(payload) % 4)
    for decoder in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            return decoder(padded.encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            continue
    return None


def digest_of(value: str, known: Mapping[str, str] | None = None) -> str | None:
    """The SHA-512 of the content a blob-valued string stands for, when it can be told offline.

    ``base64://`` values are hashed; content-addressed URLs carry the digest in their file
    name; any other URL is looked up in ``known`` (URL -> digest, filled by a target that could
    read it, e.g. ``file://`` references next to a Kratos config file).
    """
    if value.startswith(BASE64_SCHEME):
        inline = _inline_digest(value)
        if inline is not None:
            return inline
    match = _SHA512_NAME.search(value)
    if match and value.startswith(("http://", "https://")):
        return match.group(1)
    if known is not None:
        return known.get(value)
    return None


# The same inline files (a shared layer's identity schema, a web hook body) are shown and
# compared in every environment of plan --all: decoded and hashed once per run.
@functools.lru_cache(maxsize=256)
def _inline_digest(value: str) -> str | None:
    content = decode(value)
    return None if content is None else sha512_hex(content)


def looks_like_blob(value: object) -> bool:
    return isinstance(value, str) and (
        value.startswith(BASE64_SCHEME) or _SHA512_NAME.search(value) is not None
    )
