"""Hostile and huge input: in a GitOps pipeline anyone who can open a pull request writes the
files ``plan`` reads. Alias bombs, deep nesting and paths that leave the repository are refused
quickly, in bounded memory, with one located message; ``reconciler.yaml`` can move the bounds.

The corpus cases themselves (with their exact messages) live in tests/bad_inputs/.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.limits import DEFAULT_LIMITS, nesting_depth
from reconciler.loading import yamlio

from conftest import HOSTILE_HEADROOM_BYTES, Run
from ory_server import OryTestServer

# Every test here reads input a stranger may write: under a memory limit (conftest.py).
pytestmark = pytest.mark.hostile

CORPUS = Path(__file__).resolve().parents[1] / "bad_inputs"
PROJECT = "0e3c4b5a-7f1d-4e2a-9b8c-6d5e4f3a2b1c"
# The bar for each refusal, for a whole process as a user runs it.
SECONDS = 2.0
MEGABYTES = 200


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_DATA is Linux's")
def test_a_hostile_test_cannot_grow_its_worker_past_the_limit(memory_limit: int | None) -> None:
    """What every test here relies on: an allocation past the headroom fails at once."""
    assert memory_limit is not None
    with pytest.raises(MemoryError):
        bytearray(2 * HOSTILE_HEADROOM_BYTES)
    assert len(bytearray(HOSTILE_HEADROOM_BYTES // 4)) > 0  # the headroom itself is usable


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(CORPUS, root)
    return root


# Runs the CLI as a whole process and reports the process's own peak memory. VmHWM belongs to
# the process image, so unlike the rusage of a child it does not count the parent's pages the
# child shared between fork and exec (a large test process would inflate it).
_MEASURED_CLI = """
import sys
from reconciler.cli import main
code = main(sys.argv[1:])
with open("/proc/self/status") as status:
    sys.stderr.write("\\n" + next(line for line in status if line.startswith("VmHWM:")))
sys.exit(code)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's VmHWM")
@pytest.mark.parametrize(
    "name",
    ["alias-bomb", "deep-flow-sequence", "deep-hook-headers", "extends-outside-repository"],
)
def test_a_hostile_file_is_refused_fast_and_small(corpus: Path, name: str) -> None:
    command = [sys.executable, "-c", _MEASURED_CLI, "--dir", str(corpus), "validate", name]
    started = time.monotonic()
    child = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    elapsed = time.monotonic() - started
    output = child.stdout + child.stderr
    assert child.returncode == 1, output
    assert f"environments/{name}.yaml:" in output
    assert "Unexpected error" not in output and "Traceback" not in output
    assert elapsed < SECONDS, f"{name}: {elapsed:.2f} s"
    peak_kb = int(output.rsplit("VmHWM:", 1)[1].split()[0])
    assert peak_kb / 1024 < MEGABYTES, f"{name}: {peak_kb / 1024:.0f} MB"


def test_extends_through_a_symlink_that_leaves_the_repository_is_refused(
    tmp_path: Path, run: Run, write: object
) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("identity_config: {selfservice: {methods: {totp: {enabled: true}}}}\n")
    repo = tmp_path / "repo"
    (repo / "environments").mkdir(parents=True)
    (repo / "environments" / "linked.yaml").symlink_to(outside)
    (repo / "environments" / "dev.yaml").write_text("extends: linked.yaml\n")
    result = run("validate", "dev", root=repo)
    assert result.code == 1
    assert "extends: linked.yaml points outside the repository" in result.err
    assert "totp" not in result.out  # nothing of the outside file was merged


def test_a_path_no_file_system_takes_is_refused_not_a_crash(tmp_path: Path, run: Run) -> None:
    # Found by test_properties: `extends: "\\u0000"` crashed with ValueError in resolve().
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "dev.yaml").write_text('extends: "\\u0000"\n')
    result = run("validate", "dev")
    assert result.code == 1
    assert "dev.yaml:1:1: extends: '\\x00' is no usable path" in result.err
    assert "Unexpected error" not in result.err


RUNNER_SECRET = "runner-only-4f7e2a"  # in a file outside the repository


def _outside_and_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A folder of the runner's, next to a repository with one valid environment."""
    outside = tmp_path / "runner"
    outside.mkdir()
    (outside / "prod.yaml").write_text(
        f"identity_config: {{courier: {{smtp: {{from_name: {RUNNER_SECRET}}}}}}}\n"
    )
    repo = tmp_path / "repo"
    (repo / "environments").mkdir(parents=True)
    (repo / "environments" / "dev.yaml").write_text("identity_config: {}\n")
    return outside, repo


@pytest.mark.parametrize("command", ["render", "validate", "plan"])
def test_an_environment_file_linked_outside_the_repository_is_not_read(
    tmp_path: Path, run: Run, command: str
) -> None:
    outside, repo = _outside_and_repo(tmp_path)
    (repo / "environments" / "prod.yaml").symlink_to(outside / "prod.yaml")
    result = run(command, "prod", root=repo)
    assert result.code == 1
    assert "environments/prod.yaml points outside the repository" in result.err
    assert RUNNER_SECRET not in result.out + result.err


def test_an_environments_folder_linked_outside_the_repository_is_not_read(
    tmp_path: Path, run: Run
) -> None:
    outside, repo = _outside_and_repo(tmp_path)
    shutil.rmtree(repo / "environments")
    (repo / "environments").symlink_to(outside, target_is_directory=True)
    for arguments in (("render", "prod"), ("validate",), ("plan", "--all")):
        result = run(*arguments, root=repo)
        assert result.code == 1, arguments
        assert "environments/ points outside the repository" in result.err
        assert RUNNER_SECRET not in result.out + result.err


def test_reconciler_yaml_linked_outside_the_repository_is_not_read(
    tmp_path: Path, run: Run
) -> None:
    outside, repo = _outside_and_repo(tmp_path)
    (outside / "settings.yaml").write_text("limits: {max_depth: 50}\n")
    (repo / "reconciler.yaml").symlink_to(outside / "settings.yaml")
    result = run("validate", "dev", root=repo)
    assert result.code == 1
    assert "reconciler.yaml points outside the repository" in result.err


def test_links_that_stay_inside_the_repository_still_work(tmp_path: Path, run: Run) -> None:
    _, repo = _outside_and_repo(tmp_path)
    (repo / "common").mkdir()
    (repo / "common" / "prod.yaml").write_text(
        "identity_config: {courier: {smtp: {from_name: Acme}}}\n"
    )
    (repo / "environments" / "prod.yaml").symlink_to(repo / "common" / "prod.yaml")
    result = run("render", "prod", root=repo)
    assert result.code == 0, result.err
    assert "from_name: Acme" in result.out


def test_export_never_reads_a_file_a_kratos_file_links_outside_the_repository(
    tmp_path: Path, run: Run
) -> None:
    outside, repo = _outside_and_repo(tmp_path)
    (outside / "body.jsonnet").write_text(f'{{"token": "{RUNNER_SECRET}"}}\n')
    (repo / "kratos.yml").write_text(
        "dsn: memory\nselfservice:\n  flows:\n    login:\n      after:\n        hooks:\n"
        "          - hook: web_hook\n            config:\n"
        "              url: https://hooks.acme.test/login\n              method: POST\n"
        "              body: file://../runner/body.jsonnet\n"
    )
    kratos = str(repo / "kratos.yml")
    result = run("export", "local", "--kratos-file", kratos, "--out", "-", root=repo)
    assert result.code == 0, result.err
    written = "".join(p.read_text() for p in repo.rglob("*") if p.is_file())
    assert RUNNER_SECRET not in result.out + result.err + written


def test_a_kratos_file_target_outside_the_repository_is_never_read(
    tmp_path: Path, run: Run
) -> None:
    outside = tmp_path / "kratos.yml"
    outside.write_text("selfservice: {methods: {totp: {enabled: false}}}\n")
    before = outside.read_text()
    repo = tmp_path / "repo"
    (repo / "environments").mkdir(parents=True)
    (repo / "environments" / "local.yaml").write_text(
        "target: {kratos_file: {path: ../../kratos.yml}}\n"
        "identity_config: {selfservice: {methods: {totp: {enabled: true}}}}\n"
    )
    planned = run("plan", "local", root=repo)
    assert planned.code == 1
    assert "local.yaml:1:24: target.kratos_file.path: ../../kratos.yml points outside" in (
        planned.err
    )
    applied = run("apply", "local", "--yes", root=repo)
    assert applied.code == 1
    assert outside.read_text() == before


def _nested(depth: int) -> str:
    return "{a: " * depth + "1" + "}" * depth


def test_reconciler_yaml_can_lower_the_depth_limit(tmp_path: Path, run: Run) -> None:
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "dev.yaml").write_text(
        f"identity_config:\n  courier:\n    templates: {_nested(8)}\n"
    )
    assert run("render", "dev").code == 0
    (tmp_path / "reconciler.yaml").write_text("limits: {max_depth: 6}\n")
    lowered = run("render", "dev")
    assert lowered.code == 1
    assert "dev.yaml:3:" in lowered.err
    assert "nested deeper than 6 levels" in lowered.err
    (tmp_path / "environments" / "dev.yaml").write_text(
        f"identity_config:\n  courier:\n    templates: {_nested(120)}\n"
    )
    (tmp_path / "reconciler.yaml").unlink()
    assert "nested deeper than 100 levels" in run("render", "dev").err


@pytest.mark.parametrize(
    ("limit", "value", "ceiling"),
    [
        ("max_depth", 150, 100),
        ("max_depth", 5000, 100),
        ("max_nodes", 1_000_000_000, 50_000),
        ("max_file_bytes", 10485760, 5242880),
        ("max_aliases", 1001, 1000),
        ("max_plan_bytes", 2**40, 64 * 1024 * 1024),
    ],
)
def test_reconciler_yaml_cannot_raise_a_limit(
    tmp_path: Path, run: Run, limit: str, value: int, ceiling: int
) -> None:
    """A pull request may edit reconciler.yaml: it may lower a bound, never lift one."""
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "dev.yaml").write_text("identity_config: {}\n")
    (tmp_path / "reconciler.yaml").write_text(f"# bounds\nlimits:\n  {limit}: {value}\n")
    for command in ("render", "validate", "plan"):
        result = run(command, "dev")
        assert result.code == 1
        assert f"reconciler.yaml:3:3: limits.{limit}: must be at most {ceiling}, got {value}" in (
            result.err
        )
        assert "Unexpected error" not in result.err


def test_reconciler_yaml_node_limit_counts_expanded_aliases(tmp_path: Path, run: Run) -> None:
    (tmp_path / "environments").mkdir()
    # 3 x 40 hook headers through one alias: 40 values written, over 120 once expanded.
    headers = ", ".join(f"h{i}: v" for i in range(40))
    (tmp_path / "environments" / "dev.yaml").write_text(
        f"x-headers: &headers {{{headers}}}\n"
        "identity_config:\n  courier:\n    templates:\n"
        "      a: *headers\n      b: *headers\n      c: *headers\n"
    )
    (tmp_path / "reconciler.yaml").write_text("limits: {max_nodes: 200}\n")
    limited = run("render", "dev")
    assert limited.code == 1
    assert "more than 200 values once YAML aliases are expanded" in limited.err
    (tmp_path / "reconciler.yaml").write_text("limits: {max_nodes: 400}\n")
    assert "more than" not in run("render", "dev").err


def test_an_identity_schema_nested_too_deeply_is_refused_by_name(tmp_path: Path, run: Run) -> None:
    (tmp_path / "environments").mkdir()
    deep = ("[" * 5000 + "]" * 5000).encode()
    (tmp_path / "environments" / "dev.yaml").write_text(
        "identity_config:\n  identity:\n    default_schema_id: deep\n    schemas:\n"
        f"      - id: deep\n        url: base64://{base64.b64encode(deep).decode()}\n"
    )
    result = run("validate", "dev")
    assert result.code == 1
    assert "dev.yaml:6:9: identity_config.identity.schemas[deep].url" in result.err
    assert "nested deeper than 100 levels" in result.err
    assert "Unexpected error" not in result.err


def _saved_plan(run: Run, repo: Path, server: OryTestServer) -> tuple[Path, dict[str, str]]:
    server.add_project(project_id=PROJECT)
    (repo / "environments").mkdir()
    (repo / "environments" / "dev.yaml").write_text(
        f"target: {{ory_network: {{project: {PROJECT}}}}}\n"
        "identity_config: {selfservice: {methods: {totp: {enabled: true}}}}\n"
    )
    env = server.cli_env()
    out = repo / "plan.json"
    assert run("plan", "dev", "--out", str(out), env=env, root=repo).code == 0
    return out, env


def test_a_saved_plan_nested_too_deeply_is_refused(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    out, env = _saved_plan(run, tmp_path, ory_server)
    out.write_text('{"format_version": ' + "[" * 50_000 + "]" * 50_000 + "}")
    result = run("apply", "--plan", str(out), env=env)
    assert result.code == 1
    assert "is not valid JSON (truncated or corrupted?): nested deeper than" in result.err
    assert ory_server.writes() == []


def test_a_saved_plan_larger_than_the_limit_is_refused_unread(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    out, env = _saved_plan(run, tmp_path, ory_server)
    size = out.stat().st_size
    (tmp_path / "reconciler.yaml").write_text(f"limits: {{max_plan_bytes: {size - 1}}}\n")
    result = run("apply", "--plan", str(out), env=env)
    assert result.code == 1
    assert f"is larger than {size - 1} bytes" in result.err
    assert ory_server.writes() == []


def _values(value: object) -> int:
    """Values as the composer counts them: every node, mapping keys included."""
    if isinstance(value, dict):
        return 1 + sum(1 + _values(child) for child in value.values())
    if isinstance(value, list):
        return 1 + sum(_values(child) for child in value)
    return 1


def test_the_largest_real_configs_pass_every_limit_with_room_to_spare() -> None:
    corpus = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
    documents = [
        path
        for path in corpus.rglob("*")
        if path.suffix in {".yml", ".yaml", ".json"} and path.name != "corpus.yaml"
    ]
    assert len(documents) >= 30
    limits = DEFAULT_LIMITS
    for path in documents:
        data = yamlio.load_with_positions(path.read_text(encoding="utf-8")).data
        assert path.stat().st_size * 100 < limits.max_file_bytes, path
        # The largest, 682 values, is a whole project as the API returns it (identity,
        # permission and OAuth2 services): 73 times below the bound.
        assert _values(data) * 50 < limits.max_nodes, path
        assert nesting_depth(data) * 4 < limits.max_depth, path


# --- hostile input under a hard memory limit (issue 21, item 6) ----------------------------
# Each case runs the CLI in a process whose address space is capped at 300 MB: a regression
# fails (MemoryError, a native abort) instead of eating the machine.

ADDRESS_SPACE_BYTES = 300 * 1024 * 1024
_LIMITED_CLI = f"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE_BYTES}, {ADDRESS_SPACE_BYTES}))
from reconciler.entry import main
raise SystemExit(main())
"""
# The 620-byte alias bomb: ten strings, nine levels of ten aliases (10^9 values).
ALIAS_BOMB = "\n".join(
    [
        "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]",
        *(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)),
        "identity_config: {courier: {templates: {x: *a8}}}",
        "",
    ]
)


def _run_limited(repo: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    dropped = {"ORY_WORKSPACE_API_KEY", "ORY_CONSOLE_API_URL", "RECONCILER_KRATOS_SCHEMA"}
    environ = {k: v for k, v in os.environ.items() if k not in dropped}
    command = [sys.executable, "-c", _LIMITED_CLI, "--dir", str(repo), *arguments]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, env=environ, check=False
    )


def _refused(child: subprocess.CompletedProcess[str], message: str) -> None:
    output = child.stdout + child.stderr
    assert child.returncode == 1, output[-2000:]  # not killed by a signal, not a crash
    for crash in ("MemoryError", "Unexpected error", "Traceback", "memory allocation"):
        assert crash not in output
    assert message in output, output[-2000:]


def _environment(tmp_path: Path, text: str, name: str = "dev") -> Path:
    path = tmp_path / "environments" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return tmp_path


def test_raised_limits_and_a_620_byte_alias_bomb_stay_under_300_mb(tmp_path: Path) -> None:
    """The issue: limits raised in reconciler.yaml, then the bomb took 94 s and 3.8 GB."""
    assert len(ALIAS_BOMB) <= 620
    repo = _environment(tmp_path, ALIAS_BOMB)
    (repo / "reconciler.yaml").write_text(
        "limits: {max_nodes: 2000000000, max_depth: 1000, max_file_bytes: 1073741824}\n"
    )
    _refused(
        _run_limited(repo, "validate", "dev"),
        "reconciler.yaml:1:10: limits.max_nodes: must be at most 50000, got 2000000000",
    )
    (repo / "reconciler.yaml").unlink()
    _refused(
        _run_limited(repo, "plan", "dev"),
        "environments/dev.yaml:5:25: more than 50000 values once YAML aliases are expanded",
    )


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("    templates:\n" + "    - 1\n" * 650_000, "49997:7"),  # 5 MiB, block style
        ("    templates: [" + "1, " * 1_740_000 + "1]\n", "3:"),  # 5 MiB, flow style
    ],
)
def test_a_5_mib_list_is_refused_at_the_node_limit_under_300_mb(
    tmp_path: Path, body: str, line: str
) -> None:
    repo = _environment(tmp_path, "identity_config:\n  courier:\n" + body)
    assert (repo / "environments" / "dev.yaml").stat().st_size < 5 * 1024 * 1024
    child = _run_limited(repo, "validate", "dev")
    _refused(child, f"environments/dev.yaml:{line}")
    assert "more than 50000 values once YAML aliases are expanded" in child.stderr


def test_the_most_values_a_file_may_have_all_wrong_stays_under_300_mb(tmp_path: Path) -> None:
    """Just under the node limit, every key unknown: the worst the schema check is given."""
    count = DEFAULT_LIMITS.max_nodes // 2 - 100  # a key and its value are two values
    keys = "".join(f"      k{i}: v\n" for i in range(count))
    repo = _environment(tmp_path, "identity_config:\n  courier:\n    templates:\n" + keys)
    _refused(
        _run_limited(repo, "validate"), f"environments/dev.yaml:{count + 2}:7: identity_config"
    )


def test_a_run_holds_at_most_a_few_environments_at_the_limit(tmp_path: Path, run: Run) -> None:
    """plan A B C keeps every environment until it prints them: together they are bounded
    too (here with the node limit lowered to 2,000: a run holds 6,000 values at most)."""
    (tmp_path / "kratos.yml").write_text("dsn: memory\n")
    (tmp_path / "reconciler.yaml").write_text("limits: {max_nodes: 2000}\n")
    urls = "".join(f"      - https://app{i}.acme.test/\n" for i in range(1_600))
    for name in ("a", "b", "c", "d"):
        _environment(
            tmp_path,
            "target: {kratos_file: {path: ../kratos.yml}}\n"
            f"identity_config:\n  selfservice:\n    allowed_return_urls:\n{urls}",
            name,
        )
    result = run("plan", "a", "b", "c", "d")
    assert result.code == 1
    assert "Environment c: Kratos config file kratos.yml" in result.out
    assert "Environment d" not in result.out
    assert (
        "d: error: not planned: the environments of this run together have more than 6000 "
        "values once YAML aliases are expanded; plan fewer at once" in result.err
    )


def test_many_layers_through_extends_count_together(tmp_path: Path) -> None:
    """Twelve layers of 20,000 values each: each file is within the bound, together they
    are not, and the reader stops at the layer that goes over."""
    for index in range(12):
        parent = f"extends: layer{index + 1}.yaml\n" if index < 11 else ""
        keys = "".join(f"      k{i}: v\n" for i in range(10_000))  # same keys: merging adds none
        _environment(
            tmp_path,
            parent + "identity_config:\n  courier:\n    templates:\n" + keys,
            f"layer{index}",
        )
    _refused(
        _run_limited(tmp_path, "validate", "layer0"),
        "environments/layer2.yaml: this environment's layers together have more than 50000",
    )


def test_files_embedded_with_file_urls_count_together(tmp_path: Path) -> None:
    (tmp_path / "blobs").mkdir()
    for index in range(3):
        (tmp_path / "blobs" / f"{index}.txt").write_bytes(b"a" * (2 * 1024 * 1024))
    templates = "".join(
        f"      t{index}: {{email: {{body: {{plaintext: 'file://../blobs/{index}.txt'}}}}}}\n"
        for index in range(3)
    )
    repo = _environment(tmp_path, "identity_config:\n  courier:\n    templates:\n" + templates)
    _refused(
        _run_limited(repo, "validate", "dev"),
        "environments/dev.yaml:6:27: identity_config.courier.templates.t2.email.body.plaintext: "
        "file://../blobs/2.txt: this environment's files (its layers and file:// files) are "
        "together larger than 5242880 bytes",
    )
