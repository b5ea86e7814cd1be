"""A config repository of real environments: ``export`` of projects seeded with configs of the
corpus (``tests/fixtures/corpus``, origins in its SOURCES.md), one environment per project, as
a team that adopts reconciler for its existing projects starts.

``validate`` of every environment of such a repository is what a pre-commit hook runs: the
cold-start benchmark times it (``bench/startup.py``), and ``bench/paired.py`` compares it
between two trees.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/<name>.py`: find the packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO
from bench.corpus import run

sys.path.insert(0, str(REPO / "tests"))

import corpus
from corpus_steps import network_env, secret_values
from ory_server import OryTestServer

COUNT = 20


def repository(root: Path, count: int = COUNT) -> dict[str, str]:
    """Export ``count`` corpus configs (spread over the corpus, every kind) into ``root``;
    the variables their secrets are read from, set as their owner would set them."""
    usable = [entry for entry in corpus.entries() if entry.expect is None]
    chosen = [usable[index * len(usable) // count] for index in range(count)]
    variables: dict[str, str] = {}
    (root / "environments").mkdir(parents=True, exist_ok=True)
    with OryTestServer() as server:
        for entry in chosen:
            project = server.add_project(corpus.network_seed(entry))
            arguments = ("export", entry.name, "--target-project", project, "--force")
            exported = run(*arguments, env=network_env(server), root=root)
            assert exported.code == 0, f"export of {entry.name}: {exported.err}"
            variables |= secret_values(exported, server.stored_identity_config(project))
    return variables
