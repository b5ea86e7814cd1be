"""What a backup keeps of a secret, and how restore puts one back (usecases/backup_secrets.py):
each branch of ``put_back`` on its own, and the values a backup keeps out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler import redact
from reconciler.jsontypes import JSONObject, remove_at
from reconciler.secrets import MASK
from reconciler.usecases.backup_secrets import from_json, keep_out, put_back, to_json

SECRET = "/selfservice/methods/oidc/config/providers/0/client_secret"
HOOK_URL = "/selfservice/flows/login/after/hooks/1/config/url"


def _live(client_secret: str, hook_url: str) -> JSONObject:
    return {
        "selfservice": {
            "methods": {"oidc": {"config": {"providers": [{"client_secret": client_secret}]}}},
            "flows": {
                "login": {
                    "after": {
                        "hooks": [
                            {"hook": "session"},
                            {"hook": "web_hook", "config": {"url": hook_url}},
                        ]
                    }
                }
            },
        }
    }


@pytest.fixture(autouse=True)
def known_secret() -> Iterator[None]:
    with redact.session():
        redact.register("tok-9a8b7c")  # a ${VAR} value the run read
        yield


def test_a_backup_keeps_out_secret_paths_declared_pointers_and_known_values() -> None:
    live = _live("s3cret-one", "https://hooks.acme.test/tok-9a8b7c")
    declared_at_another_index = {"/selfservice/flows/login/after/hooks/0/config/url"}
    content = keep_out(live, declared_at_another_index)
    assert {kept.pointer for kept in content.kept_out} == {SECRET, HOOK_URL}
    assert "s3cret-one" not in str(content.config) and "tok-9a8b7c" not in str(content.config)
    again = from_json(to_json(content), content.config)
    assert again == content


def test_restore_puts_a_secret_back_from_live_or_from_the_environment_or_says_it_cannot() -> None:
    content = keep_out(_live("s3cret-one", "https://hooks.acme.test/tok-9a8b7c"), ())

    unchanged = _live("s3cret-one", "https://hooks.acme.test/tok-9a8b7c")
    wanted, cannot = put_back(content, unchanged, {})
    assert wanted == unchanged and cannot == []

    rotated = _live("rotated", "https://hooks.acme.test/tok-9a8b7c")
    wanted, cannot = put_back(content, rotated, _live("s3cret-one", "https://elsewhere.test"))
    assert wanted == unchanged and cannot == []  # the environment declares the backed-up one

    wanted, cannot = put_back(content, rotated, _live("another", "https://elsewhere.test"))
    assert wanted == rotated
    assert cannot == [f"{SECRET}: left as it is live"]

    gone = _live("x", "https://hooks.acme.test/tok-9a8b7c")
    remove_at(gone, SECRET)
    wanted, cannot = put_back(content, gone, {})
    assert wanted == gone
    assert cannot == [f"{SECRET}: not set live, and not restored"]


def test_a_backup_written_before_secrets_were_kept_out_reads_as_it_is() -> None:
    config = _live(MASK, "https://hooks.acme.test/login")
    content = from_json({"config": config}, config)
    assert content.kept_out == () and put_back(content, {}, {}) == (config, [])
