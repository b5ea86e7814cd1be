"""export leaves out what names the project's own Ory domain (Account Experience URLs, link
base_url, webauthn/passkey rp), so a file exported from prod can start dev."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reconciler.jsontypes import get_at
from reconciler.yamlio import load_with_positions

from conftest import Run
from ory_server import OryTestServer

SLUG = "https://silly-hofstadter-e5balirqq2.projects.staging.oryapis.dev"  # the fixture's own
OTHER_PROJECT = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
_VARIABLE_LINE = re.compile(r"^  ([A-Z][A-Z0-9_]*): ", re.MULTILINE)


def _project_specific(config: dict[str, Any]) -> dict[str, Any]:
    """What the console writes for a project: absolute Account Experience URLs on its own
    domain, a link base_url, passkey and webauthn relying parties on it; plus decisions that
    are not project-specific (a custom domain's login UI, a mixed return-URL list)."""
    selfservice = config["selfservice"]
    selfservice["flows"]["login"]["ui_url"] = f"{SLUG}/ui/login"
    selfservice["flows"]["registration"]["ui_url"] = "https://login.acme.test/registration"
    selfservice["methods"]["link"]["config"]["base_url"] = SLUG
    selfservice["allowed_return_urls"] = [SLUG, "https://app.acme.test"]
    host = SLUG.removeprefix("https://")
    selfservice["methods"]["passkey"] = {
        "enabled": True,
        "config": {"rp": {"id": host, "display_name": "Acme", "origins": [SLUG]}},
    }
    return config


def _env(server: OryTestServer) -> dict[str, str]:
    return {"ORY_WORKSPACE_API_KEY": server.workspace_key, "ORY_CONSOLE_API_URL": server.base_url}


def test_export_leaves_out_the_project_domain_and_says_so(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    (tmp_path / "environments").mkdir()
    ory_server.console_edit(_project_specific)
    env = _env(ory_server)
    exported = run("export", "prod", "--target-project", ory_server.project_id, env=env)
    assert exported.code == 0, exported.err
    text = (tmp_path / "environments" / "prod.yaml").read_text()
    document: Any = load_with_positions(text).data
    config = document["identity_config"]
    mixed = config["selfservice"].pop("allowed_return_urls")  # kept whole, flagged for review
    assert mixed == [SLUG, "https://app.acme.test"]
    assert f'#   /selfservice/allowed_return_urls: ["{SLUG}", ' in text
    assert "oryapis" not in str(config)  # nothing else points at prod's own domain
    for pointer in (
        "/selfservice/flows/login/ui_url",
        "/selfservice/methods/link/config/base_url",
        "/selfservice/methods/passkey/config/rp/id",
        "/selfservice/methods/passkey/config/rp/origins",
        "/selfservice/methods/webauthn/config/rp/id",  # the fixture's, on an Ory domain too
    ):
        assert not get_at(config, pointer)[0], pointer
        assert f"#   {pointer}: " in text, pointer  # listed in the header
    assert get_at(config, "/selfservice/methods/passkey/enabled") == (True, True)
    assert get_at(config, "/selfservice/methods/passkey/config/rp/display_name") == (True, "Acme")
    registration = "/selfservice/flows/registration/ui_url"
    assert get_at(config, registration) == (True, "https://login.acme.test/registration")

    variables = {name: "stand-in" for name in _VARIABLE_LINE.findall(exported.err)}
    planned = run("plan", "prod", "--detailed-exitcode", env={**env, **variables})
    assert planned.code == 0, planned.out + planned.err  # still a clean round trip

    # Copied to start dev on another project: nothing of prod's domain is planned there.
    ory_server.add_project(project_id=OTHER_PROJECT)
    dev = text.replace(ory_server.project_id, OTHER_PROJECT)
    (tmp_path / "environments" / "dev.yaml").write_text(dev)
    planned_dev = run("plan", "dev", env={**env, **variables})
    assert "Plan: " in planned_dev.out, planned_dev.err
    assert "oryapis" not in planned_dev.out.replace(SLUG, "")  # only the flagged list


def test_export_extends_still_works_with_project_values(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "base.yaml").write_text(
        "identity_config:\n  selfservice:\n    methods:\n      passkey: {enabled: true}\n"
    )
    ory_server.console_edit(_project_specific)
    exported = run(
        "export",
        "prod",
        "--target-project",
        ory_server.project_id,
        "--extends",
        "base.yaml",
        "--out",
        "-",
        env=_env(ory_server),
    )
    assert exported.code == 0, exported.err
    document: Any = load_with_positions(exported.out).data
    assert document["extends"] == "base.yaml"
    config = document["identity_config"]
    assert not get_at(config, "/selfservice/methods/passkey/enabled")[0]  # base says it
    assert not get_at(config, "/selfservice/methods/passkey/config/rp/id")[0]
    assert config["selfservice"].pop("allowed_return_urls")[0] == SLUG  # kept, flagged
    assert "oryapis" not in str(config)
