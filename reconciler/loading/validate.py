"""Turn a raw environment into a typed one, or one ConfigError listing every problem.

The environment file's schema (``models.ENVIRONMENT_SCHEMA``) decides; each problem names
the file, line and key that produced it (not the merged document), and unknown keys of our
envelope get a did-you-mean (inside ``identity_config`` the official schema reports unknown
keys, see ``checks/kratos_schema.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler import suggest
from reconciler.errors import ConfigError
from reconciler.jsontypes import JSONObject, dotted_key, get_at
from reconciler.loading.document import IDENTITY_CONFIG, RawEnvironment
from reconciler.loading.models import ENVIRONMENT_SCHEMA, PATTERN_MEANING, Environment
from reconciler.loading.schema_check import SchemaCheck, SchemaCheckProblem

ENVIRONMENT_CHECK = SchemaCheck(ENVIRONMENT_SCHEMA, PATTERN_MEANING)


@dataclass(frozen=True)
class ValidEnvironment:
    """A raw environment that passed the schema; ``raw`` stays the source of truth."""

    raw: RawEnvironment
    model: Environment = field(repr=False)

    @property
    def identity_config(self) -> JSONObject:
        config = self.raw.data.get("identity_config", {})
        assert isinstance(config, dict)
        return config


def validate(raw: RawEnvironment) -> ValidEnvironment:
    """Check ``raw`` against the schema; raises ConfigError with every problem found."""
    _refuse_variables_in_target(raw)
    problems = ENVIRONMENT_CHECK.problems(raw.data)
    if problems:
        described = {_describe(raw, problem) for problem in problems}
        raise ConfigError([text for _, text in sorted(described)])
    _check_remove_vs_set(raw)
    model = Environment.from_document(raw.data)
    _check_secret_pointers(raw, model)
    return ValidEnvironment(raw=raw, model=model)


def _refuse_variables_in_target(raw: RawEnvironment) -> None:
    """The target is written out: a ``${VAR}`` in ``api_url`` would carry the variable's
    value (a token) to whatever host the file names, and one in a project id or path makes
    the target depend on where the run happens (docs/security.md §2)."""
    problems = [
        f"{info.location}: ${{{info.variables[0]}}} is not allowed in target fields: write "
        "the target out (the API URL itself comes from ORY_CONSOLE_API_URL)"
        for pointer, info in sorted(raw.info.items())
        if (pointer == "/target" or pointer.startswith("/target/")) and info.variables
    ]
    if problems:
        raise ConfigError(problems)


def _check_remove_vs_set(raw: RawEnvironment) -> None:
    removals = raw.data.get("remove", [])
    assert isinstance(removals, list)
    problems = []
    for index, pointer in enumerate(removals):
        assert isinstance(pointer, str)
        if f"/identity_config{pointer}" in raw.info:
            where = raw.location(f"/remove/{index}")
            problems.append(
                f"{where}: {pointer} is listed under remove: but also set in "
                f"{raw.info[f'/identity_config{pointer}'].location}; keep one"
            )
    if problems:
        raise ConfigError(problems)


def _check_secret_pointers(raw: RawEnvironment, model: Environment) -> None:
    """A ``secrets:`` pointer must name a value the environment declares: a mistyped one
    would leave the value it meant unmarked, printed in clear. A shared layer (no target) is
    not checked alone: the environments that extend it inherit its list and are."""
    if model.target is None:
        return
    config = raw.data.get("identity_config", {})
    declared = [p[len(IDENTITY_CONFIG) :] for p in raw.info if p.startswith(IDENTITY_CONFIG + "/")]
    problems = []
    for index, pointer in enumerate(model.secrets):
        if get_at(config, pointer)[0]:
            continue
        close = suggest.closest(pointer, declared)
        hint = f"; did you mean {close}?" if close else ""
        problems.append(
            f"{raw.location(f'/secrets/{index}')}: {pointer} names nothing this environment "
            f"declares under identity_config{hint}"
        )
    if problems:
        raise ConfigError(problems)


def _describe(raw: RawEnvironment, problem: SchemaCheckProblem) -> tuple[tuple[str, int, int], str]:
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
