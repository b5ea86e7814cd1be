"""Issue 21 item 3: a saved plan file is untrusted input. Whoever can write it can recompute
every digest it holds (integrity, desired state, operations), so a forged plan must never
apply, whatever it carries: apply plans again and sends only operations equal to the saved
ones; show displays exactly what the operations do; with RECONCILER_PLAN_KEY set, only a plan
signed with that key is read at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.checks.security import classify
from reconciler.errors import ApplyError
from reconciler.jsontypes import JSONValue
from reconciler.plan import planfile, planfile_reader
from reconciler.plan.planfile import SecretRef
from reconciler.services.registry import IDENTITY
from reconciler.usecases import reconcile, steps

from conftest import Run
from ory_server import OryTestServer

# Every test here reads input a stranger may write: under a memory limit (conftest.py).
pytestmark = pytest.mark.hostile

DEV = "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c"  # environments/dev.yaml, the server's first
HOOK_KEY = "hook-key-3f9a1c77d2"
PLAN_KEY = "k" * 20 + "0123456789abcdef0123456789abcdef"
OTHER_KEY = "o" * 20 + "0123456789abcdef0123456789abcdef"
# What the attacker adds: password login off, and the AAL lowered.
FORGED: list[tuple[str, JSONValue, JSONValue]] = [
    ("/selfservice/methods/password/enabled", True, False),
    ("/session/whoami/required_aal", "highest_available", "aal1"),
]


def _env(server: OryTestServer, **extra: str) -> dict[str, str]:
    return {
        "ORY_WORKSPACE_API_KEY": server.workspace_key,
        "ORY_CONSOLE_API_URL": server.base_url,
        "LOGIN_HOOK_KEY": HOOK_KEY,
        **extra,
    }


@pytest.fixture
def saved(run: Run, example_repo: Path, ory_server: OryTestServer) -> Path:
    """dev's honest plan, saved (dev's project is the test server's first)."""
    out = example_repo / "plan.json"
    result = run("plan", "dev", "--out", str(out), env=_env(ory_server), root=example_repo)
    assert result.code == 0, result.err
    return out


def _reseal(document: dict[str, Any]) -> str:
    """Every digest anyone can compute, recomputed: summary, operations digest, integrity."""
    changes = document["changes"]
    counts = {action: sum(c["action"] == action for c in changes) for action in ("add", "change")}
    weakening = sum(c["impact"]["impact"] == "weakens" for c in changes)
    document["summary"].update(counts, reset=0, weakening=weakening)
    if "operations_digest" in document:  # format 3 on
        refs = [SecretRef(**{**s, "variables": tuple(s["variables"])}) for s in document["secrets"]]
        document["operations_digest"] = planfile.operations_digest(document["operations"], refs)
    document["integrity"] = planfile.integrity(document)
    return planfile.dumps(document)


def _forge(path: Path, *, shown: bool, honest_impact: bool = True) -> None:
    """The issue's attack, the file resealed: the added operations replace the first ones
    while the changes stay as they were (``shown=False``: show displays only the honest
    changes), or come with changes of their own (``shown=True``)."""
    document = json.loads(path.read_text())
    for index, (pointer, live, desired) in enumerate(FORGED):
        operation = {"op": "replace", "path": pointer, "value": desired}
        if not shown:
            document["operations"][index] = operation
            continue
        document["operations"].append(operation)
        judged = classify(IDENTITY, pointer, live, desired, "change")
        impact = judged if honest_impact else judged.__class__("neutral", "")
        document["changes"].append(
            {
                "service": "identity",
                "pointer": pointer,
                "action": "change",
                "live": live,
                "live_present": True,
                "desired": desired,
                "note": "",
                "desired_pointer": None,
                "label": "",
                "source": None,
                "impact": {"impact": impact.impact, "reason": impact.reason},
                "details": [],
                "trait_changes": [],
            }
        )
    path.write_text(_reseal(document))


def test_operations_the_changes_do_not_show_are_refused_by_show_and_apply(
    run: Run, saved: Path, example_repo: Path, ory_server: OryTestServer
) -> None:
    _forge(saved, shown=False)
    for arguments in (["show", str(saved)], ["apply", "--plan", str(saved)]):
        result = run(*arguments, env=_env(ory_server), root=example_repo)
        assert result.code == 1
        assert "contradicts itself: operations[0] is not the change shown at " in result.err
        assert result.out == ""
    assert ory_server.writes() == []


def test_a_forged_plan_that_shows_what_it_sends_is_refused_by_apply(
    run: Run, saved: Path, example_repo: Path, ory_server: OryTestServer
) -> None:
    _forge(saved, shown=True)
    shown = run("show", str(saved), root=example_repo)
    assert shown.code == 0, shown.err  # nothing hidden: show displays the added changes
    assert "~ /selfservice/methods/password/enabled: true -> false" in shown.out
    assert "! weakens security: AAL downgrade highest_available → aal1" in shown.out
    before = ory_server.stored_identity_config(DEV)
    env = _env(ory_server)
    applied = run("apply", "--plan", str(saved), "--allow-weaken", env=env, root=example_repo)
    assert applied.code == 1
    assert (
        "Error: the saved plan of dev is not what the repository and live state give now (it "
        "was edited, or made by another reconciler version): the saved plan sends "
        '{"op":"replace","path":"/selfservice/methods/password/enabled","value":false}; '
        '{"op":"replace","path":"/session/whoami/required_aal","value":"aal1"}. Nothing was '
        "written. Run plan again and review it.\n"
    ) in applied.err
    assert applied.out == ""
    assert ory_server.writes() == []
    assert ory_server.stored_identity_config(DEV) == before


def test_a_weakening_change_marked_neutral_is_refused(
    run: Run, saved: Path, example_repo: Path, ory_server: OryTestServer
) -> None:
    _forge(saved, shown=True, honest_impact=False)
    for arguments in (["show", str(saved)], ["apply", "--plan", str(saved)]):
        result = run(*arguments, env=_env(ory_server), root=example_repo)
        assert result.code == 1
        assert (
            "contradicts itself: the change at /session/whoami/required_aal weakens security "
            "(AAL downgrade highest_available → aal1 at /session/whoami/required_aal)"
        ) in result.err
    assert ory_server.writes() == []


def test_the_weakening_gate_is_the_new_plans_not_the_files(
    run: Run, example_repo: Path, ory_server: OryTestServer
) -> None:
    # The repository itself lowers the AAL: the saved plan read back with every impact
    # claiming "neutral" (as a forger would) is still refused without --allow-weaken.
    dev = example_repo / "environments" / "dev.yaml"
    dev.write_text(dev.read_text() + "    flows:\n      settings: {required_aal: aal1}\n")
    out = example_repo / "plan.json"
    env = _env(ory_server)
    assert run("plan", "dev", "--out", str(out), env=env, root=example_repo).code == 0
    read = planfile_reader.read(out)
    neutral = tuple(i.__class__("neutral", "") for i in read.plan.impacts)
    forged = read.__class__(
        read.plan.__class__(**{**read.plan.__dict__, "impacts": neutral}),
        read.secrets,
        read.salt,
        read.desired_digest,
        read.operations_digest,
    )
    assert not forged.plan.weakening()
    settings = steps.Settings(root=example_repo, environ=env)
    with pytest.raises(ApplyError, match="weaken security: /selfservice/flows/settings/requ"):
        reconcile.apply_saved_plan(forged, settings)
    assert ory_server.writes() == []


def test_an_honest_plan_applies_what_it_shows(
    run: Run, saved: Path, example_repo: Path, ory_server: OryTestServer
) -> None:
    applied = run("apply", "--plan", str(saved), env=_env(ory_server), root=example_repo)
    assert applied.code == 0, applied.err
    assert "Apply complete: 1 added, 6 changed, 0 reset." in applied.out
    operations = json.loads(saved.read_text())["operations"]
    (write,) = ory_server.writes()
    assert [op["path"].removeprefix("/services/identity/config") for op in write.json_body] == [
        op["path"] for op in operations
    ]


# -- RECONCILER_PLAN_KEY ---------------------------------------------------------------------


def test_a_signed_plan_applies_with_its_key(
    run: Run, example_repo: Path, ory_server: OryTestServer
) -> None:
    env = _env(ory_server, RECONCILER_PLAN_KEY=PLAN_KEY)
    out = example_repo / "plan.json"
    planned = run("plan", "dev", "--out", str(out), env=env, root=example_repo)
    assert planned.code == 0, planned.err
    text = out.read_text()
    assert json.loads(text)["signature"].startswith("hmac-sha256:")
    assert PLAN_KEY not in text + planned.out + planned.err
    assert run("show", str(out), env=env, root=example_repo).code == 0
    applied = run("apply", "--plan", str(out), env=env, root=example_repo)
    assert applied.code == 0, applied.err
    assert len(ory_server.writes()) == 1


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("forged", "is not signed with RECONCILER_PLAN_KEY (its signature does not match)"),
        ("other-key", "is not signed with RECONCILER_PLAN_KEY (its signature does not match)"),
        ("unsigned", "is not signed, and RECONCILER_PLAN_KEY is set"),
    ],
)
def test_with_a_key_only_a_plan_signed_with_it_is_read(
    run: Run, example_repo: Path, ory_server: OryTestServer, case: str, message: str
) -> None:
    out = example_repo / "plan.json"
    signing = {"forged": PLAN_KEY, "other-key": OTHER_KEY, "unsigned": None}[case]
    extra = {"RECONCILER_PLAN_KEY": signing} if signing else {}
    planned = run(
        "plan", "dev", "--out", str(out), env=_env(ory_server, **extra), root=example_repo
    )
    assert planned.code == 0, planned.err
    if case == "forged":
        _forge(out, shown=True)  # every digest recomputed; the signature cannot be
    env = _env(ory_server, RECONCILER_PLAN_KEY=PLAN_KEY)
    for arguments in (["show", str(out)], ["apply", "--plan", str(out)]):
        result = run(*arguments, env=env, root=example_repo)
        assert result.code == 1
        assert message in result.err
        assert result.out == ""
    assert ory_server.writes() == []


def test_a_short_plan_key_is_refused(
    run: Run, example_repo: Path, ory_server: OryTestServer
) -> None:
    env = _env(ory_server, RECONCILER_PLAN_KEY="short-key")
    out = example_repo / "plan.json"
    result = run("plan", "dev", "--out", str(out), env=env, root=example_repo)
    assert result.code == 1
    assert "RECONCILER_PLAN_KEY is shorter than 32 characters" in result.err
    assert "short-key" not in result.err
    assert not out.exists()


def test_a_plan_made_with_rotate_secrets_is_planned_again_the_same_way(
    run: Run, example_repo: Path, ory_server: OryTestServer
) -> None:
    # Ory never returns the SMTP URI: only --rotate-secrets sends it again once it is set.
    dev = example_repo / "environments" / "dev.yaml"
    smtp = (
        "  courier:\n    smtp:\n      connection_uri: smtps://acme:${SMTP_PASSWORD}@mail.test:465\n"
    )
    dev.write_text(dev.read_text() + smtp)
    env = _env(ory_server, SMTP_PASSWORD="smtp-password-1")
    assert run("apply", "dev", "--yes", env=env, root=example_repo).code == 0
    rotated = _env(ory_server, SMTP_PASSWORD="smtp-password-2")
    out = example_repo / "plan.json"
    planned = run(
        "--rotate-secrets", "plan", "dev", "--out", str(out), env=rotated, root=example_repo
    )
    assert planned.code == 0, planned.err
    assert json.loads(out.read_text())["rotate_secrets"] is True
    applied = run("apply", "--plan", str(out), env=rotated, root=example_repo)
    assert applied.code == 0, applied.err
    stored = ory_server.stored_identity_config()["courier"]["smtp"]["connection_uri"]
    assert stored == "smtps://acme:smtp-password-2@mail.test:465"
