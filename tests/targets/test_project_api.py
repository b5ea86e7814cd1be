"""The project API, read-only: identities page by page with the project key, which goes
only to the project API of the project the console API named (or ORY_SDK_URL), https only,
never across a redirect, never to a host a Link header names (docs/security.md §2).

A second test server on 127.0.0.1 plays the attacker: the tests that involve it assert it
received nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ory_behaviour import RateMeter

from reconciler import redact
from reconciler.errors import ConfigError, RemoteError
from reconciler.jsontypes import JSONObject
from reconciler.targets import project_api
from reconciler.targets.client import ProjectApiClient
from reconciler.targets.retry import RetryPolicy

from ory_server import OryTestServer, generated_identities


@pytest.fixture
def attacker() -> Iterator[OryTestServer]:
    with OryTestServer() as running:
        yield running


@pytest.fixture
def listed(ory_server: OryTestServer) -> OryTestServer:
    ory_server.add_identities(generated_identities({"customer": 8, "staff": 4}, totp_every=2))
    return ory_server


def _read(
    server: OryTestServer, *, page_size: int = 5, limit: int | None = None
) -> tuple[list[JSONObject], project_api.Identities]:
    client = ProjectApiClient(server.base_url, server.project_key)
    try:
        pages = project_api.Identities(client.get_list, page_size=page_size, limit=limit)
        return list(pages), pages
    finally:
        client.close()


def test_the_link_header_leads_through_every_page(listed: OryTestServer) -> None:
    identities, pages = _read(listed)
    assert len(identities) == 12
    assert len({str(i["id"]) for i in identities}) == 12
    assert pages.pages == 3 and not pages.more
    queries = [r.query for r in listed.requests]
    assert queries[0] == "page_size=5"
    assert all(q.startswith("page_size=5&page_token=") for q in queries[1:])


def test_a_sample_stops_early_and_says_more_exist(listed: OryTestServer) -> None:
    identities, pages = _read(listed, page_size=500, limit=7)
    assert len(identities) == 7
    assert pages.more
    assert [r.query for r in listed.requests] == ["page_size=7"]


def test_a_sample_of_everything_is_complete(listed: OryTestServer) -> None:
    identities, pages = _read(listed, page_size=500, limit=12)
    assert len(identities) == 12
    assert not pages.more


def test_a_rate_limited_page_is_retried(listed: OryTestServer, retry_waits: list[float]) -> None:
    listed.fail_identities_next(429)
    identities, _ = _read(listed)
    assert len(identities) == 12
    # The first wait is the retry's floor; the pacing after a 429 (slower, shared-limit) also
    # sleeps through the recorded policy, so later waits are pacing, not more retries.
    assert retry_waits and retry_waits[0] >= 1.0


def test_a_wrong_key_is_a_clear_error_without_the_key(listed: OryTestServer) -> None:
    wrong = "ory_pat_wrong_0123456789abcdef"
    client = ProjectApiClient(listed.base_url, wrong)
    try:
        with pytest.raises(RemoteError) as caught:
            list(project_api.Identities(client.get_list))
    finally:
        client.close()
    assert "rejected the project API key (401 Unauthorized)" in str(caught.value)
    assert wrong not in str(caught.value) and wrong not in repr(client)


def test_a_redirect_is_not_followed(listed: OryTestServer, attacker: OryTestServer) -> None:
    listed.fail_identities_next(307, {"Location": f"{attacker.base_url}/admin/identities"})
    with pytest.raises(RemoteError, match="redirects are not followed"):
        _read(listed)
    assert attacker.requests == []


def test_a_link_to_another_host_is_read_for_its_token_only(
    listed: OryTestServer, attacker: OryTestServer
) -> None:
    listed.identity_link_base = attacker.base_url
    identities, _ = _read(listed)
    assert len(identities) == 12
    assert attacker.requests == []


def test_the_server_refuses_a_page_size_beyond_the_spec(listed: OryTestServer) -> None:
    client = ProjectApiClient(listed.base_url, listed.project_key)
    try:
        with pytest.raises(RemoteError, match=r"refused the request \(400\)"):
            client.get_list("/admin/identities?page_size=501")
    finally:
        client.close()


def test_next_token_reads_only_the_next_link() -> None:
    first = '<https://x.test/admin/identities?page_size=2>; rel="first"'
    following = '<https://x.test/admin/identities?page_size=2&page_token=abc>; rel="next"'
    assert project_api.next_token([f"{first},{following}"]) == "abc"
    assert project_api.next_token([first]) is None
    assert project_api.next_token([]) is None


def test_the_project_url_is_the_owners_or_the_slugs() -> None:
    assert (
        project_api.project_api_url({}, "silly-hofstadter-e5balirqq2")
        == "https://silly-hofstadter-e5balirqq2.projects.oryapis.com"
    )
    assert project_api.project_api_url({"ORY_SDK_URL": "http://127.0.0.1:9/"}, "x") == (
        "http://127.0.0.1:9"
    )
    with pytest.raises(ConfigError, match="plain http:// would send"):
        project_api.project_api_url({"ORY_SDK_URL": "http://sdk.example.com"}, "x")
    with pytest.raises(ConfigError, match="plain host name"):
        project_api.project_api_url({"ORY_SDK_URL": "https://a.test@evil.test"}, "x")
    with pytest.raises(RemoteError, match="no usable project slug"):
        project_api.project_api_url({}, "evil.test/x")


def test_a_file_may_name_only_an_ory_project_api_key_variable() -> None:
    environ = {"ORY_PROJECT_API_KEY_PROD": "ory_pat_prod_value_1234", "GITHUB_TOKEN": "ghp_x"}
    with redact.session():
        assert project_api.project_key(environ, "ORY_PROJECT_API_KEY_PROD") == (
            "ory_pat_prod_value_1234"
        )
        assert "ory_pat_prod_value_1234" not in redact.scrub("key ory_pat_prod_value_1234")
    with pytest.raises(ConfigError, match="starts with ORY_PROJECT_API_KEY"):
        project_api.project_key(environ, "GITHUB_TOKEN")
    assert project_api.project_key({}) is None


@pytest.mark.ory_server
def test_pages_are_paced_to_the_buckets_the_project_api_announces() -> None:
    now = [0.0]
    meter = RateMeter(burst=3, sustained=300, clock=lambda: now[0])
    with OryTestServer(rate_meter=meter) as server:
        server.add_identities(generated_identities({"customer": 12}))
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            now[0] += seconds

        policy = RetryPolicy(sleep=sleep, jitter=lambda: 0.0, clock=lambda: now[0])
        client = ProjectApiClient(server.base_url, server.project_key, retry=policy)
        try:
            identities = list(project_api.Identities(client.get_list, page_size=2))
        finally:
            client.close()
        assert len(identities) == 12
        # Six pages against a burst of 3 a second: held back, never refused.
        assert [r.status for r in server.requests] == [200] * 6
        assert waits and sum(waits) >= 1.0


def test_page_tokens_are_masked_in_every_output(listed: OryTestServer) -> None:
    # A token is a cursor into the identities: the scrubber masks it in log lines (-v prints
    # each retry's path) and errors, as it masks secrets.
    with redact.session():
        _read(listed)
        tokens = [
            r.query.split("page_token=")[1] for r in listed.requests if "page_token" in r.query
        ]
        assert len(tokens) == 2
        for token in tokens:
            assert token not in redact.scrub(f"GET /admin/identities?page_token={token}")
