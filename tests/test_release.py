"""Every file that installs reconciler names this version of this distribution, and none names
a made-up source (the placeholder ``acme/reconciler@v0.1.0`` named no real repository)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import tomllib

from reconciler import DISTRIBUTION, __version__
from reconciler.loading.yamlio import load_with_positions
from reconciler.usecases import scaffold

from conftest import REPO_ROOT

PIN = f"{DISTRIBUTION}=={__version__}"
# A git or GitHub source of reconciler itself (the user's own repositories are fine).
_MADE_UP_SOURCE = re.compile(
    r"[\w.-]+/reconciler(?:@|\.git(?![\w-])|/v\d)|git\+https://[^\s\"]*reconciler"
)

INSTALLING = {
    "the workflow init writes": lambda: scaffold.github_workflow(["dev", "prod"]),
    "the GitLab template": lambda: (REPO_ROOT / "ci/gitlab/reconciler.gitlab-ci.yml").read_text(),
    "the pre-commit hook": lambda: (REPO_ROOT / ".pre-commit-hooks.yaml").read_text(),
    "README.md": lambda: (REPO_ROOT / "README.md").read_text(),
    "docs/ci.md": lambda: (REPO_ROOT / "docs/ci.md").read_text(),
}


@pytest.mark.parametrize("name", INSTALLING)
def test_each_installing_file_names_this_version_and_no_made_up_source(name: str) -> None:
    text = INSTALLING[name]()
    assert PIN in text or f"RECONCILER_VERSION: {__version__}" in text, name
    assert _MADE_UP_SOURCE.search(text) is None, _MADE_UP_SOURCE.search(text)
    assert "acme/reconciler" not in text


def test_pyproject_takes_the_version_from_the_package_under_its_distribution_name() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert project["project"]["name"] == DISTRIBUTION
    assert project["project"]["dynamic"] == ["version"]
    assert "version" not in project["project"]
    dynamic = project["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "reconciler.__version__"}


def test_the_gitlab_template_installs_its_version_from_the_index() -> None:
    template: Any = load_with_positions(
        (REPO_ROOT / "ci/gitlab/reconciler.gitlab-ci.yml").read_text()
    ).data
    assert str(template["variables"]["RECONCILER_VERSION"]) == __version__
    install = " ".join(template[".reconciler"]["before_script"])
    assert f'"{DISTRIBUTION}==${{RECONCILER_VERSION}}"' in install


def test_the_readme_pre_commit_snippet_is_the_hook_pinned_to_this_release() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"```yaml\n(\s*repos:\n\s*- repo: local\n.*?)```", readme, re.S)
    assert block is not None
    snippet: Any = load_with_positions(block.group(1)).data
    (hook,) = snippet["repos"][0]["hooks"]
    hooks: Any = load_with_positions((REPO_ROOT / ".pre-commit-hooks.yaml").read_text()).data
    (published,) = hooks
    assert hook.pop("additional_dependencies") == [PIN]
    published.pop("description")
    assert dict(hook) == dict(published)


def test_every_pin_in_the_docs_is_this_version() -> None:
    # The upgrade notes and the changelog speak of past releases too; every other page
    # installs the current one.
    pages = [REPO_ROOT / "README.md", *sorted(REPO_ROOT.glob("docs/*.md"))]
    pages = [page for page in pages if page.name != "upgrading.md"]
    pins = {
        (page.name, version)
        for page in pages
        for version in re.findall(rf"{DISTRIBUTION}==(\d[\w.]*)", page.read_text())
    }
    assert pins, "no page pins a version"
    assert {version for _, version in pins} == {__version__}, sorted(pins)
    for page in pages:
        assert "acme/reconciler" not in page.read_text(), page.name
