"""Where a URL points: the project's own domain, this machine, or another host; and which
URLs travel in clear text (``comparing/project_domain.py``)."""

from __future__ import annotations

import pytest

from reconciler.comparing.project_domain import is_plain_http, page_site
from reconciler.jsontypes import JSONValue


@pytest.mark.parametrize(
    ("value", "site"),
    [
        ("/ui/login", None),  # a path: the project's own domain
        ("https://silly-hofstadter-e5balirqq2.projects.staging.oryapis.dev/ui/login", None),
        ("https://slug.projects.oryapis.com/ui/login", None),
        (None, None),
        ("https://Auth.Example.com:8443/login", ("https", "auth.example.com")),
        ("http://127.0.0.1:4455/login", ("http", "localhost")),
        ("http://[::1]:4455/login", ("http", "localhost")),
        (
            "https://projects.oryapis.com.evil.example/login",
            ("https", "projects.oryapis.com.evil.example"),
        ),
    ],
)
def test_where_a_page_is(value: JSONValue, site: tuple[str, str] | None) -> None:
    assert page_site(value) == site


@pytest.mark.parametrize(
    ("url", "plain"),
    [
        ("http://app.example.com", True),
        ("HTTP://app.example.com/x", True),
        ("https://app.example.com", False),
        ("http://localhost:3000", False),
        ("http://127.0.0.1", False),
        ("http://[::1]:8080", False),
        ("*", False),
    ],
)
def test_which_urls_travel_in_clear_text(url: str, plain: bool) -> None:
    assert is_plain_http(url) is plain
