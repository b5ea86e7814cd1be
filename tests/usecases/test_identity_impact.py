"""Identity counts from the project API (issue 25 items 3 and 4): the plan of the forced-2FA
edit states how many identities it affects, equal to what the project holds; without the key
the plan still works and says how to get counts; the project key goes only to the project
API and is never printed; no trait value reaches any output."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import Run
from ory_server import OryTestServer, generated_identities

Write = Callable[[str, str], Path]

FORCED_2FA = """\
identity_config:
  selfservice:
    methods:
      code:
        mfa_enabled: true
  session:
    whoami:
      required_aal: highest_available
"""
# Planted in every identity's traits: none of it may reach any output.
PLANTED = "zq-planted-trait-7f3a"


def _target(server: OryTestServer) -> str:
    return f"target:\n  ory_network:\n    project: {server.project_id}\n"


def _env(server: OryTestServer, *, key: str | None = None) -> dict[str, str]:
    return {
        "ORY_WORKSPACE_API_KEY": server.workspace_key,
        "ORY_CONSOLE_API_URL": server.base_url,
        "ORY_PROJECT_API_KEY": server.project_key if key is None else key,
        "ORY_SDK_URL": server.base_url,
    }


def _planted(schema_id: str, index: int) -> dict[str, object]:
    if schema_id == "preset://email":
        return {"email": f"{PLANTED}-{index}@example.com"}
    return {"username": f"{PLANTED}-{index}"}


@pytest.fixture
def populated(ory_server: OryTestServer, write: Write) -> OryTestServer:
    """7 identities on preset://email (code address; TOTP on 0, 3, 6) and 5 on
    preset://username (TOTP on 0, 3): 7 get the code second factor, 4 of them have no other."""
    ory_server.add_identities(
        generated_identities(
            {"preset://email": 7, "preset://username": 5},
            totp_every=3,
            code_schemas=["preset://email"],
            traits=_planted,
        )
    )
    write("environments/prod.yaml", _target(ory_server) + FORCED_2FA)
    return ory_server


def _identity_requests(server: OryTestServer) -> list[str]:
    return [r.query for r in server.requests if r.path == "/admin/identities"]


def test_the_forced_2fa_plan_states_the_number_of_affected_identities(
    populated: OryTestServer, run: Run
) -> None:
    result = run("plan", "prod", env=_env(populated))
    assert result.code == 1, result.out + result.err  # the finding is an error, as before
    assert "Error [code-mfa-forces-2fa]" in result.out
    assert (
        "Read from the project (12 identities read): 7 identities have these schemas "
        "(preset://email 7); 7 identities have a one-time-code address and get the code second "
        "factor, 4 of them with no other second factor"
    ) in result.out
    assert "by schema: preset://email 7, preset://username 5" in result.out
    assert "by credential type: code 7, password 12, totp 5" in result.out
    assert "identities: 12 read" in result.err  # progress on stderr
    assert _identity_requests(populated) == ["page_size=500"]
    quiet = run("-q", "plan", "prod", env=_env(populated))
    assert "Read from the project (12 identities read)" in quiet.out
    assert "identities:" not in quiet.err  # -q: no progress


def test_the_project_key_goes_only_to_the_project_api(populated: OryTestServer, run: Run) -> None:
    result = run("plan", "prod", env=_env(populated))
    assert populated.project_key not in result.out + result.err
    for request in populated.requests:
        sent = request.headers.get("authorization", "")
        if request.path == "/admin/identities":
            assert sent == f"Bearer {populated.project_key}"
        else:
            assert populated.project_key not in sent


def test_pages_follow_the_link_header_and_a_sample_says_so(
    populated: OryTestServer, run: Run
) -> None:
    result = run("plan", "prod", "--identity-sample", "5", env=_env(populated))
    assert "(5 identities read (a sample: the project holds more))" in result.out
    assert _identity_requests(populated) == ["page_size=5"]
    populated.clear_requests()
    result = run("identities", "prod", "--format", "json", env=_env(populated))
    assert result.code == 0, result.err
    assert json.loads(result.out)["identities"]["read"] == 12
    assert len(_identity_requests(populated)) == 1


def test_without_the_key_the_plan_works_and_says_how_to_count(
    populated: OryTestServer, run: Run
) -> None:
    env = _env(populated)
    del env["ORY_PROJECT_API_KEY"]
    result = run("plan", "prod", env=env)
    assert "Error [code-mfa-forces-2fa]" in result.out
    assert (
        "To count the identities it affects, set ORY_PROJECT_API_KEY (a project API key, ory_pat_…)"
    ) in result.out
    assert _identity_requests(populated) == []


def test_no_identity_counts_reads_none(populated: OryTestServer, run: Run) -> None:
    result = run("plan", "prod", "--no-identity-counts", env=_env(populated))
    assert "Error [code-mfa-forces-2fa]" in result.out
    assert _identity_requests(populated) == []
    assert "Identities:" not in result.out


def test_a_wrong_key_is_a_warning_of_the_plan_and_never_printed(
    populated: OryTestServer, run: Run
) -> None:
    wrong = "ory_pat_wrong_" + "9" * 24
    result = run("plan", "prod", env=_env(populated, key=wrong))
    assert "identities not counted: the Ory project API" in result.out
    assert "rejected the project API key (401 Unauthorized)" in result.out
    assert wrong not in result.out + result.err
    failed = run("identities", "prod", env=_env(populated, key=wrong))
    assert failed.code == 1
    assert "401 Unauthorized" in failed.err
    assert wrong not in failed.out + failed.err


def test_no_trait_value_reaches_any_output(
    populated: OryTestServer, run: Run, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    outputs = [
        run("plan", "prod", "-v", "--out", str(saved), env=_env(populated)),
        run("plan", "prod", "--format", "json", env=_env(populated)),
        run("plan", "prod", "--format", "markdown", env=_env(populated)),
        run("identities", "prod", "-v", env=_env(populated)),
        run("identities", "prod", "--format", "json", env=_env(populated)),
    ]
    texts = [r.out + r.err for r in outputs]
    if saved.exists():
        texts.append(saved.read_text(encoding="utf-8"))
    assert "Identities: 12 identities read" in outputs[0].out  # the counts are there…
    assert "**Identities: 12 identities read from the project API (1 request).**" in (
        outputs[2].out
    )
    assert "- by schema: preset://email 7, preset://username 5" in outputs[2].out
    for text in texts:
        assert PLANTED not in text  # …and nothing of any identity
        assert "@example.com" not in text


def test_the_report_answers_which_users_have_email_2fa(populated: OryTestServer, run: Run) -> None:
    result = run("identities", "prod", env=_env(populated))
    assert result.code == 0, result.err
    assert "by schema: preset://email 7, preset://username 5" in result.out
    assert (
        "with a one-time-code address (the code second factor when code.mfa_enabled): 7, "
        "of them with no other second factor (TOTP, WebAuthn, lookup secrets): 4"
    ) in result.out
    assert "code.mfa_enabled is off in the live project" in result.out
    document = json.loads(run("identities", "prod", "--format", "json", env=_env(populated)).out)
    assert document["identities"]["code_second_factor"] == 7
    assert document["identities"]["code_only"] == 4
    assert document["identities"]["per_credential"] == {"code": 7, "password": 12, "totp": 5}


def test_the_report_needs_the_key(populated: OryTestServer, run: Run) -> None:
    env = _env(populated)
    del env["ORY_PROJECT_API_KEY"]
    result = run("identities", "prod", env=env)
    assert result.code == 1
    assert "ORY_PROJECT_API_KEY is not set" in result.err
    assert populated.requests == []


def test_the_report_refuses_an_unknown_flag_with_64(run: Run) -> None:
    assert run("identities", "prod", "--bogus").code == 64


CUSTOMER: dict[str, object] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "traits": {
            "type": "object",
            "properties": {"email": {"type": "string", "format": "email"}},
            "required": ["email"],
        }
    },
}


@pytest.fixture
def customers() -> Iterator[OryTestServer]:
    """12 identities on a console schema `customer`; 4 have an address longer than 20."""
    with OryTestServer(local_storage=True) as server:
        server.add_console_schema(CUSTOMER, "customer")

        def traits(_: str, index: int) -> dict[str, object]:
            local = f"{PLANTED}-{index}" if index % 3 == 0 else f"u{index}"
            return {"email": f"{local}@example.com"}

        server.add_identities(generated_identities({"customer": 12}, traits=traits))
        yield server


def test_a_default_switch_counts_the_identities_the_new_schema_would_refuse(
    customers: OryTestServer, write: Write, run: Run, tmp_path: Path
) -> None:
    stricter = json.loads(json.dumps(CUSTOMER))
    stricter["properties"]["traits"]["properties"]["email"]["maxLength"] = 20
    write("schemas/customer-v2.json", json.dumps(stricter))
    write(
        "environments/prod.yaml",
        _target(customers)
        + "identity_config:\n  identity:\n    default_schema_id: customer-v2\n    schemas:\n"
        "      - id: customer-v2\n        url: file://../schemas/customer-v2.json\n",
    )
    saved, moves = tmp_path / "plan.json", tmp_path / "migration.md"
    result = run(
        "plan", "prod", "--out", str(saved), "--migration-plan", str(moves), env=_env(customers)
    )
    assert result.code == 0, result.out + result.err
    assert (
        "failing customer -> customer-v2 (the new default): 4 of 12 (email maxLength 4)"
    ) in result.out
    assert PLANTED not in result.out + result.err + saved.read_text(encoding="utf-8")
    counts = json.loads(saved.read_text(encoding="utf-8"))["identity_counts"]
    assert counts["failing"] == {"customer -> customer-v2 (the new default)": 4}
    assert counts["checked"] == {"customer -> customer-v2 (the new default)": 12}
    assert counts["reasons"] == {
        "customer -> customer-v2 (the new default)": {"email maxLength": 4}
    }
    assert (counts["read"], counts["complete"], counts["pages"]) == (12, True, 1)
    # The migration plan (issue 25 item 5) states the same counts.
    migration = moves.read_text(encoding="utf-8")
    assert "Counts come from the project's identities" in migration
    assert "(count: 12)" in migration
    [row] = [line for line in migration.splitlines() if "| `traits.email` |" in line]
    assert row.endswith("| 4 |"), row  # the identities whose email breaks maxLength 20
    assert PLANTED not in migration
    shown = run("show", str(saved))
    assert shown.code == 0, shown.err
    assert "failing customer -> customer-v2 (the new default): 4 of 12" in shown.out


def test_a_target_may_name_its_own_project_key_variable(
    populated: OryTestServer, write: Write, run: Run
) -> None:
    write(
        "environments/prod.yaml",
        _target(populated) + "    project_api_key: ${ORY_PROJECT_API_KEY_PROD}\n" + FORCED_2FA,
    )
    env = _env(populated, key="ory_pat_the_wrong_one_000000")
    env["ORY_PROJECT_API_KEY_PROD"] = populated.project_key
    result = run("plan", "prod", env=env)
    assert "Identities: 12 identities read" in result.out, result.out + result.err
    assert populated.project_key not in result.out + result.err
    assert run("identities", "prod", env=env).code == 0


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("${GITHUB_TOKEN}", "may only name a variable whose name starts with ORY_PROJECT_API_KEY"),
        ("ory_pat_literal_key_in_a_file", "never the key itself"),
    ],
)
def test_a_file_cannot_send_another_secret_to_the_project_api(
    populated: OryTestServer, write: Write, run: Run, written: str, message: str
) -> None:
    token = "ghp_attackerwantsthis0123456789"
    with OryTestServer() as attacker:
        write(
            "environments/prod.yaml",
            _target(populated) + f"    project_api_key: {written}\n" + FORCED_2FA,
        )
        env = {**_env(populated), "GITHUB_TOKEN": token, "ORY_SDK_URL": attacker.base_url}
        for command in (("validate", "prod"), ("plan", "prod"), ("identities", "prod")):
            result = run(*command, env=env)
            assert result.code == 1, command
            assert "environments/prod.yaml:4:" in result.err, result.err
            assert message in result.err
            assert token not in result.out + result.err
        assert attacker.requests == []
        assert populated.requests == []


def test_a_kratos_file_holds_no_identities_to_count(example_repo: Path, run: Run) -> None:
    result = run(
        "identities",
        "local",
        env={"ORY_PROJECT_API_KEY": "ory_pat_x_0123456789"},
        root=example_repo,
    )
    assert result.code == 1
    assert "holds no identities to count (ory_network only)" in result.err
    assert "Traceback" not in result.err
    env = {"ORY_PROJECT_API_KEY": "ory_pat_x_0123456789", "LOGIN_HOOK_KEY": "hook-key-value"}
    planned = run("plan", "local", env=env, root=example_repo)
    assert "Plan:" in planned.out or "No changes." in planned.out, planned.out + planned.err
    assert "Identities:" not in planned.out and "identities" not in planned.err


def test_apply_shows_the_counts_and_the_comparing_commands_read_none(
    populated: OryTestServer, write: Write, run: Run
) -> None:
    write(
        "environments/prod.yaml",
        _target(populated) + "identity_config:\n  selfservice:\n    methods:\n"
        "      totp: {enabled: true}\n",
    )
    applied = run("apply", "prod", "--yes", env=_env(populated))
    assert applied.code == 0, applied.out + applied.err
    assert "Identities: 12 identities read" in applied.out + applied.err
    assert len(_identity_requests(populated)) == 1  # the plan's; verifying reads none
    populated.clear_requests()
    assert run("adopt", "prod", env=_env(populated)).code == 0
    assert run("apply", "prod", "--yes", "--no-identity-counts", env=_env(populated)).code == 0
    assert _identity_requests(populated) == []


@pytest.mark.ory_server
def test_the_report_reads_a_schema_storage_no_longer_serves_from_the_repository(
    write: Write, run: Run
) -> None:
    # As plan does (issue 25): the bytes Ory stored, found by digest under schemas/.
    coded = json.loads(json.dumps(CUSTOMER))
    email = coded["properties"]["traits"]["properties"]["email"]
    email["ory.sh/kratos"] = {"credentials": {"code": {"identifier": True, "via": "email"}}}
    with OryTestServer(local_storage=True) as server:
        server.add_console_schema(coded, "customer")
        people = generated_identities({"customer": 3}, code_schemas=["customer"])
        for person in people:  # only the schema's traits say who has an address
            person["credentials"].pop("code", None)
        server.add_identities(people)
        write("environments/prod.yaml", _target(server))
        server.storage.clear()  # storage answers 404
        write("schemas/customer.schema.json", json.dumps(coded))  # the bytes Ory stored
        result = run("identities", "prod", "--format", "json", env=_env(server))
    assert result.code == 0, result.err
    assert json.loads(result.out)["identities"]["code_second_factor"] == 3
