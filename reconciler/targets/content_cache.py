"""Content-addressed blobs (identity schemas in Ory's storage), fetched once, kept by hash.

A storage URL names the SHA-512 of its content, so a cached copy never goes stale, and a
copy is checked against that name whenever it is read or fetched: a pull request may commit
a file under ``.reconciler/cache/`` whose name promises one schema and whose content is
another (it would turn a breaking schema change into "No changes"), so the folder is never
trusted, only each entry that hashes to its name. Entries are read through ``workdir``
(no symbolic links, plain files of a bounded size).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from reconciler import blobs
from reconciler.errors import RemoteError
from reconciler.limits import DEFAULT_LIMITS
from reconciler.repository import workdir
from reconciler.repository.atomic import write_atomically
from reconciler.targets import client

Fetch = Callable[[str], bytes]
# Distinct blobs held in memory per run (identity schemas: a few KB each).
_HELD_BLOBS = 256
log = logging.getLogger("reconciler.content_cache")


class ContentCache:
    """``folder``: where entries are kept; ``fetch``: how content is fetched (default: a GET
    without credentials, ``client.fetch_public``)."""

    def __init__(self, folder: Path, fetch: Fetch | None = None) -> None:
        self.folder = folder
        self.fetch: Fetch = fetch or client.fetch_public
        self._unreachable: set[str] = set()  # asked once per run, not once per environment
        # Read from disk once per run: plan --all finds the same schemas in every live config.
        # A digest's content never changes, so holding it cannot go stale.
        self._held: dict[str, bytes] = {}
        # One lock per digest: environments that need the same schema at once fetch it once.
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, url: str) -> bytes | None:
        """The content behind a content-addressed ``url``, or None if it cannot be had."""
        digest = blobs.digest_of(url)
        if digest is None:
            return None
        with self._guard:
            lock = self._locks.setdefault(digest, threading.Lock())
        with lock:
            return self._get(url, digest)

    def _get(self, url: str, digest: str) -> bytes | None:
        held = self._held.get(digest)
        if held is not None:
            return held
        content = self._read_or_fetch(url, digest)
        if content is not None and len(self._held) < _HELD_BLOBS:
            self._held[digest] = content
        return content

    def _read_or_fetch(self, url: str, digest: str) -> bytes | None:
        cached = self.folder / digest
        kept = workdir.read_bytes(cached, DEFAULT_LIMITS.max_file_bytes)
        if kept is not None and blobs.sha512_hex(kept) == digest:
            return kept
        if kept is not None:
            log.warning("%s does not hold what its name promises; ignored", cached)
        if url in self._unreachable:
            return None
        try:
            content = self.fetch(url)
        except RemoteError:
            self._unreachable.add(url)
            return None  # best effort: the plan still works, with less to explain
        if blobs.sha512_hex(content) != digest:
            self._unreachable.add(url)
            return None  # not what the name promises: never trust or keep it
        workdir.make_folder(self.folder)
        write_atomically(cached, content, 0o644)  # a concurrent reader never sees half a file
        return content

    def collect(self, urls: Iterable[str]) -> dict[str, bytes]:
        found = {}
        for url in urls:
            content = self.get(url)
            if content is not None:
                found[url] = content
        return found
