"""Config-as-code for Ory identity config.

The one home of the release: pyproject.toml reads the version from here (setuptools' dynamic
version), and every file that installs reconciler (the workflow ``init`` writes, the GitLab
template, the pre-commit snippet, the docs) names this version of this distribution, tested by
tests/test_release.py. The distribution's name differs from the import package's: the name
``reconciler`` on the package index is an unrelated project (README, "Install").
"""

DISTRIBUTION = "reconciler-for-ory"
__version__ = "0.1.0"
