"""The content cache: content-addressed blobs fetched once, kept on disk, read once per run."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from reconciler.blobs import sha512_hex
from reconciler.errors import RemoteError
from reconciler.jsontypes import canonical_bytes
from reconciler.targets.content_cache import ContentCache

from conftest import REPO_ROOT, Run
from ory_server import OryTestServer

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


def test_a_kept_copy_is_hashed_again_when_read(tmp_path: Path) -> None:
    """A committed file under .reconciler/cache/ is never trusted for its name alone."""
    (tmp_path / sha512_hex(CONTENT)).write_bytes(b'{"type": "object", "title": "forged"}')
    storage = _Storage()
    assert ContentCache(tmp_path, storage).get(URL) == CONTENT
    assert storage.asked == [URL]  # the forged copy was not taken for the real one
    assert (tmp_path / sha512_hex(CONTENT)).read_bytes() == CONTENT  # and is replaced


@pytest.mark.ory_server
def test_a_committed_cache_file_cannot_hide_a_breaking_schema_change(
    tmp_path: Path, run: Run
) -> None:
    """The issue: a cache file named after the live schema but holding the desired one made
    a breaking in-place edit plan as "No changes"."""
    live = json.loads((REPO_ROOT / "schemas" / "customer-v1.schema.json").read_text())
    edited = copy.deepcopy(live)
    del edited["properties"]["traits"]["properties"]["email"]["ory.sh/kratos"]["credentials"]
    with OryTestServer(local_storage=True) as server:
        server.add_console_schema(live)
        raw = json.dumps(live).encode()
        (tmp_path / "schemas").mkdir()
        (tmp_path / "schemas" / "customer.json").write_text(json.dumps(edited))
        (tmp_path / "environments").mkdir()
        (tmp_path / "environments" / "dev.yaml").write_text(
            f"target: {{ory_network: {{project: {server.project_id}}}}}\n"
            "identity_config:\n  identity:\n    default_schema_id: customer\n    schemas:\n"
            "      - {id: customer, url: 'file://../schemas/customer.json'}\n"
        )
        forged = tmp_path / ".reconciler" / "cache" / "content" / sha512_hex(raw)
        forged.parent.mkdir(parents=True)
        forged.write_bytes(canonical_bytes(edited))  # "the live schema is what you want"
        env = {
            "ORY_WORKSPACE_API_KEY": server.workspace_key,
            "ORY_CONSOLE_API_URL": server.base_url,
        }
        result = run("plan", "dev", env=env)
    assert "new schema needed: identity schema customer has different content" in result.out
    assert "BREAKING" in result.out
    assert "No changes" not in result.out
