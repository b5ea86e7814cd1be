"""Issue 10 item 5: every config of the corpus of real Ory identity configs
(``tests/fixtures/corpus``, provenance in its SOURCES.md) round-trips on the test server.

One test id per config; the steps are in ``corpus_steps``. The corpus files themselves are
checked to be verbatim copies (git blob ids) and SOURCES.md to be current."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from reconciler.official import releases

import corpus
from conftest import Run
from corpus_steps import STEPS, round_trip
from ory_server import OryTestServer

ENTRIES = corpus.entries()


def test_corpus_holds_oauth2_and_permission_configs() -> None:
    # Issue 24 item 6: real OAuth2 (Hydra) and permission (Keto) configs, an Ory Permission
    # Language file among them, round-trip like the identity configs.
    services = Counter(entry.service for entry in ENTRIES)
    assert services["oauth2"] >= 4 and services["permission"] >= 4, services
    assert any(e.service == "permission" and e.refs for e in ENTRIES)


def test_corpus_is_large_and_varied() -> None:
    kinds = Counter(entry.kind for entry in ENTRIES)
    assert len(ENTRIES) >= 60, len(ENTRIES)
    assert set(kinds) >= {"kratos-e2e", "quickstart", "helm", "ory-cli", "self-hosted"}, kinds
    # Issue 22: at least five real Ory Network documents, the support case among them.
    assert sum(kinds[kind] for kind in corpus.NETWORK_KINDS) >= 5, kinds
    assert any(entry.origin for entry in ENTRIES if entry.kind == "ory-network")
    assert len({entry.name for entry in ENTRIES}) == len(ENTRIES)


def test_corpus_spans_the_kratos_releases() -> None:
    # Self-hosted files of Kratos v0.4 to v1.3 (their `version:`), judged by their own release.
    named = {
        releases.choose(version).release
        for entry in ENTRIES
        if isinstance(version := corpus.config_of(entry).get("version"), str)
    }
    assert len(named) >= 8, named
    assert min(release.key for release in named) < releases.choose("v0.9.0-alpha.1").release.key
    assert max(release.key for release in named) >= releases.choose("v1.0.0").release.key


def test_corpus_files_are_verbatim_copies() -> None:
    for entry in ENTRIES:
        for record in entry.records:
            assert corpus.git_blob_id(record.path.read_bytes()) == record.blob, record.file
            if entry.origin:  # a document from no repository says where it comes from
                assert record.commit == "none", record.commit
                continue
            assert len(record.commit) == 40 and int(record.commit, 16) >= 0, record.commit


def test_every_file_reference_of_a_config_is_in_the_corpus() -> None:
    for entry in ENTRIES:
        seeded = repr(corpus.network_seed(entry))
        assert "file://" not in seeded, entry.name


def test_sources_md_is_current() -> None:
    assert corpus.SOURCES.read_text(encoding="utf-8") == corpus.render_sources()


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.name for entry in ENTRIES])
def test_round_trip(
    entry: corpus.Entry, tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    steps = round_trip(entry, ory_server, run, tmp_path)
    failed = [step for step in steps if not step.ok]
    if entry.expect is not None:
        # A listed failure fails where and why corpus.yaml says, and every other chain passes.
        assert [step.name for step in failed] == [entry.expect.step], (
            f"expected only {entry.expect.step} to fail; drop or fix `expect` in corpus.yaml "
            f"if that changed: {[f'{s.name}: {s.detail}' for s in failed]}"
        )
        assert entry.expect.match in failed[0].detail, failed[0].detail
        return
    assert not failed, "\n".join(f"{step.name}: {step.detail}" for step in failed)
    file_steps = entry.kratos_file
    expected = [name for name in STEPS if file_steps or not name.startswith("file-")]
    assert [step.name for step in steps] == expected
