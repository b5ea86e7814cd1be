"""The project settings' security rules (issue 24, item 5): CORS of the project's endpoints
opened to more origins, or turned on, weakens security; the reverse strengthens."""

from __future__ import annotations

import pytest

from reconciler.checks.security import classify
from reconciler.jsontypes import JSONValue
from reconciler.services import project as project_service
from reconciler.services import registry
from reconciler.services.declaration import Service
from reconciler.services.project.security import risky_origin


@pytest.fixture(scope="module")
def project() -> Service:
    return registry.named(project_service.NAME)


@pytest.mark.parametrize(
    ("pointer", "live", "desired", "reason"),
    [
        (
            "/cors_public/origins",
            ["https://app.example.com"],
            ["https://app.example.com", "*"],
            "CORS origins widened: *; allows any origin (`*`)",
        ),
        (
            "/cors_admin/origins",
            [],
            ["http://app.example.com"],
            "CORS origins widened: http://app.example.com; allows plain http:// "
            "(http://app.example.com)",
        ),
        (
            "/cors_public/origins",
            ["https://app.example.com"],
            ["https://app.example.com", "https://*.example.com"],
            "CORS origins widened: https://*.example.com; allows every subdomain "
            "(https://*.example.com)",
        ),
        (
            "/cors_public/origins",
            ["https://app.example.com"],
            ["https://app.example.com", "https://admin.example.com"],
            "CORS origins widened: https://admin.example.com",
        ),
        ("/cors_public/enabled", False, True, "CORS turned on"),
        ("/cors_admin/enabled", None, True, "CORS turned on"),
    ],
)
def test_opening_cors_weakens_and_closing_it_strengthens(
    project: Service, pointer: str, live: JSONValue, desired: JSONValue, reason: str
) -> None:
    judged = classify(project, pointer, live, desired, "add" if live is None else "change")
    assert (judged.impact, judged.reason) == ("weakens", reason)
    back = classify(project, pointer, desired, live, "reset" if live is None else "change")
    assert back.impact == "strengthens"


@pytest.mark.parametrize(
    ("pointer", "live", "desired"),
    [
        ("/name", "Acme dev", "Acme staging"),
        (
            "/cors_public/origins",
            ["https://a.example.com", "https://b.example.com"],
            ["https://b.example.com", "https://a.example.com"],
        ),
        ("/cors_public/enabled", None, False),
    ],
)
def test_what_opens_nothing_is_neutral(
    project: Service, pointer: str, live: JSONValue, desired: JSONValue
) -> None:
    judged = classify(project, pointer, live, desired, "add" if live is None else "change")
    assert judged.impact == "neutral"


@pytest.mark.parametrize(
    ("origin", "risk"),
    [
        ("*", "any origin (`*`)"),
        ("https://*.example.com", "every subdomain (https://*.example.com)"),
        ("http://app.example.com", "plain http:// (http://app.example.com)"),
        ("http://localhost:3000", None),
        ("http://127.0.0.1:8080", None),
        ("https://app.example.com", None),
    ],
)
def test_which_origins_are_risky(origin: str, risk: str | None) -> None:
    assert risky_origin(origin) == risk
