"""Turn a raw environment into a typed one, or one ConfigError listing every problem.

The environment file's model (``models.environment_model``) decides; each problem names the
file, line and key that produced it (not the merged document), and unknown keys of our
envelope get a did-you-mean (inside a service's config its official schema reports unknown
keys, see ``checks/kratos_schema.py``). Then what no model can say: a target that does not
hold a service the environment sets, ``remove:`` naming a key that is also set, a
``secrets:`` pointer naming nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from reconciler import suggest
from reconciler.errors import ConfigError
from reconciler.jsontypes import JSONObject, Pointer, dotted_key, get_at
from reconciler.loading import model_messages
from reconciler.loading.document import RawEnvironment
from reconciler.loading.models import PATTERN_MEANING, Envelope, environment_model
from reconciler.services import registry
from reconciler.services.declaration import Service


@dataclass(frozen=True)
class ValidEnvironment:
    """A raw environment that passed the model; ``raw`` stays the source of truth."""

    raw: RawEnvironment
    model: Envelope = field(repr=False)

    @property
    def services(self) -> tuple[Service, ...]:
        """The services it plans: those whose key it writes or whose keys ``remove:`` names,
        and the identity config (an environment that writes none of it manages none of its
        keys, and is checked all the same)."""
        removed = {registry.owner_of(pointer)[0].name for pointer in self.model.remove}
        return tuple(
            service
            for service in registry.services()
            if service.always_planned or service.key in self.raw.data or service.name in removed
        )

    def config_of(self, service: Service) -> JSONObject:
        """``service``'s config as written (``{}`` when it writes none)."""
        return self.raw.config_of(service)

    @property
    def identity_config(self) -> JSONObject:
        return self.config_of(registry.IDENTITY)

    def removals(self, service: Service) -> tuple[Pointer, ...]:
        """The ``remove:`` pointers of ``service``'s config (``registry.owner_of``)."""
        return tuple(_owned(self.model.remove, service))

    def secrets(self, service: Service) -> tuple[Pointer, ...]:
        """The ``secrets:`` pointers of ``service``'s config (``registry.owner_of``)."""
        return tuple(_owned(self.model.secrets, service))

    def rotations(self, service: Service) -> dict[Pointer, int]:
        """The ``rotate:`` entries of ``service``'s config (``registry.owner_of``)."""
        owned = _owned(self.model.rotate, service)
        return {pointer: self.model.rotate[written] for pointer, written in owned.items()}


def _owned(written: Iterable[Pointer], service: Service) -> dict[Pointer, Pointer]:
    """Of the pointers ``remove:``, ``secrets:`` or ``rotate:`` write, those naming
    ``service``'s config: ``{pointer inside it: pointer as written}``."""
    owned: dict[Pointer, Pointer] = {}
    for pointer in written:
        owner, inside = registry.owner_of(pointer)
        if owner is service:
            owned[inside] = pointer
    return owned


def validate(raw: RawEnvironment) -> ValidEnvironment:
    """Check ``raw`` against the model; raises ConfigError with every problem found."""
    _refuse_variables_in_target(raw)
    model, problems = model_messages.check(environment_model(), raw.data, PATTERN_MEANING)
    if model is None:
        described = {_describe(raw, problem) for problem in problems}
        raise ConfigError([text for _, text in sorted(described)])
    _check_services_held(raw, model)
    _check_remove_vs_set(raw)
    _check_secret_pointers(raw, model)
    return ValidEnvironment(raw=raw, model=model)


def _refuse_variables_in_target(raw: RawEnvironment) -> None:
    """The target is written out: a ``${VAR}`` in ``api_url`` would carry the variable's
    value (a token) to whatever host the file names, and one in a project id or path makes
    the target depend on where the run happens (docs/security.md §2). The one exception,
    ``project_api_key``, must be a ``${VAR}`` whose name starts with ``ORY_PROJECT_API_KEY``:
    a file may choose which project key counts identities, not send another secret."""
    problems = [
        f"{info.location}: ${{{info.variables[0]}}} is not allowed in target fields: write "
        "the target out (the API URL itself comes from ORY_CONSOLE_API_URL)"
        for pointer, info in sorted(raw.info.items())
        if (pointer == "/target" or pointer.startswith("/target/"))
        and info.variables
        and pointer != PROJECT_API_KEY
    ]
    problems += _project_key_problems(raw)
    if problems:
        raise ConfigError(problems)


PROJECT_API_KEY = "/target/ory_network/project_api_key"
PROJECT_KEY_VARIABLE = "ORY_PROJECT_API_KEY"


def _project_key_problems(raw: RawEnvironment) -> list[str]:
    found, _ = get_at(raw.data, PROJECT_API_KEY)
    if not found:
        return []
    info = raw.info.get(PROJECT_API_KEY)
    names = info.variables if info is not None else ()
    where = raw.location(PROJECT_API_KEY)
    if len(names) != 1:
        return [
            f"{where}: project_api_key must be one ${{{PROJECT_KEY_VARIABLE}…}} variable, "
            "never the key itself (a key in a file is a leaked key)"
        ]
    if not names[0].startswith(PROJECT_KEY_VARIABLE):
        return [
            f"{where}: project_api_key may only name a variable whose name starts with "
            f"{PROJECT_KEY_VARIABLE}, got ${{{names[0]}}}: a repository file may not choose "
            "which of the runner's secrets is sent to the project API"
        ]
    return []


def _check_services_held(raw: RawEnvironment, model: Envelope) -> None:
    """A target holds the services its kind carries (a Kratos file: the identity config
    only): a key of any other is refused where it is written, before anything is planned."""
    if model.target is None:
        return
    kind = model.target.kind
    problems = [
        f"{raw.location(service.environment_pointer)}: a {kind} target holds only "
        f"{_held(kind)}; set it in an environment whose target holds the "
        f"{service.title.lower()}"
        for service in registry.services()
        if service.key in raw.data and not service.carried_by(kind)
    ]
    named = [
        *((f"/remove/{index}", pointer) for index, pointer in enumerate(model.remove)),
        *((f"/secrets/{index}", pointer) for index, pointer in enumerate(model.secrets)),
        *(("/rotate", pointer) for pointer in model.rotate),
    ]
    for where, pointer in named:
        owner = registry.owner_of(pointer)[0]
        if not owner.carried_by(kind):
            problems.append(
                f"{raw.location(where) or raw.path}: {pointer} names the "
                f"{owner.title.lower()}, which a {kind} target does not hold"
            )
    if problems:
        raise ConfigError(problems)


def _held(kind: str) -> str:
    held = [f"the {service.title.lower()}" for service in registry.carried_by(kind)]
    return " and ".join(held) if held else "no config service"


def _check_remove_vs_set(raw: RawEnvironment) -> None:
    removals = raw.data.get("remove", [])
    assert isinstance(removals, list)
    problems = []
    for index, pointer in enumerate(removals):
        assert isinstance(pointer, str)
        owner, inside = registry.owner_of(pointer)
        set_at = owner.environment_pointer + inside
        if set_at in raw.info:
            where = raw.location(f"/remove/{index}")
            problems.append(
                f"{where}: {pointer} is listed under remove: but also set in "
                f"{raw.info[set_at].location}; keep one"
            )
    if problems:
        raise ConfigError(problems)


def _check_secret_pointers(raw: RawEnvironment, model: Envelope) -> None:
    """A ``secrets:`` pointer must name a value the environment declares: a mistyped one
    would leave the value it meant unmarked, printed in clear. A shared layer (no target) is
    not checked alone: the environments that extend it inherit its list and are."""
    if model.target is None:
        return
    problems = []
    for index, pointer in enumerate(model.secrets):
        owner, inside = registry.owner_of(pointer)
        if get_at(raw.config_of(owner), inside)[0]:
            continue
        declared = [registry.as_written(owner, p) for p in raw.pointers_of(owner)]
        close = suggest.closest(pointer, declared)
        hint = f"; did you mean {close}?" if close else ""
        problems.append(
            f"{raw.location(f'/secrets/{index}')}: {pointer} names nothing this environment "
            f"declares under {owner.key}{hint}"
        )
    if problems:
        raise ConfigError(problems)


def _describe(
    raw: RawEnvironment, problem: model_messages.Problem
) -> tuple[tuple[str, int, int], str]:
    """The problem's text, with a key that sorts problems by file, line and column."""
    pointer = problem.pointer
    location = raw.location(pointer)
    where = str(location) if location else f"{raw.path}: {dotted_key(pointer)}"
    order = (location.file, location.line, location.column) if location else ("", 0, 0)
    sensitive = any(
        info.variables or info.tagged_secret
        for p, info in raw.info.items()
        if p == pointer or p.startswith(pointer + "/")
    )
    return order, f"{where}: {problem.text(sensitive=sensitive)}"
