"""The use cases, in order: load → validate → render → fetch → diff → plan → apply → verify.

The only module that knows the order of the steps. ``plan_environment`` is read-only;
``apply_plan`` writes exactly the plan's operations, pinned to the plan's revision.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from reconciler import loader, redact, schema_match, workdir
from reconciler import render as rendering
from reconciler.checks.kratos_schema import KratosSchema, for_target
from reconciler.checks.review import Note, preflight, review
from reconciler.diff import DefaultLookup, DiffRules, compute_diff
from reconciler.errors import ApplyError, ConfigError, ReconcilerError, StalePlanError
from reconciler.jsontypes import JSONObject, Pointer, get_at
from reconciler.plan import planfile
from reconciler.plan.value import Plan, PlanOutcome, make_plan
from reconciler.targets import ApplyOutcome, LiveState, Target, TargetKind
from reconciler.targets.client import DEFAULT_API_URL, OryClient, fetch_public, prepare_tls
from reconciler.targets.content_cache import ContentCache, Fetch
from reconciler.targets.kratos_file import KratosFile
from reconciler.targets.ory_network import OryNetworkProject
from reconciler.usecases import notices, safety, sent
from reconciler.validate import ValidEnvironment, validate

ClientFactory = Callable[[str, str], OryClient]
# plan_many plans every environment at once (each client paces its requests to the API's
# rate limits); this caps the threads waiting on the network at the same time.
MAX_PARALLELISM = 256


@dataclass(frozen=True)
class Settings:
    """What the commands need from outside the repository (flags and variables)."""

    root: Path
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)  # holds the API key
    # Overrides the shipped Kratos config schema (--kratos-schema); None: reconciler/official.
    kratos_schema: Path | None = None
    rotate_secrets: bool = False
    client_factory: ClientFactory = OryClient
    fetch: Fetch = fetch_public  # content-addressed storage (identity schemas)
    # Layers shared by the environments of one run (plan_many sets it; loader.layer_cache).
    layers: loader.LayerCache | None = field(default=None, repr=False, compare=False)

    @property
    def api_key(self) -> str | None:
        return self.environ.get("ORY_WORKSPACE_API_KEY") or None


@dataclass(frozen=True)
class ApplyResult:
    plan: Plan
    outcome: ApplyOutcome
    backup: Path | None = None
    # The target's warnings split: about keys this environment sets (with file:line), and
    # the rest (Ory Network sends the same five on every write, whatever it touched).
    warnings: tuple[str, ...] = ()
    unrelated_warnings: tuple[str, ...] = ()


def environment_names(root: Path) -> list[str]:
    """Every environment file's name, sorted (layers without a target included)."""
    return [path.stem for path in loader.environment_files(root)]


def shard_of(name: str, shards: int) -> int:
    """The shard (1-based, of ``shards``) an environment belongs to: from its name alone, so
    adding or removing other environments never moves it (a CI matrix job keeps its projects)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards + 1


def shard_names(names: Sequence[str], shard: int, shards: int) -> list[str]:
    """The names in shard ``shard`` of ``shards`` (``plan --all --shard I/N``), in order."""
    return [name for name in names if shard_of(name, shards) == shard]


def load(name: str, settings: Settings, *, allow_unset: bool = False) -> ValidEnvironment:
    """Load and type-check one environment (no network). ``allow_unset`` is for offline checks
    only: unset ``${VAR}``s stay as written (``check`` warns about them)."""
    limits = safety.input_limits(settings.root)
    raw = loader.load_environment(
        settings.root,
        name,
        settings.environ,
        limits,
        allow_unset=allow_unset,
        layers=None if allow_unset else settings.layers,
    )
    return register_secrets(validate(raw))


def register_secrets(environment: ValidEnvironment) -> ValidEnvironment:
    """Have the output scrubber mask the values listed under ``secrets:`` (the loader already
    registered ``${VAR}`` and ``!secret`` values)."""
    for pointer in environment.model.secrets:
        redact.register(get_at(environment.identity_config, pointer)[1])
    return environment


def render(environment: ValidEnvironment) -> JSONObject:
    """The desired (partial) identity config: merged, ``file://`` inlined, ``${…}`` resolved."""
    return rendering.render(environment).config


def open_target(environment: ValidEnvironment, settings: Settings) -> Target:
    target = environment.model.target
    location = environment.raw.location("/target") or loader.display_path(environment.raw.path)
    if target is None:
        raise ConfigError(
            [f"{location}: {environment.raw.name} has no target: it can only be extended"]
        )
    if target.kratos_file is not None:
        written = target.kratos_file.path
        path = loader.inside_repository(
            settings.root,
            environment.raw.path.parent / written,
            written,
            environment.raw.location("/target/kratos_file/path"),
        )
        return KratosFile(path, settings.root)
    assert target.ory_network is not None
    safety.check_project_allowed(settings.root, target.ory_network.project)
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
        render(environment),
        None,
        schema=schema_for(target_kind_of(environment), settings),
    )


def target_kind_of(environment: ValidEnvironment) -> TargetKind:
    """The kind of the environment's target, which decides the schema it is checked against."""
    # A layer without a target is checked as leniently as any target it may serve: Ory Network
    # (no `dsn`, Network-only keys allowed); each environment extending it is checked for real.
    target = environment.model.target
    return "kratos_file" if target is not None and target.kratos_file is not None else "ory_network"


def schema_for(kind: TargetKind, settings: Settings) -> KratosSchema:
    """The shape a ``kind`` target's identity config must have (read on first use)."""
    return for_target(kind, settings.kratos_schema)


def plan_environment(
    environment: ValidEnvironment,
    target: Target,
    settings: Settings,
    *,
    cpu: AbstractContextManager[object] | None = None,
) -> Plan:
    """Fetch live state, plan the changes and review them. Read-only: never writes.

    ``cpu`` (plan_many's semaphore) is held for the steps that only compute, not while
    waiting for the API.
    """
    steps = cpu or nullcontext()
    with steps:
        desired = _render_for(environment, target)
        _refuse_before_fetching(environment, desired.config, target.kind, settings)
    live = target.fetch()
    contents = _schema_contents(desired, live, settings)  # may fetch identity schemas
    with steps:
        return _plan_fetched(environment, target, settings, desired, live, contents)


def _plan_fetched(
    environment: ValidEnvironment,
    target: Target,
    settings: Settings,
    desired: rendering.Rendered,
    live: LiveState,
    contents: Mapping[str, bytes],
) -> Plan:
    notes = review(
        environment,
        desired.config,
        live.config,
        schema=schema_for(target.kind, settings),
        contents=contents,
    )
    rotate = _rotations_due(environment, target, settings)
    return _plan_against(environment, target, live, settings, desired, contents, notes, rotate)


def _rotations_due(
    environment: ValidEnvironment, target: Target, settings: Settings
) -> dict[Pointer, str]:
    rotate = environment.model.rotate
    if not rotate:
        return {}
    name = environment.raw.name
    versions = sent.recorded(settings.root, name, target.description)
    where = loader.display_path(sent.state_path(settings.root, name))
    return sent.due(rotate, versions, where)


def refuse_invalid(environment: ValidEnvironment, settings: Settings) -> None:
    """Raise ConfigError for what the user wrote wrong that no live state can fix (the schema
    check of the desired state alone), before a target is opened or anything is sent."""
    _refuse_before_fetching(environment, render(environment), target_kind_of(environment), settings)


def _refuse_before_fetching(
    environment: ValidEnvironment, desired: JSONObject, kind: TargetKind, settings: Settings
) -> None:
    # Problems no live state can fix fail here, so a broken file never costs a request.
    errors = preflight(environment, desired, schema=schema_for(kind, settings))
    problems = [note.describe() for note in errors] + notices.undeclared_rotations(
        environment, desired
    )
    if problems:
        raise ConfigError(problems)


def _render_for(environment: ValidEnvironment, target: Target) -> rendering.Rendered:
    # A self-hosted Kratos reads files itself: keep file:// references there.
    link = target.path.parent if isinstance(target, KratosFile) else None
    return rendering.render(environment, link_files_from=link)


def plan_many(
    names: Sequence[str],
    settings: Settings,
    *,
    parallelism: int | None = None,
    skip_layers: bool = False,
) -> list[PlanOutcome]:
    """Plan several environments at once, one HTTP client per API URL.

    Every environment's request is started as soon as its files are checked; the client
    spaces them to the API's rate limits, so ``parallelism`` (default: all, at most
    MAX_PARALLELISM) is only an upper bound. The CPU-bound steps run one at a time (a
    semaphore): threads that take turns finish sooner than threads fighting over the GIL.

    Read-only. Outcomes follow the order of ``names``; an environment that fails carries its
    error and the others go on. ``skip_layers`` leaves out files without a target (``--all``).
    """
    prepare_tls()
    clients = _SharedClients(settings.client_factory)
    shared = replace(
        settings, client_factory=clients.get, layers=settings.layers or loader.layer_cache()
    )
    bound = MAX_PARALLELISM if parallelism is None else parallelism
    workers = max(1, min(bound, len(names), MAX_PARALLELISM))
    cpu = threading.Semaphore(1)
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="plan") as pool:
            outcomes = list(pool.map(lambda name: _plan_one(name, shared, skip_layers, cpu), names))
    finally:
        clients.close()
    return [outcome for outcome in outcomes if outcome is not None]


def _plan_one(
    name: str, settings: Settings, skip_layers: bool, cpu: threading.Semaphore
) -> PlanOutcome | None:
    try:
        with cpu:
            environment = load(name, settings)
            if skip_layers and environment.model.target is None:
                return None
            refuse_invalid(environment, settings)
            # Not closed here: the target's client is shared, plan_many closes it.
            target = open_target(environment, settings)
        plan = plan_environment(environment, target, settings, cpu=cpu)
    except ReconcilerError as exc:
        return PlanOutcome(name, error=str(exc))
    return PlanOutcome(name, plan=plan, environment=environment)


class _SharedClients:
    """One client per (API URL, key) for plan_many's threads; httpx clients are thread-safe."""

    def __init__(self, factory: ClientFactory) -> None:
        self._factory = factory
        self._clients: dict[tuple[str, str], OryClient] = {}
        self._lock = threading.Lock()

    def get(self, base_url: str, api_key: str) -> OryClient:
        with self._lock:
            if (base_url, api_key) not in self._clients:
                self._clients[base_url, api_key] = self._factory(base_url, api_key)
            return self._clients[base_url, api_key]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def apply_saved_plan(
    saved: planfile.SavedPlan, settings: Settings, *, allow_weaken: bool = False
) -> ApplyResult | None:
    """Apply a saved plan exactly, or refuse it (StalePlanError) when the desired state, a
    secret or the live revision moved since it was made. None when it has no changes."""
    environment = load(saved.plan.environment, settings)
    plan = planfile.resolve(saved, environment, sensitive_pointers(environment))
    target = open_target(environment, settings)
    try:
        live = target.fetch()
        if live.revision != plan.revision:
            raise StalePlanError(
                f"the plan was made against revision {plan.revision}, but {plan.environment} "
                f"is now at revision {live.revision}; nothing was written. Run plan again."
            )
        if plan.is_empty:
            return None
        plan = replace(plan, live_config=live.config)
        return apply_plan(plan, environment, target, settings, allow_weaken=allow_weaken)
    finally:
        target.close()


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
    backup = _backup(plan, settings)
    outcome = target.apply(plan.operations, plan.revision)
    # Live secrets come back redacted: after a rotation, presence is all that can be checked.
    verify = replace(settings, rotate_secrets=False)
    desired = _render_for(environment, target)
    contents = _schema_contents(desired, outcome.state, settings)  # cached: no new fetch
    leftover = _plan_against(environment, target, outcome.state, verify, desired, contents).changes
    if leftover:
        raise ApplyError(notices.not_converged(leftover, plan))
    sent_paths = {str(op["path"]) for op in plan.operations}
    sent.record(
        settings.root, plan.environment, target.description, environment.model.rotate, sent_paths
    )
    related, unrelated = notices.split_warnings(outcome.warnings, environment, target)
    return ApplyResult(plan, outcome, backup, related, unrelated)


def _backup(plan: Plan, settings: Settings) -> Path | None:
    """Keep the live config as it was before this apply, so ``restore`` can go back to it."""
    if plan.live_config is None:
        return None
    return safety.save_backup(settings.root, plan.environment, plan.revision, plan.live_config)


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
    desired: rendering.Rendered,
    contents: Mapping[str, bytes],
    notes: tuple[Note, ...] = (),
    rotate: Mapping[Pointer, str] | None = None,
) -> Plan:
    raw = environment.raw
    known = {**live.known_digests, **desired.digests}
    rules = DiffRules(
        sensitive=sensitive_pointers(environment),
        ignored=target.ignored,
        known_digests=known,
        default_at=defaults(settings, target.kind),
        defaults_complete=True,
        rotate_secrets=settings.rotate_secrets,
        rotate=rotate or {},
        secrets_readable=isinstance(target, KratosFile),
        contents=contents,
    )
    diff = compute_diff(desired.config, live.config, environment.model.remove, rules)
    diff = replace(diff, warnings=diff.warnings + notices.ignored_keys(diff.ignored, raw))
    file_refs = {p: i.file_ref for p, i in raw.identity_pointers("file_ref").items() if i.file_ref}
    plan = make_plan(
        raw.name,
        target.description,
        live.revision,
        diff,
        sensitive=rules.sensitive,
        file_refs=file_refs,
        notes=notes,
        target_info=live.target,
    )
    return replace(plan, live_config=live.config)


def _schema_contents(
    desired: rendering.Rendered, live: LiveState, settings: Settings
) -> dict[str, bytes]:
    known = {**live.known_digests, **desired.digests}
    urls = schema_match.urls_worth_fetching(desired.config, live.config, known)
    if not urls:
        return {}
    return fetch_contents(urls, settings)


def fetch_contents(urls: Sequence[str], settings: Settings) -> dict[str, bytes]:
    """Content behind content-addressed URLs, from the run's cache or fetched once."""
    return _content_cache(settings).collect(urls)


_caches: dict[tuple[Path, Fetch], ContentCache] = {}
_caches_lock = threading.Lock()


def _content_cache(settings: Settings) -> ContentCache:
    """One cache per repository and fetcher, shared by every environment of the run."""
    key = (settings.root.resolve(), settings.fetch)
    with _caches_lock:
        if key not in _caches:
            folder = workdir.path(settings.root, "cache", "content")
            _caches[key] = ContentCache(folder, settings.fetch)
        return _caches[key]


def sensitive_pointers(environment: ValidEnvironment) -> frozenset[Pointer]:
    """Values from ``${VAR}``, tagged ``!secret``, or listed under ``secrets:``."""
    raw = environment.raw
    return (
        frozenset(raw.identity_pointers("variables"))
        | frozenset(raw.identity_pointers("tagged_secret"))
        | frozenset(environment.model.secrets)
    )


def defaults(settings: Settings, kind: TargetKind) -> DefaultLookup:
    """Kratos defaults, from the schema that governs a ``kind`` target."""
    return schema_for(kind, settings).default_at
