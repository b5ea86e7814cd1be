"""The release's version agrees in its homes, and the built wheel installs and says it."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from reconciler import __version__
from scripts import release_version

from conftest import REPO_ROOT
from ory_server import OryTestServer

ENTRY = "## [{v}] - 2026-12-05\n\n### Added\n\n- something\n"


def test_the_changelog_newest_entry_is_the_package_version() -> None:
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert release_version.newest_changelog_version(changelog) == __version__
    assert release_version.disagreements(changelog, f"v{__version__}") == []


def test_unreleased_is_not_the_newest_entry_and_a_stale_one_is_named() -> None:
    stale = "# Changelog\n\n## [Unreleased]\n\n" + ENTRY.format(v="0.0.9")
    assert release_version.newest_changelog_version(stale) == "0.0.9"
    assert release_version.disagreements(stale, None) == [
        f"CHANGELOG.md's newest entry is 0.0.9, reconciler/__init__.py says {__version__}"
    ]
    assert release_version.newest_changelog_version("# Changelog\n\n## [Unreleased]\n") is None


def test_a_tag_other_than_the_version_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert release_version.main(["--tag", "v99.0.0"]) == 1
    assert f"the tag v99.0.0 is not v{__version__}" in capsys.readouterr().err
    assert release_version.main(["--tag", f"v{__version__}"]) == 0
    assert capsys.readouterr().out == f"{__version__}\n"


def _python(environment: Path) -> Path:
    return environment / ("Scripts" if sys.platform == "win32" else "bin") / "python"


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, check=True, capture_output=True, text=True, timeout=600
    )
    return done.stdout


@pytest.mark.network
@pytest.mark.ory_server
def test_the_built_wheel_installs_in_a_fresh_environment_and_says_the_changelog_version(
    tmp_path: Path, example_repo: Path, ory_server: OryTestServer
) -> None:
    builder, fresh, dist = tmp_path / "builder", tmp_path / "fresh", tmp_path / "dist"
    venv.create(builder, with_pip=True)
    _run(_python(builder), "-m", "pip", "install", "--quiet", "build", cwd=tmp_path)
    _run(_python(builder), "-m", "build", "--outdir", dist, REPO_ROOT, cwd=tmp_path)
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:  # what docs/ci.md tells GitLab users to copy
        top = f"reconciler_for_ory-{__version__}"
        assert f"{top}/ci/gitlab/reconciler.gitlab-ci.yml" in archive.getnames()
    assert wheel.name.startswith(f"reconciler_for_ory-{__version__}-")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    assert "reconciler/py.typed" in shipped
    assert {"reconciler/official/PROVENANCE.md"} < shipped
    assert any(n.startswith("reconciler/official/") and n.endswith(".json") for n in shipped)

    venv.create(fresh, with_pip=True)
    _run(_python(fresh), "-m", "pip", "install", "--quiet", wheel, cwd=tmp_path)
    command = _python(fresh).parent / "reconciler"
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    newest = release_version.newest_changelog_version(changelog)
    assert _run(command, "--version", cwd=tmp_path) == f"reconciler, version {newest}\n"
    _run(command, "init", tmp_path / "config", cwd=tmp_path)
    validated = _run(command, "validate", cwd=tmp_path / "config")
    assert validated.splitlines() == ["base: valid", "dev: valid"]

    # The installed command against the local Ory API: plan, apply, then nothing left to do.
    api = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "ORY_WORKSPACE_API_KEY": ory_server.workspace_key,
        "ORY_CONSOLE_API_URL": ory_server.base_url,
        "LOGIN_HOOK_KEY": "release-smoke-key",
    }
    assert "Plan: " in _run(command, "plan", "dev", cwd=example_repo, env=api)
    _run(command, "apply", "dev", "--yes", cwd=example_repo, env=api)
    again = _run(command, "plan", "dev", "--detailed-exitcode", cwd=example_repo, env=api)
    assert again.rstrip().endswith("No changes.")
