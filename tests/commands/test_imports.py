"""Cold start: a command imports only what it uses (a pre-commit hook runs `validate` on every
commit). Each check is a new process, as a user starts it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import json, sys
from reconciler.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(repo: Path, *arguments: str) -> set[str]:
    environ = {k: v for k, v in os.environ.items() if k != "RECONCILER_KRATOS_SCHEMA"}
    environ["LOGIN_HOOK_KEY"] = "a-key-for-tests"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "--dir", str(repo), *arguments],
        capture_output=True,
        text=True,
        env=environ,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("arguments", "absent"),
    [
        (["validate"], {"httpx", "ssl"}),
        # No network target is opened: neither it nor its HTTP client is imported (the
        # kinds of target are declared: they say which schema judges each).
        (
            ["validate"],
            {"reconciler.targets.ory_network", "reconciler.targets.client", "httpx"},
        ),
        (["render", "dev"], {"httpx", "ssl", "jsonschema", "referencing"}),
        # The environment file is pydantic models (so validate imports pydantic); only reading
        # a saved plan builds the plan-file models (~15 ms).
        (["validate"], {"reconciler.plan.planfile_model"}),
        (["plan", "dev"], {"reconciler.plan.planfile_model"}),
    ],
)
def test_a_command_does_not_import_what_it_does_not_use(
    example_repo: Path, arguments: list[str], absent: set[str]
) -> None:
    modules = _modules_after(example_repo, *arguments)
    assert "reconciler.loading.loader" in modules  # it did run
    assert not absent & modules
