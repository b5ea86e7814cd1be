"""``plan --all --shard I/N``: a CI job matrix splits the environments; each one's shard
depends on its name alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ory_behaviour import RateMeter

from reconciler.usecases import steps

from conftest import Run, project_environments
from ory_server import OryTestServer

NAMES = [f"customer-{index:04}" for index in range(400)]


def test_every_environment_is_in_exactly_one_shard_and_shards_are_balanced() -> None:
    shards = [steps.shard_names(NAMES, shard, 4) for shard in range(1, 5)]
    assert sorted(name for shard in shards for name in shard) == NAMES
    assert all(60 <= len(shard) <= 140 for shard in shards), [len(s) for s in shards]
    assert steps.shard_names(NAMES, 1, 1) == NAMES


def test_a_shard_depends_on_the_name_alone() -> None:
    assignment = {name: steps.shard_of(name, 8) for name in NAMES}
    # Adding or removing other environments moves nobody.
    assert steps.shard_names(NAMES[::3], 5, 8) == [
        name for name in NAMES[::3] if assignment[name] == 5
    ]
    # The same in another process (not Python's per-process salted hash()).
    code = "from reconciler.usecases import steps; print(steps.shard_of('customer-0007', 8))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(other.stdout) == assignment["customer-0007"]


def test_plan_all_with_a_shard_plans_only_its_environments(
    run: Run, example_repo: Path, ory_server: OryTestServer
) -> None:
    for name in ("local", "prod", "dev"):
        (example_repo / "environments" / f"{name}.yaml").unlink()
    names = project_environments(example_repo, ory_server, (f"env{index}" for index in range(6)))
    env = ory_server.cli_env()
    planned = []
    for shard in (1, 2, 3):
        result = run("plan", "--all", "--shard", f"{shard}/3", env=env, root=example_repo)
        assert result.code == 0, result.err
        headers = [line for line in result.out.splitlines() if line.startswith("Environment ")]
        planned.append([line.split(":")[0].removeprefix("Environment ") for line in headers])
    assert sorted(name for shard in planned for name in shard) == names
    assert planned[1] == steps.shard_names(names, 2, 3)


KRATOS_FILE = """\
dsn: memory
selfservice:
  default_browser_return_url: https://app.acme.test/
identity:
  default_schema_id: default
  schemas:
    - id: default
      url: file:///etc/config/kratos/identity.schema.json
"""


def test_shards_keep_each_job_within_what_one_run_may_hold(tmp_path: Path, run: Run) -> None:
    """What sharding is for: a run holds at most three environments at the node limit
    (``limits.RUN_ENVIRONMENTS``; 2,000 here), so --all over four is cut short, and each of
    two shards plans its own two in full. Kratos files: no server involved."""
    (tmp_path / "kratos.yml").write_text(KRATOS_FILE)
    (tmp_path / "reconciler.yaml").write_text("limits: {max_nodes: 2000}\n")
    urls = "".join(f"      - https://app{i}.acme.test/\n" for i in range(1_600))
    (tmp_path / "environments").mkdir()
    for name in ("team-a", "team-b", "team-c", "team-d"):  # shards 1, 1, 2, 2 of 2
        (tmp_path / "environments" / f"{name}.yaml").write_text(
            "target: {kratos_file: {path: ../kratos.yml}}\n"
            f"identity_config:\n  selfservice:\n    allowed_return_urls:\n{urls}"
        )
    everything = run("plan", "--all")
    assert everything.code == 1
    assert "team-d: error: not planned: the environments of this run together" in everything.err
    for shard, names in (("1/2", ["team-a", "team-b"]), ("2/2", ["team-c", "team-d"])):
        result = run("plan", "--all", "--shard", shard)
        assert result.code == 0, result.err
        headers = [line for line in result.out.splitlines() if line.startswith("Environment ")]
        assert [line.split(":")[0].removeprefix("Environment ") for line in headers] == names


def test_a_bad_shard_is_a_usage_error(run: Run, example_repo: Path) -> None:
    for arguments in (
        ["--all", "--shard", "0/3"],
        ["--all", "--shard", "4/3"],
        ["--all", "--shard", "x"],
        ["dev", "--shard", "1/2"],
    ):
        result = run("plan", *arguments, root=example_repo)
        assert result.code == 64, (arguments, result.err)  # usage error (EX_USAGE)
        assert "--shard" in result.err


@pytest.mark.ory_server
def test_a_shard_starts_at_its_part_of_the_key_then_the_counts_decide(
    run: Run, example_repo: Path, retry_waits: list[float]
) -> None:
    # Four jobs of a matrix start together behind one key: each sending at the whole limit
    # until the counts show the others cost 70 refusals a run in bench/shards.py, a quarter
    # each none. A quarter of Ory's 10 per second: 2 sends per 1.1 s (ratelimit.Pacer).
    for name in ("local", "prod", "dev"):
        (example_repo / "environments" / f"{name}.yaml").unlink()
    names = [name for name in NAMES if steps.shard_of(name, 4) == 1][:5]
    with OryTestServer(rate_meter=RateMeter()) as server:
        # Every send is booked before a second answer comes: a lone job's answers soon show
        # nobody else counted (SharedUse), and from then on it takes the whole limit.
        server.latency = 0.3
        project_environments(example_repo, server, names)
        env = server.cli_env()
        shard = run("plan", "--all", "--shard", "1/4", "-q", env=env, root=example_repo)
        shard_waits = list(retry_waits)
        retry_waits.clear()
        alone = run("plan", "--all", "-q", env=env, root=example_repo)
    assert shard.code == alone.code == 0, shard.err + alone.err
    # Two sends per 1.1 s window: the fifth goes out 2.2 s after the probe, 1.9 s after its
    # answer. The test's sleeps return at once and move the client's clock on by what they
    # skipped, so the waits add up to that span, give or take the time the test itself took.
    assert sum(wait for wait in shard_waits if wait > 0) >= 1.0, shard_waits
    assert [wait for wait in retry_waits if wait > 0] == []  # alone: five fit in the burst
