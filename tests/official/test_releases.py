"""Which shipped config schema is which Kratos release (reconciler/official/releases.py)."""

from __future__ import annotations

import hashlib
import json

import pytest

from reconciler.official import releases


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("v0.8.0-alpha.3", "v0.8.0"),  # a pre-release comes before its release
        ("v0.8.0-alpha.2", "v0.8.0-alpha.10"),  # numbers compare as numbers
        ("v0.9.0-alpha.3", "v0.10.0"),
        ("v0.11.0-alpha.0.pre.2", "v0.11.0"),
        ("v0.11.0-alpha.0", "v0.11.0-alpha.0.pre.0"),  # a longer list of identifiers is later
        ("v0.8.0-alpha.9", "v0.8.0-beta.1"),  # words compare as words
        ("v1.3.1", "v25.4.0"),
    ],
)
def test_versions_sort_by_semver_precedence(older: str, newer: str) -> None:
    older_key, newer_key = releases.version_key(older), releases.version_key(newer)
    assert older_key is not None and newer_key is not None
    assert older_key < newer_key


@pytest.mark.parametrize("text", ["0.8.0", "v0.8", "latest", "v1.0.0-", "v01.2.3"])
def test_what_is_no_version(text: str) -> None:
    assert releases.version_key(text) is None


@pytest.mark.parametrize(
    ("named", "judged_by"),
    [
        ("v0.8.0-alpha.3", "v0.8.0-alpha.3"),
        ("v0.8.3-alpha.1.pre.0", "v0.8.2-alpha.1"),  # a pre-release between two releases
        ("v1.0.0-rc.1", "v0.13.0"),
        ("v26.2.0", "v26.2.0"),
    ],
)
def test_a_version_is_judged_by_the_nearest_release_not_newer(named: str, judged_by: str) -> None:
    choice = releases.choose(named, "deploy/kratos.yml")
    assert choice.release.tag == judged_by
    assert f"`version:` of deploy/kratos.yml is {named}" in choice.describe()
    assert choice.named_by_config


def test_no_version_is_judged_by_the_newest_release() -> None:
    choice = releases.choose(None)
    assert choice.release == releases.newest() == releases.releases()[-1]
    assert choice.release.tag == "v26.2.0"
    assert "no `version:` named" in choice.describe()


@pytest.mark.parametrize(
    ("named", "judged_by", "says"),
    [
        ("v27.0.0", "v26.2.0", "newer than the newest shipped release"),
        ("v0.4.6-alpha.1", "v0.5.0-alpha.1", "older than the oldest shipped release"),
        ("latest", "v26.2.0", "no Kratos version"),
    ],
)
def test_a_version_outside_the_shipped_ones_says_which_it_got(
    named: str, judged_by: str, says: str
) -> None:
    choice = releases.choose(named, "kratos.yml")
    assert choice.release.tag == judged_by
    assert says in choice.describe()


def test_a_version_asserted_on_the_command_line_is_not_named_by_the_config() -> None:
    choice = releases.choose("v0.8.0-alpha.3", "--kratos-version")
    assert not choice.named_by_config
    assert "(--kratos-version is v0.8.0-alpha.3)" in choice.describe()


def test_every_release_since_the_version_key_is_shipped_each_schema_once() -> None:
    known = releases.releases()
    assert known[0].tag == "v0.5.0-alpha.1"  # the first release whose config knows `version:`
    assert {"v0.7.6-alpha.1", "v0.8.0-alpha.3", "v0.9.0-alpha.3", "v1.0.0"} <= {
        release.tag for release in known
    }
    for release in known:
        schema = json.loads(release.config.read_text(encoding="utf-8"))
        assert "version" in schema["properties"], release.tag
        # From v0.10.0 the tracing config is ory/x's, by $ref; before, it is inline.
        refers = "ory://tracing-config" in json.dumps(schema)
        assert (release.tracing is not None) == refers, release.tag
    digests = [hashlib.sha256(path.read_bytes()).hexdigest() for path in releases.shipped_files()]
    assert len(digests) == len(set(digests))  # identical files are stored once


def test_releases_without_a_schema_change_share_the_file_of_the_first() -> None:
    by_tag = {release.tag: release for release in releases.releases()}
    assert by_tag["v0.8.2-alpha.1"].config == by_tag["v0.8.1-alpha.1"].config
    assert by_tag["v0.8.2-alpha.1"].first == "v0.8.1-alpha.1"
    assert by_tag["v0.8.1-alpha.1"].config != by_tag["v0.8.0-alpha.3"].config
