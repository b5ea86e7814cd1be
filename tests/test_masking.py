"""The two masking layers, each tested alone so neither hides the other's failure.

Views mask secrets by path (a live key nobody registered as a value, e.g. the old web hook key
in a Kratos file, is only ever hidden there); the output scrubber (``redact``) masks every
value the run learned is secret, wherever it appears. Here the views run with an empty
scrubber, and the scrubber runs without any view.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reconciler import redact
from reconciler.checks.kratos_schema import for_target
from reconciler.comparing.diff import compute_diff
from reconciler.jsontypes import JSONObject, JSONValue
from reconciler.loading.loader import load_environment
from reconciler.loading.validate import validate
from reconciler.plan.planner import make_plan
from reconciler.plan.value import Plan, PlanOutcome
from reconciler.secrets import MASK
from reconciler.usecases import steps
from reconciler.views import markdown
from reconciler.views import text as views

from conftest import identity_rules

HOOKS = "/selfservice/flows/login/after/hooks"
OLD_KEY = "old-live-hook-key-7f3a"
NEW_KEY = "new-desired-hook-key-91c2"


@pytest.fixture(autouse=True)
def empty_scrubber() -> Iterator[None]:
    redact.forget_all()
    yield
    redact.forget_all()


def _hooks(*hooks: JSONValue) -> JSONObject:
    return {"selfservice": {"flows": {"login": {"after": {"hooks": list(hooks)}}}}}


def _web_hook(key: str, url: str) -> JSONObject:
    return {
        "hook": "web_hook",
        "config": {
            "url": url,
            "method": "POST",
            "auth": {"type": "api_key", "config": {"name": "X-Key", "value": key, "in": "header"}},
        },
    }


def _hook_swap_plan() -> Plan:
    # A Kratos file returns its keys: the live side holds the old key in clear.
    rules = identity_rules(default_at=for_target("kratos_file").default_at, defaults_complete=True)
    # One hook replaced by another: the view shows the removed and the added entry whole.
    live = _hooks(_web_hook(OLD_KEY, "https://hooks.acme.test/login"))
    desired = _hooks(
        {"hook": "require_verified_address"}, _web_hook(NEW_KEY, "https://hooks.acme.test/v2")
    )
    diff = compute_diff(desired, live, (), rules)
    sensitive = frozenset({f"{HOOKS}/1/config/auth/config/value"})  # from ${LOGIN_HOOK_KEY}
    return make_plan(
        "local",
        "kratos_file .demo/kratos.yml",
        "sha256:0",
        {"identity": diff},
        sensitive={"identity": sensitive},
    )


@pytest.mark.parametrize("verbose", [False, True])
def test_the_text_view_masks_the_keys_of_a_removed_and_an_added_hook(verbose: bool) -> None:
    plan = _hook_swap_plan()
    assert plan.changes
    shown = views.format_plan(plan, verbose=verbose)
    assert OLD_KEY not in shown
    assert NEW_KEY not in shown
    assert MASK in shown


def test_the_markdown_view_masks_the_keys_of_a_removed_and_an_added_hook() -> None:
    shown = markdown.format_outcomes([PlanOutcome("local", _hook_swap_plan())])
    assert OLD_KEY not in shown
    assert NEW_KEY not in shown
    assert MASK in shown


def test_the_scrubber_masks_every_registered_value_in_any_text() -> None:
    redact.register(NEW_KEY)
    redact.register("abc")  # shorter than MIN_LENGTH: ordinary words must stay readable
    out = io.StringIO()
    stream = redact.RedactingStream(out)
    stream.write(f"Error: the hook answered 401 for key {NEW_KEY} (abc)\n")
    assert out.getvalue() == f"Error: the hook answered 401 for key {MASK} (abc)\n"


def test_the_scrubber_masks_the_longest_secret_first() -> None:
    redact.register("hook-key")
    redact.register(NEW_KEY)  # contains "hook-key"
    assert redact.scrub(f"value={NEW_KEY}") == f"value={MASK}"


def test_the_scrubber_learns_every_value_the_views_mask_by_path(
    tmp_path: Path, write: Callable[[str, str], Path]
) -> None:
    # Written in clear at one of Ory's secret paths, and listed under secrets:, neither is a
    # ${VAR} or !secret the loader sees; the scrubber must still know both (secrets.secrets_in).
    write(
        "environments/dev.yaml",
        """
        target: {kratos_file: {path: kratos.yml}}
        identity_config:
          courier:
            smtp:
              connection_uri: smtps://mailer:literal-smtp-pw-5a1c@mail.acme.test:465
              from_name: Listed Secret Sender
        secrets: [/courier/smtp/from_name]
        """,
    )
    steps.register_secrets(validate(load_environment(tmp_path, "dev", {})))
    scrubbed = redact.scrub(
        "smtps://mailer:literal-smtp-pw-5a1c@mail.acme.test:465 Listed Secret Sender"
    )
    assert scrubbed == f"{MASK} {MASK}"
