"""The kinds of target, each declared once: its name in an environment file, how its identity
config is judged, and how it is opened (its module's ``open_target``, imported only then).

Adding a target takes three places: its module (a ``Target``, ``targets/__init__.py``, and an
``open_target(Opening)``), its entry in ``KINDS`` here, and its part of the environment file's
schema (``TARGET`` in ``loading/models.py``). Everything else asks the target what it can do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # annotations only: declaring the kinds imports no target (cold start)
    from reconciler.targets import Opening, Target


@dataclass(frozen=True)
class Judging:
    """How a kind's identity config is judged (``checks/kratos_schema.py``)."""

    # How messages name the schema that judges it.
    subject: str
    # What the target does with a key it does not know in an object the schema leaves open.
    drops_unknown: str
    # The schema of the Kratos release the config's ``version:`` names (else Kratos master).
    by_release: bool
    # The keys only Ory Network has are known too (the overlay, official/PROVENANCE.md).
    network_keys: bool = False
    # Keys the schema requires that this target has no use for (Ory Network has no ``dsn``).
    not_required: tuple[str, ...] = ()
    # The live target is the authority on which keys exist: a key it holds is no problem.
    live_knows_keys: bool = False


#: A Kratos release's own schema (a Kratos file; and what a Kratos default means).
KRATOS_RELEASE = Judging(
    subject="Kratos config schema",
    drops_unknown="Kratos accepts it there and ignores it",
    by_release=True,
)
#: Kratos master and the keys only Ory Network has (ory-api.md §1c, §3 fact 11).
ORY_NETWORK = Judging(
    subject="OSS Kratos config schema",
    drops_unknown="Ory Network accepts it there and silently drops it",
    by_release=False,
    network_keys=True,
    not_required=("dsn",),
    live_knows_keys=True,
)


class TargetModule(Protocol):
    """A target's module: it opens targets of its kind."""

    def open_target(self, opening: Opening) -> Target: ...


@dataclass(frozen=True)
class Kind:
    name: str
    judging: Judging
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
        Kind("ory_network", ORY_NETWORK, _ory_network),
        Kind("kratos_file", KRATOS_RELEASE, _kratos_file),
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
