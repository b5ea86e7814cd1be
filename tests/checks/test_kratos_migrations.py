"""Issue 22 item 3: a Kratos file is judged by the release it names, and a key or value a
later release removed gets the migration Kratos documents (checks/kratos_migrations.py)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.checks.kratos_migrations import MIGRATIONS
from reconciler.checks.kratos_schema import KratosSchema, for_target
from reconciler.jsontypes import JSONObject
from reconciler.loading.yamlio import load_with_positions
from reconciler.official import releases

from conftest import FIXTURES

# A real Kratos v0.8 file: the cloud quickstart of tag v0.8.1-alpha.1, `version: v0.8.0-alpha.3`
# (tests/fixtures/corpus/SOURCES.md).
V08_FILE = FIXTURES / "corpus" / "quickstart-cloud-v0.8.1-alpha.1" / "kratos.yml"


def _v08() -> dict[str, Any]:
    data = load_with_positions(V08_FILE.read_text(encoding="utf-8")).data
    assert isinstance(data, dict)
    return data


def _judged_by(tag: str, *, named_by_config: bool = False) -> KratosSchema:
    release = next(r for r in releases.releases() if r.tag == tag)
    return for_target("kratos_file", release=release, named_by_config=named_by_config)


def test_a_v08_file_is_valid_for_the_release_it_names() -> None:
    config = _v08()
    assert config["version"] == "v0.8.0-alpha.3"
    schema = for_target("kratos_file", release=releases.choose(config["version"]).release)
    assert schema.subject == "Kratos v0.8.0-alpha.3 config schema"
    assert schema.validate_config(config) == []  # dsn included: the whole file, as Kratos reads it


def test_the_same_file_gets_the_migrations_against_the_newest_release() -> None:
    problems = {p.pointer: p for p in for_target("kratos_file").validate_config(_v08())}
    schema_url = problems["/identity/default_schema_url"].message
    assert "removed in Kratos v0.9.0-alpha.1" in schema_url
    assert "`identity.schemas: [{id: default, url: <the URL>}]`" in schema_url
    assert "`identity.default_schema_id: default`" in schema_url
    assert "did you mean" not in schema_url  # default_schema_url is no typo of default_schema_id
    return_urls = problems["/selfservice/whitelisted_return_urls"].message
    assert "removed in Kratos v0.9.0-alpha.1" in return_urls
    assert "`selfservice.allowed_return_urls`" in return_urls
    assert "CHANGELOG.md:6036-6037" in return_urls  # where Kratos says so


def test_a_migration_applies_only_from_the_release_that_removed_the_key() -> None:
    # courier.sms came in v0.9.0-alpha.1 and went in v25.4.0: unknown to v0.8 because it was
    # not there yet, so v0.8 says a later release added it, not that it was removed.
    config = {**_v08(), "courier": {**_v08()["courier"], "sms": {"enabled": True}}}
    under_v08 = {p.pointer: p for p in _judged_by("v0.8.0-alpha.3").validate_config(config)}
    assert "added it" in under_v08["/courier/sms"].message
    assert "removed" not in under_v08["/courier/sms"].message
    under_v26 = {p.pointer: p for p in _judged_by("v26.2.0").validate_config(config)}
    assert "removed in Kratos v25.4.0" in under_v26["/courier/sms"].message
    assert "`courier.channels:" in under_v26["/courier/sms"].message


@pytest.mark.parametrize(
    ("pointer", "value", "says"),
    [
        ("/hashers/argon2/memory", 131072, "`131072` is `128MB`"),
        ("/selfservice/methods/oidc/config/providers/0/provider", "gitlab-app", "`github-app`"),
        ("/tracing/provider", "datadog", "OpenTelemetry"),
    ],
)
def test_a_value_a_later_release_refuses_gets_its_migration(
    pointer: str, value: object, says: str
) -> None:
    config: dict[str, Any] = {
        "hashers": {"argon2": {"memory": "128MB"}},
        "selfservice": {
            "methods": {
                "oidc": {
                    "enabled": True,
                    "config": {
                        "providers": [
                            {
                                "id": "gh",
                                "provider": "github",
                                "client_id": "x",
                                "mapper_url": "file://m.jsonnet",
                            }
                        ]
                    },
                }
            }
        },
        "tracing": {"provider": "jaeger"},
    }
    *parents, last = pointer.strip("/").split("/")
    node: Any = config
    for token in parents:
        node = node[int(token)] if isinstance(node, list) else node[token]
    node[last] = value
    problems = {
        p.pointer: p.message
        for p in for_target("kratos_file").validate_config(config, partial=True)
    }
    assert says in problems[pointer], problems
    assert "refused since Kratos v" in problems[pointer]  # a value, not a removed key


def test_the_verify_hook_gets_its_migration() -> None:
    config: JSONObject = {
        "selfservice": {
            "flows": {"registration": {"after": {"password": {"hooks": [{"hook": "verify"}]}}}}
        }
    }
    messages = [p.message for p in for_target("kratos_file").validate_config(config, partial=True)]
    assert any(
        "refused since Kratos v0.6.0-alpha.1" in m and "verification" in m for m in messages
    ), messages


def test_a_key_a_later_release_added_is_a_warning_when_the_config_named_the_release() -> None:
    # Kratos never reads `version:`: Kratos' own v26.2.0 quickstart names v0.13.0 and sets
    # feature_flags.use_continue_with_transitions (v1.1.0).
    config: JSONObject = {"feature_flags": {"use_continue_with_transitions": True}}
    named = _judged_by("v0.13.0", named_by_config=True).validate_config(config, partial=True)
    assert [p.added_later for p in named] == [True]
    assert "Kratos v1.1.0 added it" in named[0].message
    assert "write that in its `version:`" in named[0].message
    asserted = _judged_by("v0.13.0").validate_config(config, partial=True)
    assert [p.added_later for p in asserted] == [False]  # --kratos-version: the user said so


def test_every_migration_names_a_shipped_release_and_a_source() -> None:
    tags = {release.tag for release in releases.releases()}
    for migration in MIGRATIONS:
        assert migration.removed_in in tags, migration
        assert "CHANGELOG.md:" in migration.source or "commit " in migration.source, migration
