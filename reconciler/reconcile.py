"""The use cases, in order: load → validate → render → fetch → diff → plan → apply → verify.

The only module that knows the order of the steps. ``plan_environment`` is read-only;
``apply_plan`` writes exactly the plan's operations, pinned to the plan's revision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from reconciler import loader
from reconciler import render as rendering
from reconciler.client import DEFAULT_API_URL, OryClient
from reconciler.diff import Change, DefaultLookup, DiffRules, compute_diff
from reconciler.errors import ApplyError, ConfigError
from reconciler.jsontypes import JSONObject, Pointer
from reconciler.plan import Plan, make_plan
from reconciler.review import Note, review
from reconciler.targets import ApplyOutcome, LiveState, Target
from reconciler.targets.kratos_file import KratosFile
from reconciler.targets.ory_network import OryNetworkProject
from reconciler.validate import ValidEnvironment, validate

ClientFactory = Callable[[str, str], OryClient]


@dataclass(frozen=True)
class Settings:
    """What the commands need from outside the repository (flags and variables)."""

    root: Path
    environ: Mapping[str, str] = field(default_factory=dict)
    kratos_schema: Path | None = None
    rotate_secrets: bool = False
    client_factory: ClientFactory = OryClient

    @property
    def api_key(self) -> str | None:
        return self.environ.get("ORY_WORKSPACE_API_KEY") or None


@dataclass(frozen=True)
class ApplyResult:
    plan: Plan
    outcome: ApplyOutcome


def environment_names(root: Path) -> list[str]:
    """Every environment file's name, sorted (layers without a target included)."""
    return [path.stem for path in loader.environment_files(root)]


def load(name: str, settings: Settings) -> ValidEnvironment:
    """Load and type-check one environment (no network)."""
    return validate(loader.load_environment(settings.root, name, settings.environ))


def render(environment: ValidEnvironment) -> JSONObject:
    """The desired (partial) identity config: merged, ``file://`` inlined, ``${…}`` resolved."""
    return rendering.render(environment).config


def open_target(environment: ValidEnvironment, settings: Settings) -> Target:
    target = environment.model.target
    location = environment.raw.location("/target") or str(environment.raw.path)
    if target is None:
        raise ConfigError(
            [f"{location}: {environment.raw.name} has no target: it can only be extended"]
        )
    if target.kratos_file is not None:
        return KratosFile((environment.raw.path.parent / target.kratos_file.path).resolve())
    assert target.ory_network is not None
    api_key = settings.api_key
    if api_key is None:
        raise ConfigError(
            [f"{location}: ORY_WORKSPACE_API_KEY is not set; it is needed for ory_network targets"]
        )
    base_url = (
        settings.environ.get("ORY_CONSOLE_API_URL") or target.ory_network.api_url or DEFAULT_API_URL
    )
    client = settings.client_factory(base_url, api_key)
    return OryNetworkProject(client, target.ory_network.project)


def check(environment: ValidEnvironment, settings: Settings) -> tuple[Note, ...]:
    """Schema, identity-schema and lint checks of the desired state alone (no network)."""
    return review(
        environment,
        None,
        schema_path=settings.kratos_schema,
        requires_dsn=_requires_dsn(environment),
    )


def _requires_dsn(environment: ValidEnvironment) -> bool:
    # Only a self-hosted Kratos needs `dsn`; Ory Network has none (ory-api.md §1c).
    target = environment.model.target
    return target is not None and target.kratos_file is not None


def plan_environment(environment: ValidEnvironment, target: Target, settings: Settings) -> Plan:
    """Fetch live state, plan the changes and review them. Read-only: never writes."""
    live = target.fetch()
    notes = review(
        environment,
        live.config,
        schema_path=settings.kratos_schema,
        requires_dsn=target.requires_dsn,
    )
    return _plan_against(environment, target, live, settings, notes)


def apply_plan(
    plan: Plan,
    environment: ValidEnvironment,
    target: Target,
    settings: Settings,
    *,
    allow_weaken: bool = False,
) -> ApplyResult:
    """Send the plan's operations pinned to its revision, then check the result converged.

    Refuses, sending nothing, a plan with errors, or with security-weakening changes unless
    ``allow_weaken``.
    """
    if plan.is_empty:
        raise ApplyError("nothing to apply: the plan has no changes")
    refuse_unsafe(plan, allow_weaken=allow_weaken)
    outcome = target.apply(plan.operations, plan.revision)
    # Live secrets come back redacted: after a rotation, presence is all that can be checked.
    verify = replace(settings, rotate_secrets=False)
    leftover = _plan_against(environment, target, outcome.state, verify).changes
    if leftover:
        raise ApplyError(_not_converged(leftover))
    return ApplyResult(plan=plan, outcome=outcome)


def refuse_unsafe(plan: Plan, *, allow_weaken: bool) -> None:
    """Raise ApplyError for a plan with errors, or weakening changes not explicitly allowed."""
    if plan.errors:
        rules = ", ".join(sorted({note.rule_id for note in plan.errors}))
        raise ApplyError(
            f"apply refused: the plan has {len(plan.errors)} error(s) ({rules}); fix them, or "
            "disable a lint rule in the environment file under lint: disable: {RULE: reason}"
        )
    weakening = plan.weakening()
    if weakening and not allow_weaken:
        listed = "; ".join(f"{change.pointer} ({impact.reason})" for change, impact in weakening)
        raise ApplyError(
            f"apply refused: {len(weakening)} change(s) weaken security: {listed}. "
            "Review them and pass --allow-weaken to apply anyway; nothing was changed."
        )


def _plan_against(
    environment: ValidEnvironment,
    target: Target,
    live: LiveState,
    settings: Settings,
    notes: tuple[Note, ...] = (),
) -> Plan:
    raw = environment.raw
    # A self-hosted Kratos reads files itself: keep file:// references there.
    link = target.path.parent if isinstance(target, KratosFile) else None
    desired = rendering.render(environment, link_files_from=link)
    rules = DiffRules(
        sensitive=sensitive_pointers(environment),
        ignored=target.ignored,
        known_digests={**live.known_digests, **desired.digests},
        default_at=_defaults(settings),
        rotate_secrets=settings.rotate_secrets,
    )
    diff = compute_diff(desired.config, live.config, environment.model.remove, rules)
    file_refs = {p: i.file_ref for p, i in raw.identity_pointers("file_ref").items() if i.file_ref}
    return make_plan(
        raw.name,
        target.description,
        live.revision,
        diff,
        sensitive=rules.sensitive,
        file_refs=file_refs,
        notes=notes,
    )


def sensitive_pointers(environment: ValidEnvironment) -> frozenset[Pointer]:
    """Values from ``${VAR}``, tagged ``!secret``, or listed under ``secrets:``."""
    raw = environment.raw
    return (
        frozenset(raw.identity_pointers("variables"))
        | frozenset(raw.identity_pointers("tagged_secret"))
        | frozenset(environment.model.secrets)
    )


def _defaults(settings: Settings) -> DefaultLookup:
    if settings.kratos_schema is None:
        from reconciler.kratos_schema import documented_default

        return documented_default
    from reconciler.kratos_schema import default_at

    return partial(default_at, config_schema_path=settings.kratos_schema)


def _not_converged(leftover: tuple[Change, ...]) -> str:
    paths = ", ".join(change.pointer for change in leftover)
    return (
        "the change was applied, but the target did not converge: these paths still differ "
        f"from the desired state: {paths}. Run plan to see them."
    )
