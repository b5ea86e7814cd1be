"""The user's own Ory Network project onboards clean (issue 22): with the support-case
document (the real `ory get identity-config` output of this tool's first user, in the corpus
as ``network-support-case``) as the live project, ``init --from-project`` writes a file that
``validate`` accepts without a warning and that plans "No changes"; no plan of it warns about
a key the project itself returns; the typo this tool exists to catch is an error; a SAML
provider can be declared."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.loading.yamlio import dump_plain, load_with_positions

import corpus
from conftest import Run
from corpus_steps import escape_dollars
from ory_server import OryTestServer

Write = Callable[[str, str], Path]
SUPPORT_CASE = "network-support-case"


@pytest.fixture
def project(ory_server: OryTestServer) -> str:
    entry = next(e for e in corpus.entries() if e.name == SUPPORT_CASE)
    return ory_server.add_project(corpus.network_seed(entry))


def _target(project: str) -> str:
    return f"target:\n  ory_network:\n    project: {project}\n"


def test_init_from_the_project_validates_clean_and_plans_no_changes(
    tmp_path: Path, run: Run, ory_server: OryTestServer, project: str
) -> None:
    env = ory_server.cli_env()
    created = run("init", "--from-project", project, env=env)
    assert created.code == 0, created.out + created.err
    checked = run("validate", env=env)
    assert checked.code == 0, checked.out + checked.err
    assert "Warning" not in checked.out + checked.err
    planned = run("plan", "dev", "--detailed-exitcode", env=env)
    assert planned.code == 0, planned.out + planned.err
    assert "Warning" not in planned.out + planned.err
    assert "No changes." in planned.out
    # Nothing was left out for being unknown: the shipped shape knows every key it holds.
    text = (tmp_path / "environments" / "dev.yaml").read_text(encoding="utf-8")
    assert "does not know" not in text
    document: Any = load_with_positions(text).data
    config = document["identity_config"]
    after = config["selfservice"]["flows"]["registration"]["after"]
    assert after["saml"] == {"hooks": [{"hook": "session"}]}
    assert config["selfservice"]["methods"]["captcha"]["config"]["provider"] == "cf-turnstile"


def test_the_live_config_as_desired_state_validates_clean_and_plans_no_changes(
    write: Write, run: Run, ory_server: OryTestServer, project: str
) -> None:
    live: Any = ory_server.project_document(project)["services"]["identity"]["config"]
    document = {"target": {"ory_network": {"project": project}}, "identity_config": live}
    write("environments/mirror.yaml", dump_plain(escape_dollars(document)))
    checked = run("validate", "mirror")
    assert checked.code == 0, checked.out + checked.err
    assert "Warning" not in checked.out + checked.err
    planned = run("plan", "mirror", "--detailed-exitcode", env=ory_server.cli_env())
    assert planned.code == 0, planned.out + planned.err
    assert "No changes." in planned.out


def test_no_plan_of_the_project_warns_about_keys_it_returns(
    write: Write, run: Run, ory_server: OryTestServer, project: str
) -> None:
    # An environment that manages one setting: every other key comes from live only.
    write(
        "environments/prod.yaml",
        _target(project) + "identity_config:\n  selfservice:\n    methods:\n"
        "      code:\n        mfa_enabled: false\n",
    )
    planned = run("plan", "prod", "--detailed-exitcode", env=ory_server.cli_env())
    assert planned.code == 0, planned.out + planned.err
    assert "[schema]" not in planned.out + planned.err
    live = ory_server.stored_identity_config(project)
    # The keys four warnings named before (issue 22) are in the live project.
    assert "saml" in live["selfservice"]["flows"]["registration"]["after"]
    assert live["selfservice"]["methods"]["captcha"]["config"]["provider"] == "cf-turnstile"


def test_the_mfa_enabled_typo_is_an_error_naming_the_key(write: Write, run: Run) -> None:
    write(
        "environments/prod.yaml",
        "identity_config:\n  selfservice:\n    methods:\n      code:\n        mfa_enabeld: true\n",
    )
    result = run("validate", "prod")
    assert result.code == 1
    assert "Error [schema] " in result.err
    assert (
        "environments/prod.yaml:5:9: "
        "identity_config.selfservice.methods.code.mfa_enabeld: `mfa_enabeld` at "
        "/selfservice/methods/code is unknown to the OSS Kratos config schema; did you mean "
        "`mfa_enabled`?"
    ) in result.err


def test_the_typo_is_an_error_on_plan_too_before_any_request(
    write: Write, run: Run, ory_server: OryTestServer, project: str
) -> None:
    write(
        "environments/prod.yaml",
        _target(project) + "identity_config:\n  selfservice:\n    methods:\n      code:\n"
        "        mfa_enabeld: true\n",
    )
    result = run("apply", "prod", "--yes", env=ory_server.cli_env())
    assert result.code == 1
    assert "did you mean `mfa_enabled`?" in result.out + result.err
    # Ory drops such a typo silently, so no live project holds it: refused before any request.
    assert ory_server.requests == []


def test_another_unknown_key_of_an_open_object_is_a_warning(write: Write, run: Run) -> None:
    write(
        "environments/prod.yaml",
        "identity_config:\n  selfservice:\n    methods:\n      code:\n"
        "        fallback_policy: strict\n",
    )
    result = run("validate", "prod")
    assert result.code == 0, result.err
    assert "Warning [schema] " in result.err
    assert "environments/prod.yaml:5:9: identity_config.selfservice.methods.code." in result.err
    assert "Ory Network accepts it there and silently drops it" in result.out + result.err


SAML = """identity_config:
  selfservice:
    methods:
      saml:
        enabled: true
        config:
          providers:
            - id: corporate
              label: Corporate SSO
              raw_idp_metadata_xml: base64://PEVudGl0eURlc2NyaXB0b3IvPg==
              mapper_url: base64://bG9jYWwgY2xhaW1zID0gc3RkLmV4dFZhcignY2xhaW1zJyk7IHt9
"""


def test_a_declared_saml_provider_validates_plans_and_applies(
    write: Write, run: Run, ory_server: OryTestServer, project: str
) -> None:
    write("environments/prod.yaml", _target(project) + SAML)
    checked = run("validate", "prod")
    assert checked.code == 0, checked.out + checked.err
    assert "Warning" not in checked.out + checked.err
    env = ory_server.cli_env()
    planned = run("plan", "prod", "--detailed-exitcode", env=env)
    assert planned.code == 2, planned.out + planned.err
    assert "/selfservice/methods/saml" in planned.out
    applied = run("apply", "prod", "--yes", env=env)
    assert applied.code == 0, applied.out + applied.err
    saml = ory_server.stored_identity_config(project)["selfservice"]["methods"]["saml"]
    assert saml["enabled"] is True
    assert [p["id"] for p in saml["config"]["providers"]] == ["corporate"]
    again = run("plan", "prod", "--detailed-exitcode", env=env)
    assert again.code == 0, again.out + again.err
