"""export leaves out what names the project's own Ory domain (Account Experience URLs, link
base_url, webauthn/passkey rp), so a file exported from prod can start dev; but never what
an enabled method needs: the file it writes validates (issue 22, item 4)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reconciler.jsontypes import get_at
from reconciler.loading.yamlio import load_with_positions

from conftest import Result, Run
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


def test_export_leaves_out_the_project_domain_and_says_so(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    (tmp_path / "environments").mkdir()
    ory_server.console_edit(_project_specific)
    env = ory_server.cli_env()
    exported = run("export", "prod", "--target-project", ory_server.project_id, env=env)
    assert exported.code == 0, exported.err
    text = (tmp_path / "environments" / "prod.yaml").read_text()
    document: Any = load_with_positions(text).data
    config = document["identity_config"]
    mixed = config["selfservice"].pop("allowed_return_urls")  # kept whole, flagged for review
    assert mixed == [SLUG, "https://app.acme.test"]
    assert f'#   /selfservice/allowed_return_urls: ["{SLUG}", ' in text
    # The enabled passkey method cannot work without its relying party: kept, flagged.
    rp = config["selfservice"]["methods"]["passkey"]["config"].pop("rp")
    assert rp == {"id": SLUG.removeprefix("https://"), "display_name": "Acme", "origins": [SLUG]}
    kept = text.split("# Kept, but")[1].split("\n# Left out")[0]
    assert "#   /selfservice/methods/passkey/config/rp/id: " in kept
    assert "oryapis" not in str(config)  # nothing else points at prod's own domain
    for pointer in (
        "/selfservice/flows/login/ui_url",
        "/selfservice/methods/link/config/base_url",
        "/selfservice/methods/webauthn/config/rp/id",  # the fixture's, on an Ory domain too
    ):
        assert not get_at(config, pointer)[0], pointer
        assert f"#   {pointer}: " in text, pointer  # listed in the header
    assert get_at(config, "/selfservice/methods/passkey/enabled") == (True, True)
    registration = "/selfservice/flows/registration/ui_url"
    assert get_at(config, registration) == (True, "https://login.acme.test/registration")

    variables = {name: "stand-in" for name in _VARIABLE_LINE.findall(exported.err)}
    checked = run("validate", "prod", env=variables)
    assert checked.code == 0, checked.out + checked.err  # export writes what validate accepts
    planned = run("plan", "prod", "--detailed-exitcode", env={**env, **variables})
    assert planned.code == 0, planned.out + planned.err  # still a clean round trip

    # Copied to start dev on another project: nothing of prod's domain is planned there.
    ory_server.add_project(project_id=OTHER_PROJECT)
    dev = text.replace(ory_server.project_id, OTHER_PROJECT)
    (tmp_path / "environments" / "dev.yaml").write_text(dev)
    planned_dev = run("plan", "dev", env={**env, **variables})
    assert "Plan: " in planned_dev.out, planned_dev.err
    flagged = planned_dev.out.replace(SLUG, "").replace(SLUG.removeprefix("https://"), "")
    assert "oryapis" not in flagged  # only the flagged values


def test_a_name_that_happens_to_be_the_project_host_is_exported(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    # Only a relying party's id is a bare host; elsewhere a word is a name: a schema id
    # `localhost` on a project served at http://localhost stays (or validate would fail).
    def localhost(config: dict[str, Any]) -> dict[str, Any]:
        config["serve"]["public"]["base_url"] = "http://localhost:4433/"
        schemas = config["identity"]["schemas"]
        schemas.append({"id": "localhost", "url": schemas[0]["url"]})
        config["identity"]["default_schema_id"] = "localhost"
        return config

    (tmp_path / "environments").mkdir()
    ory_server.console_edit(localhost, normalise=False)
    exported = run(
        "export", "prod", "--target-project", ory_server.project_id, env=ory_server.cli_env()
    )
    assert exported.code == 0, exported.err
    document: Any = load_with_positions((tmp_path / "environments" / "prod.yaml").read_text()).data
    identity = document["identity_config"]["identity"]
    assert identity["default_schema_id"] == "localhost"
    assert "localhost" in [schema["id"] for schema in identity["schemas"]]


def _export_over_base(run: Run, server: OryTestServer) -> Result:
    """``export prod --target-project … --extends base.yaml --out -``."""
    target = ("--target-project", server.project_id, "--extends", "base.yaml", "--out", "-")
    return run("export", "prod", *target, env=server.cli_env())


def test_export_extends_still_works_with_project_values(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "base.yaml").write_text(
        "identity_config:\n  selfservice:\n    methods:\n      passkey: {enabled: true}\n"
    )
    ory_server.console_edit(_project_specific)
    exported = _export_over_base(run, ory_server)
    assert exported.code == 0, exported.err
    document: Any = load_with_positions(exported.out).data
    assert document["extends"] == "base.yaml"
    config = document["identity_config"]
    assert not get_at(config, "/selfservice/methods/passkey/enabled")[0]  # base says it
    # Live has passkey enabled: its relying party is kept (flagged), the method needs it.
    rp = config["selfservice"]["methods"]["passkey"]["config"].pop("rp")
    assert rp["id"] == SLUG.removeprefix("https://")
    assert config["selfservice"].pop("allowed_return_urls")[0] == SLUG  # kept, flagged
    assert "oryapis" not in str(config)


def test_what_the_base_marks_secret_is_a_variable_in_every_service(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    # Not a known secret path: only the base's `secrets:` says the consent URL is one.
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "base.yaml").write_text("secrets: [/oauth2_config/urls/consent]\n")
    exported = _export_over_base(run, ory_server)
    assert exported.code == 0, exported.err
    document: Any = load_with_positions(exported.out).data
    consent = document["oauth2_config"]["urls"]["consent"]
    assert consent.startswith("${") and "/ui/consent" not in exported.out, consent
