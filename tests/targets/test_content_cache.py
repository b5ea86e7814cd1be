"""The content cache: content-addressed blobs fetched once, kept on disk, read once per run."""

from __future__ import annotations

from pathlib import Path

from reconciler.blobs import sha512_hex
from reconciler.errors import RemoteError
from reconciler.targets.content_cache import ContentCache

CONTENT = b'{"$id": "https://schemas.test/person", "type": "object"}'
# A storage URL names the SHA-512 of its content, as Ory's does (blobs.digest_of).
URL = f"https://storage.googleapis.com/bucket-test/{sha512_hex(CONTENT)}"


class _Storage:
    """Counts what was asked of the network."""

    def __init__(self, content: bytes = CONTENT) -> None:
        self.content = content
        self.asked: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.asked.append(url)
        return self.content


def test_a_blob_is_fetched_once_and_kept_on_disk(tmp_path: Path) -> None:
    storage = _Storage()
    assert ContentCache(tmp_path, storage).get(URL) == CONTENT
    # A later run reads the kept copy.
    assert ContentCache(tmp_path, storage).get(URL) == CONTENT
    assert storage.asked == [URL]
    assert (tmp_path / sha512_hex(CONTENT)).read_bytes() == CONTENT


def test_within_a_run_a_blob_is_read_from_disk_once(tmp_path: Path) -> None:
    storage = _Storage()
    cache = ContentCache(tmp_path, storage)
    assert cache.get(URL) == CONTENT
    (tmp_path / sha512_hex(CONTENT)).unlink()  # neither the disk nor the network is asked again
    assert cache.collect([URL, URL]) == {URL: CONTENT}
    assert storage.asked == [URL]


def test_content_that_does_not_match_its_name_is_neither_trusted_nor_kept(tmp_path: Path) -> None:
    storage = _Storage(content=b"something else")
    cache = ContentCache(tmp_path, storage)
    assert cache.get(URL) is None
    assert cache.get(URL) is None
    assert storage.asked == [URL]  # unreachable for the rest of the run
    assert not list(tmp_path.iterdir())


def test_an_unreachable_blob_is_asked_for_once_per_run(tmp_path: Path) -> None:
    asked: list[str] = []

    def failing(url: str) -> bytes:
        asked.append(url)
        raise RemoteError("storage is down")

    cache = ContentCache(tmp_path, failing)
    assert cache.collect([URL, URL]) == {}
    assert asked == [URL]
