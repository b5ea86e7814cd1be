"""What a Kratos file must change to run on the release ``--kratos-version`` names.

``validate --kratos-version vX`` judges the environment by release vX like any check, and
then the Kratos file itself, with the environment merged over it as ``apply`` would write
it: every problem the file has for vX is an error located in the file (``deploy/kratos.yml:
12:3: identity.default_schema_url: … removed in Kratos v0.9.0-alpha.1: …``), with the
migration Kratos documents (``checks/kratos_migrations.py``). Keys the environment itself sets
are left to the environment's own findings. A missing key is no finding here: Kratos also
reads every key from environment variables (``DSN``, …).
"""

from __future__ import annotations

from reconciler.checks.finding import Finding
from reconciler.comparing.list_view import labelled_key
from reconciler.errors import Location
from reconciler.jsontypes import Pointer, deep_merge, get_at
from reconciler.loading.validate import ValidEnvironment
from reconciler.repository.paths import display_path
from reconciler.services import registry
from reconciler.usecases import steps


def file_findings(environment: ValidEnvironment, settings: steps.Settings) -> tuple[Finding, ...]:
    """The Kratos file's problems for the release ``settings.kratos_version`` names; ``()``
    for an environment whose target is no Kratos file. Raises when the file cannot be read."""
    kind = steps.target_kind_of(environment)
    if not registry.IDENTITY.judging[kind].by_release or environment.model.target is None:
        return ()
    target = steps.open_target(environment, settings)
    if target.source_file is None:  # a target of this kind that is no file: nothing to locate
        return ()
    state = target.fetch()
    positions = target.positions()
    desired = steps.render_for(environment, target).of(registry.IDENTITY)
    merged = deep_merge(state.of(registry.IDENTITY), desired)
    assert isinstance(merged, dict)
    named = steps.named_version(environment, desired, settings, state)
    schema = steps.schema_for(kind, settings, named)
    shown = display_path(target.source_file)
    problems = [
        problem
        for problem in schema.validate_config(merged, partial=True)
        if not get_at(desired, problem.pointer)[0]
    ]
    located = sorted(
        ((_position(positions, p.pointer), p) for p in problems),
        key=lambda item: (item[0], item[1].pointer),
    )
    return tuple(
        Finding(
            "schema",
            "error",
            problem.message,
            pointers=(problem.pointer,),
            where=str(Location(shown, *at, labelled_key(problem.pointer, merged) or "(root)")),
        )
        for at, problem in located
    )


def _position(positions: dict[Pointer, tuple[int, int]], pointer: Pointer) -> tuple[int, int]:
    """Where ``pointer`` is written in the file: its own key, else the nearest one above."""
    written = pointer
    while written and written not in positions:
        written = written.rpartition("/")[0]
    return positions.get(written, (1, 1))
