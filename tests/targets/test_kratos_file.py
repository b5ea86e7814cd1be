"""The self-hosted Kratos config file target, through the CLI as a user runs it."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import QUICKSTART, Run

ENV = {"LOGIN_HOOK_KEY": "hook-key-for-tests"}


def test_plan_apply_plan_converges_and_keeps_comments(example_repo: Path, run: Run) -> None:
    kratos = example_repo / ".demo" / "kratos.yml"
    before = kratos.read_text()

    planned = run("plan", "local", "--detailed-exitcode", env=ENV)
    assert planned.code == 2, planned.err
    assert kratos.read_text() == before  # plan never writes
    assert "Plan: 7 to add, 3 to change, 1 to reset." in planned.out
    assert (
        '  ~ /selfservice/flows/settings/required_aal: "aal1" -> "highest_available"' in planned.out
    )

    applied = run("apply", "local", "--yes", env=ENV)
    assert applied.code == 0, applied.err
    assert "Apply complete: 7 added, 3 changed, 1 reset." in applied.out

    after = kratos.read_text()
    assert "# A self-hosted Kratos configuration" in after  # comments survive
    assert "    # Deprecated: has no effect any more." not in after  # went with its key
    assert "required_aal: highest_available" in after
    assert "value: hook-key-for-tests" in after  # Kratos needs the real value in its file
    # Key order is kept: version, dsn, serve still come first.
    assert after.index("version:") < after.index("dsn:") < after.index("serve:")

    again = run("plan", "local", "--detailed-exitcode", env=ENV)
    assert again.code == 0, again.out + again.err
    assert again.out.endswith("No changes.\n")


def test_file_changed_between_plan_and_apply_is_refused(example_repo: Path) -> None:
    from reconciler.errors import ConflictError
    from reconciler.usecases import applying, planning, steps

    settings = steps.Settings(root=example_repo, environ=ENV)
    valid = steps.load("local", settings)
    target = steps.open_target(valid, settings)
    plan = planning.plan_environment(valid, target, settings)
    kratos = example_repo / ".demo" / "kratos.yml"
    kratos.write_text(kratos.read_text() + "\n# edited by someone else\n")
    edited = kratos.read_text()
    try:
        applying.apply_plan(plan, valid, target, settings)
    except ConflictError as exc:
        assert "changed since this plan was made; nothing was written" in str(exc)
    else:
        raise AssertionError("apply should have been refused")
    assert kratos.read_text() == edited


def test_secret_from_variable_is_masked_in_plan_output(example_repo: Path, run: Run) -> None:
    planned = run("plan", "local", env=ENV)
    assert "hook-key-for-tests" not in planned.out + planned.err
    assert '"value": "(sensitive)"' in planned.out


def test_quickstart_config_file_schemas_compare_by_content(tmp_path: Path, run: Run) -> None:
    # The official quickstart references its identity schema with file://; an environment that
    # declares the same content inline must see no change.
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    shutil.copy(QUICKSTART / "email-password" / "kratos.yml", deploy / "kratos.yml")
    shutil.copy(
        QUICKSTART / "email-password" / "identity.schema.json", deploy / "identity.schema.json"
    )
    text = (
        (deploy / "kratos.yml")
        .read_text()
        .replace("file:///etc/config/kratos/identity.schema.json", "file://identity.schema.json")
    )
    (deploy / "kratos.yml").write_text(text)
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "local.yaml").write_text(
        "target: {kratos_file: {path: ../deploy/kratos.yml}}\n"
        "identity_config:\n"
        "  identity:\n"
        "    default_schema_id: default\n"
        "    schemas: [{id: default, url: 'file://../deploy/identity.schema.json'}]\n"
    )
    result = run("plan", "local", "--detailed-exitcode")
    assert result.code == 0, result.out + result.err


def test_secrets_in_a_kratos_file_are_compared_by_value(example_repo: Path, run: Run) -> None:
    # A Kratos file is not redacted: a changed secret is planned, still shown masked.
    assert run("apply", "local", "--yes", env=ENV).code == 0
    rotated = {"LOGIN_HOOK_KEY": "a-new-hook-key-9876"}
    planned = run("plan", "local", env=rotated)
    assert (
        "  ~ /selfservice/flows/login/after/hooks[web_hook http://127.0.0.1:4455/hooks/login]"
        ".config.auth.config.value: (sensitive) -> (sensitive)\n"
    ) in planned.out
    assert "a-new-hook-key-9876" not in planned.out + planned.err
    assert run("apply", "local", "--yes", env=rotated).code == 0
    kratos = (example_repo / ".demo" / "kratos.yml").read_text()
    assert "value: a-new-hook-key-9876" in kratos
    assert run("plan", "local", "--detailed-exitcode", env=rotated).code == 0


def _kratos_file_repository(root: Path, kratos: str, name: str, selfservice: str) -> Path:
    """``kratos.yml`` holding ``kratos``, and environment ``name`` targeting it with these
    lines under ``identity_config.selfservice``; returns the Kratos file."""
    path = root / "kratos.yml"
    path.write_text(kratos)
    (root / "environments").mkdir()
    (root / "environments" / f"{name}.yaml").write_text(
        "target: {kratos_file: {path: ../kratos.yml}}\n"
        f"identity_config:\n  selfservice:\n{selfservice}"
    )
    return path


# A Kratos file that shares one mapping between two flows through a YAML anchor: a write to
# one flow is a write to both.
ANCHORED = """\
version: v1.3.0
dsn: memory
selfservice:
  default_browser_return_url: https://app.acme.test/
  flows:
    # one lifespan for both flows, through an anchor
    login: &flow
      lifespan: 1h
    registration: *flow
"""


def test_an_apply_that_moves_another_declared_value_does_not_converge(
    tmp_path: Path, run: Run
) -> None:
    kratos = _kratos_file_repository(
        tmp_path,
        ANCHORED,
        "local",
        "    flows:\n      login: {lifespan: 30m}\n      registration: {lifespan: 1h}\n",
    )
    planned = run("plan", "local")
    assert '  ~ /selfservice/flows/login/lifespan: "1h" -> "30m"' in planned.out
    assert "Plan: 0 to add, 1 to change, 0 to reset." in planned.out

    applied = run("apply", "local", "--yes")
    assert applied.code == 1
    assert (
        "Error: the change was applied, but the target did not converge: these paths still "
        "differ from the desired state: /selfservice/flows/registration/lifespan."
    ) in applied.err
    assert "Apply complete" not in applied.out
    assert "login: &flow\n      lifespan: 30m\n    registration: *flow" in kratos.read_text()


# A hand-written Kratos file with comments in every place one goes: above the file, above a
# key, at the end of a key's line, inside a list, between keys and after the last one.
COMMENTED = """\
# Kratos for the staging cluster (hand-written)
version: v1.3.0
dsn: memory

selfservice:
  default_browser_return_url: https://app.acme.test/  # where users land
  # Return URLs the apps may ask for
  allowed_return_urls:
    - https://app.acme.test/
    # the admin console, added for SEC-12
    - https://admin.acme.test/
  methods:
    password:
      enabled: true  # on until passkeys are rolled out
    totp:
      # the second factor
      enabled: false
identity:
  default_schema_id: default
  schemas:
    - id: default
      url: file:///etc/config/kratos/identity.schema.json
# end of file
"""


def test_a_saved_plan_applied_to_a_kratos_file_keeps_every_comment_where_it_was(
    tmp_path: Path, run: Run
) -> None:
    kratos = _kratos_file_repository(
        tmp_path,
        COMMENTED,
        "staging",
        "    default_browser_return_url: https://www.acme.test/\n"
        "    methods: {password: {enabled: true}, totp: {enabled: true}}\n"
        "    flows: {login: {lifespan: 30m}}\n",
    )
    out = tmp_path / "plan.json"
    planned = run("plan", "staging", "--out", str(out))
    assert planned.code == 0, planned.out + planned.err
    assert "Plan: 1 to add, 2 to change, 0 to reset." in planned.out
    applied = run("apply", "--plan", str(out))
    assert applied.code == 0, applied.out + applied.err

    after = kratos.read_text()
    comments = [line.strip() for line in COMMENTED.splitlines() if "#" in line]
    assert [line.strip() for line in after.splitlines() if "#" in line] == [
        line.replace("https://app.acme.test/  #", "https://www.acme.test/  #") for line in comments
    ]
    assert "    totp:\n      # the second factor\n      enabled: true\n" in after
    assert after.startswith("# Kratos for the staging cluster") and after.endswith(
        "# end of file\n"
    )
    assert run("plan", "staging", "--detailed-exitcode").code == 0


def test_a_broken_kratos_file_is_named_with_its_own_line_and_nothing_is_written(
    example_repo: Path, run: Run
) -> None:
    kratos = example_repo / ".demo" / "kratos.yml"
    lines = kratos.read_text().splitlines(keepends=True)
    broken = "".join(lines[:3]) + "selfservice: [unclosed\n" + "".join(lines[3:])
    for text, said in (
        # The file's own line: the flow list opened on line 4 runs into line 6's key.
        (broken, ".demo/kratos.yml:6:4: invalid YAML: expected ',' or ']'"),
        ("- a list\n- not a config\n", ".demo/kratos.yml: a Kratos config file must be a YAML"),
    ):
        kratos.write_text(text)
        for command in (("plan", "local"), ("apply", "local", "--yes")):
            result = run(*command, env=ENV)
            assert result.code == 1 and said in result.err, result.err
            assert "Traceback" not in result.err
            assert kratos.read_text() == text
