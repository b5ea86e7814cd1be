"""Reading an environment, and its live state, for the use cases that never write to the
target (export, compare, adopt): they need an environment's target and which values are
secret, never the secrets themselves, so unset ``${VAR}``s do not stop them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from reconciler.errors import ReconcilerError
from reconciler.loading import loader
from reconciler.loading.document import RawEnvironment
from reconciler.loading.repository_settings import input_limits
from reconciler.loading.validate import ValidEnvironment, validate
from reconciler.targets import LiveState, Target
from reconciler.usecases import steps

UNSET_STAND_IN = "(variable not set)"


class SecretFreeEnviron(Mapping[str, str]):
    """Every variable is "set": unset ones read as a stand-in.

    ``export`` needs only an environment's target and ``diff`` compares secrets by presence,
    so neither should demand the secrets themselves. Only for loading: ``get`` never misses.
    """

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def __getitem__(self, name: str) -> str:
        return self.environ.get(name, UNSET_STAND_IN)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str)

    def __iter__(self) -> Iterator[str]:
        return iter(self.environ)

    def __len__(self) -> int:
        return len(self.environ)


def load_without_secrets(name: str, settings: steps.Settings) -> ValidEnvironment:
    limits = input_limits(settings.root)
    raw = loader.load_environment(settings.root, name, SecretFreeEnviron(settings.environ), limits)
    return steps.register_secrets(validate(raw))


def fetch(environment: ValidEnvironment, settings: steps.Settings) -> tuple[Target, LiveState]:
    target = steps.open_target(environment, settings)
    try:
        return target, target.fetch()
    finally:
        target.close()


def targeted_environments(settings: steps.Settings) -> dict[str, RawEnvironment | None]:
    """Every environment with a target (a layer without one is no environment), loaded
    without secrets; None for one that does not load."""
    limits = input_limits(settings.root)
    environ = SecretFreeEnviron(settings.environ)
    loaded: dict[str, RawEnvironment | None] = {}
    for name in steps.environment_names(settings.root):
        try:
            raw = loader.load_environment(settings.root, name, environ, limits)
        except ReconcilerError:
            loaded[name] = None
            continue
        if "target" in raw.data:
            loaded[name] = raw
    return loaded
