"""``export`` writes only what its own ``validate`` accepts (issue 22, item 4): it never leaves
out what an enabled method needs, and it leaves out, listed in the header, the keys the live
project holds that reconciler's shape of the target does not know."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reconciler.jsontypes import get_at
from reconciler.loading.yamlio import load_with_positions

import corpus
from conftest import Run
from ory_server import OryTestServer

_VARIABLE_LINE = re.compile(r"^  ([A-Z][A-Z0-9_]*): ", re.MULTILINE)
REAL_DOCUMENT = "network-kramerbrian-identity-config"


def _export_validate_plan(run: Run, server: OryTestServer, project: str, root: Path) -> str:
    (root / "environments").mkdir(parents=True)
    env = server.cli_env()
    exported = run("export", "prod", "--target-project", project, env=env, root=root)
    assert exported.code == 0, exported.err
    variables = {name: "stand-in" for name in _VARIABLE_LINE.findall(exported.err)}
    checked = run("validate", "prod", env=variables, root=root)
    assert checked.code == 0, checked.out + checked.err
    assert "Warning" not in checked.out + checked.err
    planned = run("plan", "prod", "--detailed-exitcode", env={**env, **variables}, root=root)
    assert planned.code == 0, planned.out + planned.err
    return (root / "environments" / "prod.yaml").read_text(encoding="utf-8")


def test_an_enabled_webauthn_on_the_project_domain_keeps_its_relying_party(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    # A real Ory Network document, its WebAuthn method turned on as in 11 of 40 independent
    # exports (its rp is on the project's own *.projects.oryapis.com domain).
    entry = next(e for e in corpus.entries() if e.name == REAL_DOCUMENT)
    config: Any = corpus.network_seed(entry)
    config["selfservice"]["methods"]["webauthn"]["enabled"] = True
    project = ory_server.add_project(config)
    text = _export_validate_plan(run, ory_server, project, tmp_path)
    document: Any = load_with_positions(text).data
    rp = "/selfservice/methods/webauthn/config/rp"
    assert get_at(document["identity_config"], f"{rp}/id") == (
        True,
        "optimistic-haslett-3r8udelhc2.projects.oryapis.com",
    )
    kept = text.split("# Kept, but")[1]
    assert f"#   {rp}/id: " in kept.split("\n# Left out")[0]
    # The disabled passkey method needs nothing: its relying party stays out, as before.
    assert not get_at(document["identity_config"], "/selfservice/methods/passkey/config/rp/id")[0]


def test_keys_the_shape_does_not_know_are_left_out_and_listed(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    def newer_than_reconciler(config: dict[str, Any]) -> dict[str, Any]:
        # A hook container no real document holds yet, and a key of an open object.
        after = config["selfservice"]["flows"]["login"]["after"]
        after["deviceauthn"] = {"hooks": [{"hook": "require_verified_address"}]}
        config["selfservice"]["methods"]["code"]["fallback_policy"] = "strict"
        return config

    ory_server.console_edit(newer_than_reconciler, normalise=False)
    text = _export_validate_plan(run, ory_server, ory_server.project_id, tmp_path)
    header = text.split("# Left out: keys the live config holds")[1].split("\nidentity_config")[0]
    assert '#   /selfservice/flows/login/after/deviceauthn: {"hooks": [' in header
    assert '#   /selfservice/methods/code/fallback_policy: "strict"' in header
    document: Any = load_with_positions(text).data
    config = document["identity_config"]
    assert "deviceauthn" not in config["selfservice"]["flows"]["login"].get("after", {})
    assert "fallback_policy" not in config["selfservice"]["methods"].get("code", {})
