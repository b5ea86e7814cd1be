"""Two applies racing on one target: exactly one wins, the other changes nothing and says so.

The plans are made first (both against the same revision) and the applies are released
together from a barrier, so the race happens where it matters: at the write.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from reconciler.errors import ConflictError
from reconciler.loading.validate import ValidEnvironment
from reconciler.plan.value import Plan
from reconciler.targets import Target
from reconciler.usecases import applying, planning, steps

from ory_server import OryTestServer

HOOK_KEY = "hook-key-for-tests"
Apply = Callable[[], object]
Prepared = tuple[ValidEnvironment, Target, Plan]


def _prepare(name: str, settings: steps.Settings) -> Prepared:
    valid = steps.load(name, settings)
    target = steps.open_target(valid, settings)
    return valid, target, planning.plan_environment(valid, target, settings)


def _applier(prepared: Prepared, settings: steps.Settings) -> Apply:
    valid, target, plan = prepared
    return lambda: applying.apply_plan(plan, valid, target, settings)


def _race(applies: dict[str, Apply]) -> dict[str, BaseException | None]:
    """Run the applies in threads released together; the exception each raised, if any."""
    start = threading.Barrier(len(applies))
    outcomes: dict[str, BaseException | None] = {}

    def runner(name: str, apply: Apply) -> None:
        start.wait(timeout=5)
        try:
            apply()
            outcomes[name] = None
        except BaseException as exc:  # recorded for the assertions
            outcomes[name] = exc

    threads = [threading.Thread(target=runner, args=item) for item in applies.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return outcomes


def _network_settings(repo: Path, server: OryTestServer) -> steps.Settings:
    environ = {
        "ORY_WORKSPACE_API_KEY": server.workspace_key,
        "ORY_CONSOLE_API_URL": server.base_url,
        "LOGIN_HOOK_KEY": HOOK_KEY,
    }
    return steps.Settings(root=repo, environ=environ)


def _overlay(repo: Path, name: str, target: str, issuer: str) -> None:
    (repo / "environments" / f"{name}.yaml").write_text(
        f"extends: base.yaml\ntarget:\n{target}\n"
        f"identity_config:\n  selfservice:\n    methods:\n      totp:\n"
        f"        config:\n          issuer: {issuer}\n"
    )


def _winner_and_loser(outcomes: dict[str, BaseException | None]) -> tuple[str, BaseException]:
    winners = [name for name, error in outcomes.items() if error is None]
    losers = [error for error in outcomes.values() if error is not None]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1 and isinstance(losers[0], ConflictError), outcomes
    return winners[0], losers[0]


def test_two_applies_on_one_project_one_wins(example_repo: Path, ory_server: OryTestServer) -> None:
    project = f"  ory_network:\n    project: {ory_server.project_id}"
    _overlay(example_repo, "blue", project, "Blue")
    _overlay(example_repo, "green", project, "Green")
    settings = _network_settings(example_repo, ory_server)
    prepared = {name: _prepare(name, settings) for name in ("blue", "green")}
    assert prepared["blue"][2].revision == prepared["green"][2].revision

    outcomes = _race({name: _applier(p, settings) for name, p in prepared.items()})
    for _, target, _ in prepared.values():
        target.close()

    winner, loser = _winner_and_loser(outcomes)
    assert "changed since this plan was made" in str(loser)
    assert "nothing was changed. Run plan again." in str(loser)
    # Both were sent, pinned to the same revision; exactly one applied.
    assert len(ory_server.writes()) == 2
    assert len(ory_server.applied_patches) == 1
    issuer = ory_server.stored_identity_config()["selfservice"]["methods"]["totp"]["config"]
    assert issuer["issuer"] == winner.capitalize()


def test_two_applies_on_one_kratos_file_one_wins(example_repo: Path) -> None:
    kratos_file = "  kratos_file:\n    path: ../.demo/kratos.yml"
    _overlay(example_repo, "blue", kratos_file, "Blue")
    _overlay(example_repo, "green", kratos_file, "Green")
    settings = steps.Settings(root=example_repo, environ={"LOGIN_HOOK_KEY": HOOK_KEY})
    prepared = {name: _prepare(name, settings) for name in ("blue", "green")}

    outcomes = _race({name: _applier(p, settings) for name, p in prepared.items()})

    winner, loser = _winner_and_loser(outcomes)
    assert "changed since this plan was made; nothing was written" in str(loser)
    text = (example_repo / ".demo" / "kratos.yml").read_text()
    assert f"issuer: {winner.capitalize()}" in text
    assert "issuer: Blue" not in text or "issuer: Green" not in text
    assert not list((example_repo / ".demo").glob("*.tmp*"))  # no temp file left behind


def test_kratos_apply_waits_for_the_lock_then_sees_the_edit(example_repo: Path) -> None:
    """The hash is compared under the lock: an edit made while another holder had the lock
    is seen, and the apply is refused instead of overwriting it."""
    kratos = example_repo / ".demo" / "kratos.yml"
    settings = steps.Settings(root=example_repo, environ={"LOGIN_HOOK_KEY": HOOK_KEY})
    valid, target, plan = _prepare("local", settings)
    errors: list[BaseException] = []

    def apply() -> None:
        try:
            applying.apply_plan(plan, valid, target, settings)
        except BaseException as exc:  # recorded for the assertions
            errors.append(exc)

    with FileLock(kratos.with_name("kratos.yml.lock")):
        worker = threading.Thread(target=apply)
        worker.start()
        worker.join(timeout=0.3)
        assert worker.is_alive()  # blocked on the lock, has written nothing
        kratos.write_text(kratos.read_text() + "# edited by the lock holder\n")
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], ConflictError)
    assert kratos.read_text().endswith("# edited by the lock holder\n")


@pytest.mark.parametrize("first", ["blue", "green"])
def test_the_second_of_two_sequential_applies_changes_nothing(
    example_repo: Path, ory_server: OryTestServer, first: str
) -> None:
    project = f"  ory_network:\n    project: {ory_server.project_id}"
    _overlay(example_repo, "blue", project, "Blue")
    _overlay(example_repo, "green", project, "Green")
    settings = _network_settings(example_repo, ory_server)
    prepared = {name: _prepare(name, settings) for name in ("blue", "green")}
    second = "green" if first == "blue" else "blue"
    applying.apply_plan(prepared[first][2], prepared[first][0], prepared[first][1], settings)
    after_first = ory_server.stored_identity_config()
    with pytest.raises(ConflictError):
        applying.apply_plan(prepared[second][2], prepared[second][0], prepared[second][1], settings)
    assert ory_server.stored_identity_config() == after_first
    for _, target, _ in prepared.values():
        target.close()
