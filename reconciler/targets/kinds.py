"""The kinds of target, each declared once: its name in an environment file and how it is
opened (its module's ``open_target``, imported only then). Which services a kind holds, and
how it judges each, the services say (``services/declaration.Service.judging``).

Adding a target takes three places: its module (a ``Target``, ``targets/__init__.py``, and an
``open_target(Opening)``), its entry in ``KINDS`` here, and its part of the environment file's
model (``TARGET_KINDS`` in ``loading/models.py``). Everything else asks the target what it
can do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # annotations only: declaring the kinds imports no target (cold start)
    from reconciler.targets import Opening, Target


class TargetModule(Protocol):
    """A target's module: it opens targets of its kind."""

    def open_target(self, opening: Opening) -> Target: ...


@dataclass(frozen=True)
class Kind:
    name: str
    module: Callable[[], TargetModule]


def _ory_network() -> TargetModule:
    from reconciler.targets import ory_network

    return ory_network


def _kratos_file() -> TargetModule:
    from reconciler.targets import kratos_file

    return kratos_file


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("ory_network", _ory_network),
        Kind("kratos_file", _kratos_file),
    )
}
# What an environment without a target (a layer others extend) is checked as: as leniently as
# any target it may serve (no `dsn`, the Ory Network keys known); each environment extending
# it is checked for real.
LENIENT = "ory_network"


def kind(name: str) -> Kind:
    return KINDS[name]


def open_target(name: str, opening: Opening) -> Target:
    return kind(name).module().open_target(opening)
