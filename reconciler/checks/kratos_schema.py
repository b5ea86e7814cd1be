"""Offline validation of a service's config against its official JSON Schema, and the defaults
it declares: the identity config's is Kratos' (the rest of this docstring), another service
names its own (``services/declaration.Judging.schema``) and is judged the same way.

The identity config of an Ory Network project is a Kratos config, so Kratos'
``embedx/config.schema.json`` (draft-07) is the best offline check we have (ory-api.md §1c, §2).
The schemas ship inside the package (``reconciler/official``); ``--kratos-schema`` overrides the
Kratos config schema. What governs a target (:func:`for_target`) is how its kind judges the
identity config (``services/identity``, ``Judging``):

* a Kratos file: the schema of the Kratos release the file runs (``official/releases.py``
  chooses it from the file's ``version:``), ``dsn`` required: Kratos refuses anything else.
  A key or value a later release removed gets its migration (``kratos_migrations.py``).
* Ory Network: the schema of Kratos master plus the Ory Network overlay
  (``network_overlay.py``); ``dsn`` is dropped from ``required``, Ory Network has none
  (ory-api.md §1c).
* Ory Network accepts some hook placements the OSS schema rejects (Ory's own docs put
  ``session`` in the flow-level ``registration.after.hooks``; ory-api.md §1c "Flows and hooks",
  §1d-8). Those problems are flagged ``known_network_deviation`` so callers report warnings.
* An unknown key is flagged ``unknown_key``: Ory Network may run ahead of its published spec
  (ory-api.md §3, fact 11), so a key the live project holds is no problem (``review``).
* Where the schema leaves an object open, an unknown key passes the schema yet is ignored:
  ``lax_keys`` finds it; one typo away from a declared key it is an ``unknown_key`` error with
  a did-you-mean, otherwise an ``ignored_key`` warning.

Identity schemas are checked against ``ory://identity-meta`` + ``ory://identity-extension``,
exactly the resources Kratos registers itself (official/PROVENANCE.md).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import threading
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler import official
from reconciler.checks import kratos_migrations, lax_keys, network_overlay, schema_paths
from reconciler.checks import schema_messages as messages
from reconciler.checks.schema_messages import SchemaProblem
from reconciler.errors import ConfigError
from reconciler.jsontypes import (
    JSONObject,
    JSONValue,
    Pointer,
    get_at,
    split_pointer,
)
from reconciler.official import releases
from reconciler.services import identity
from reconciler.services.declaration import Judging, Service, TargetKind

if TYPE_CHECKING:  # jsonschema is imported on first check: `render` never needs it
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator
    from referencing import Registry, Resource

    from reconciler.comparing.values import DefaultLookup

TRACING_CONFIG_URI = "ory://tracing-config"
IDENTITY_META_URI = "ory://identity-meta"
IDENTITY_EXTENSION_URI = "ory://identity-extension"
_META = "OSS Kratos identity-schema vocabulary (ory://identity-meta, ory.sh/kratos)"


def _read_json(path: Path) -> JSONObject:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError([f"cannot read JSON schema {path}: {exc}"]) from exc
    if not isinstance(loaded, dict):
        raise ConfigError([f"JSON schema {path} is not a JSON object"])
    return loaded


def _resource(contents: JSONObject) -> Resource[Any]:
    from referencing import Resource
    from referencing.jsonschema import DRAFT7

    return Resource.from_contents(contents, default_specification=DRAFT7)


class KratosSchema:
    """The shape of a service's config on one kind of target: its official schema (for the
    identity config a Kratos config schema, its ``ory://`` resources, and for Ory Network the
    overlay of Network-only keys); ``judging`` says which (``services/``).

    Build through :func:`for_target` (the identity config) or :func:`for_service`, which cache
    one instance per judging and schema path.
    ``release``: the Kratos release the schema is (a shipped one), ``None`` for Kratos master
    (Ory Network) and ``--kratos-schema``; ``tracing_path``: its ``ory://tracing-config``.
    """

    def __init__(
        self,
        config_schema_path: Path,
        judging: Judging,
        *,
        release: str | None = None,
        tracing_path: Path | None = None,
        named_by_config: bool = False,
    ) -> None:
        self.path = config_schema_path
        self.judging = judging
        self.release = release
        # The release is the one the config's `version:` names, not one the user asserted.
        self.named_by_config = named_by_config
        config = _read_json(config_schema_path)
        if judging.overlay is not None:
            config = network_overlay.extend(config, _read_json(judging.overlay))
        self._config = config
        self._config_id = str(config.get("$id", config_schema_path.as_uri()))
        # A Kratos checkout keeps the ory/x tracing schema at ../oryx/otelx next to embedx.
        self._tracing_path = tracing_path or _sibling_or_shipped(
            config_schema_path.parent.parent / "oryx" / "otelx" / "config.schema.json",
            official.TRACING_CONFIG,
        )
        self._tracing = _read_json(self._tracing_path)
        self.governing = _governing(config, judging)
        self._validator: Validator | None = None
        self._cache_lock = threading.Lock()
        self._identity_validator: Draft7Validator | None = None

    @functools.cached_property
    def _registry(self) -> Registry[Any]:
        """The schema's resources (built on first use: `render` never needs ``referencing``)."""
        from referencing import Registry

        return Registry().with_resources(
            [
                (self._config_id, _resource(self._config)),
                (TRACING_CONFIG_URI, _resource(self._tracing)),
                *((uri, _resource(_read_json(path))) for uri, path in self.judging.resources),
            ]
        )

    @property
    def subject(self) -> str:
        """What the schema is, as a message names it (``Kratos v0.8.1-alpha.1 config schema``)."""
        if self.release is not None:
            return f"Kratos {self.release} config schema"
        return self.judging.subject

    # -- identity config ------------------------------------------------------------------

    def validate_config(self, document: JSONValue, *, partial: bool = False) -> list[SchemaProblem]:
        """Problems of an identity config, sorted by pointer; ``[]`` when it is valid.
        ``partial``: the document declares only some keys (an environment's desired state), so
        a missing required key is no problem."""
        problems = self._schema_problems(document, partial=partial)
        seen = {problem.pointer for problem in problems}
        problems += [p for p in self._open_object_problems(document) if p.pointer not in seen]
        problems = [self._migrated(problem, document) for problem in problems]
        return sorted(set(problems), key=lambda p: (p.pointer, p.message))

    def _schema_problems(self, document: JSONValue, *, partial: bool) -> list[SchemaProblem]:
        errors = self._config_validator().iter_errors(document)
        problems = [problem for error in errors for problem in self._describe(error)]
        if partial:
            problems = [problem for problem in problems if not problem.missing_required]
        return problems

    def _open_object_problems(self, document: JSONValue) -> list[SchemaProblem]:
        """Unknown keys of objects the schema leaves open (``lax_keys``): a valid document is
        checked too, the schema accepts these keys."""
        return [
            messages.lax_key_problem(pointer, siblings, self.subject, self.judging.drops_unknown)
            for pointer, siblings in self._open_objects.undeclared(document)
        ]

    def _migrated(self, problem: SchemaProblem, document: JSONValue) -> SchemaProblem:
        """``problem`` with the migration Kratos documents for it, when a release this
        schema is (or follows) removed what the document holds there."""
        migration = kratos_migrations.migration_for(
            problem.pointer,
            get_at(document, problem.pointer),
            unknown_key=problem.unknown_key,
            judged_by=self.refuses_since,
        )
        if migration is None:
            return self._added_later(problem) if problem.unknown_key else problem
        if problem.unknown_key:
            parent, _, key = problem.pointer.rpartition("/")
            where = messages.at_pointer(parent)
            message = f"`{key}` at {where} was {migration.describe()}"
        else:
            message = f"{problem.message}; {migration.describe()}"
        return dataclasses.replace(problem, message=message)

    def _added_later(self, problem: SchemaProblem) -> SchemaProblem:
        """An unknown key a later shipped release declares: the file may run that release
        while its ``version:`` names an older one (Kratos itself never reads ``version:``)."""
        if self.release is None:
            return problem
        later = releases.first_after(self.release, lambda r: _declares(r, problem.pointer))
        if later is None:
            return problem
        parent, _, key = problem.pointer.rpartition("/")
        message = (
            f"`{key}` at {messages.at_pointer(parent)} is unknown to the {self.subject}, so "
            f"Kratos {self.release} would refuse it; Kratos {later.tag} added it: if the file "
            f"runs Kratos {later.tag} or later, write that in its `version:`"
        )
        return dataclasses.replace(problem, message=message, added_later=self.named_by_config)

    def refuses_since(self, release: str) -> bool:
        """True when this schema is ``release`` or later (Kratos master and an overriding
        schema are taken to be later than every release)."""
        if self.release is None:
            return True
        mine, theirs = releases.version_key(self.release), releases.version_key(release)
        return mine is None or theirs is None or mine >= theirs

    @functools.cached_property
    def _open_objects(self) -> lax_keys.OpenObjects:
        return lax_keys.OpenObjects(self.governing, self._resolver())

    def _config_validator(self) -> Validator:
        with self._cache_lock:
            if self._validator is None:
                from jsonschema import Draft7Validator

                self._validator = Draft7Validator(self.governing, registry=self._registry)
            return self._validator

    # -- identity schemas -----------------------------------------------------------------

    def validate_identity_schema(self, document: JSONValue) -> list[SchemaProblem]:
        """Problems of an identity schema against ``ory://identity-meta``, sorted by pointer."""
        validator = self._identity_schema_validator()
        problems = [
            p
            for error in validator.iter_errors(document)
            for p in messages.describe(error, _META, self._resolver(), hooks=False)
        ]
        return sorted(set(problems), key=lambda p: (p.pointer, p.message))

    @functools.cached_property
    def _identity_vocabulary(self) -> tuple[JSONObject, JSONObject]:
        """``ory://identity-meta`` and ``ory://identity-extension``: next to an overriding
        schema (a Kratos checkout), else the shipped copies."""
        embedx = self.path.parent
        meta = _read_json(
            _sibling_or_shipped(embedx / "identity_meta.schema.json", official.IDENTITY_META)
        )
        extension = _read_json(
            _sibling_or_shipped(
                embedx / "identity_extension.schema.json", official.IDENTITY_EXTENSION
            )
        )
        return meta, extension

    def _identity_schema_validator(self) -> Draft7Validator:
        with self._cache_lock:
            if self._identity_validator is None:
                meta, extension = self._identity_vocabulary
                registry = self._registry.with_resources(
                    [
                        (IDENTITY_META_URI, _resource(meta)),
                        (IDENTITY_EXTENSION_URI, _resource(extension)),
                    ]
                )
                from jsonschema import Draft7Validator

                self._identity_validator = Draft7Validator(meta, registry=registry)
            return self._identity_validator

    # -- defaults -------------------------------------------------------------------------

    def default_at(self, pointer: Pointer) -> tuple[bool, JSONValue]:
        """``(True, default)`` when the schema declares a default for ``pointer``
        (``schema_paths.default_at`` says how it is found)."""
        return schema_paths.default_at(self._config, pointer, self._resolver())

    def declares(self, pointer: Pointer) -> bool:
        """True when some branch of the schema has a place for ``pointer``."""
        return schema_paths.declares(self._config, split_pointer(pointer), self._resolver())

    def schema_at(self, pointer: Pointer) -> JSONObject | None:
        """The schema of ``pointer``'s place, as its parent writes it (``schema_paths``)."""
        found = schema_paths.schema_at(self._config, pointer, self._resolver())
        return found if isinstance(found, dict) else None

    def admits_null(self, pointer: Pointer) -> bool:
        """True when the schema names null as a value at ``pointer`` (OIDC
        ``requested_claims``: ``{id_token: {email: null}}``)."""
        return schema_paths.admits_null(self._config, split_pointer(pointer), self._resolver())

    def _describe(self, error: ValidationError) -> Iterator[SchemaProblem]:
        """A problem of the config, described (``schema_messages.describe``), its hook lists
        read through this schema's ``$ref`` resolver."""
        return messages.describe(error, self.subject, self._resolver(), hooks=True)

    @functools.cached_property
    def _config_resolver(self) -> Any:
        return self._registry.resolver(self._config_id)

    def _resolver(self) -> Any:
        """A ``$ref`` resolver at the config schema's root (``referencing``'s)."""
        return self._config_resolver


def _governing(config: JSONObject, judging: Judging) -> JSONObject:
    """The config schema as an identity config judged so is checked against it."""
    schema = dict(config)
    required = schema.get("required")
    if judging.not_required and isinstance(required, list):
        # Ory Network has no `dsn`; the OSS schema requires it (ory-api.md §1c).
        schema["required"] = [key for key in required if key not in judging.not_required]
    return schema


@lru_cache(maxsize=16)
def _load(
    config_schema_path: Path,
    judging: Judging,
    release: str | None = None,
    tracing: Path | None = None,
    named_by_config: bool = False,
) -> KratosSchema:
    return KratosSchema(
        config_schema_path,
        judging,
        release=release,
        tracing_path=tracing,
        named_by_config=named_by_config,
    )


def for_target(
    kind: TargetKind,
    override: Path | None = None,
    release: releases.Release | None = None,
    *,
    named_by_config: bool = False,
) -> KratosSchema:
    """The shape of a ``kind`` target's identity config: ``override`` (``--kratos-schema``, a
    Kratos ``embedx/config.schema.json``) when given, else the shipped schema its kind is
    judged by (``reconciler/official``): for a kind judged by release, ``release``'s (default:
    the newest release; ``named_by_config``: the config's own ``version:`` named it, so a key a
    later release added is a warning), else Kratos master. The Ory Network keys are added for
    a kind that has them.

    Cached per judging and resolved path. Raises ``ConfigError`` when a file is missing or not
    JSON.
    """
    judging = identity.SERVICE.judging[kind]
    if override is not None:
        return _load(override.resolve(), judging)
    if judging.by_release:
        chosen = release or releases.newest()
        return _load(chosen.config, judging, chosen.tag, chosen.tracing, named_by_config)
    return _load(judging.schema, judging)


def for_service(service: Service, kind: TargetKind) -> KratosSchema:
    """The shape of ``service``'s config on a ``kind`` target: the official schema its
    declaration names for that kind (the identity config: :func:`for_target`); for a kind that
    does not hold the service (``diff`` of two environments), the first kind that does."""
    if service is identity.SERVICE:
        return for_target(kind)
    judging = service.judging.get(kind) or next(iter(service.judging.values()))
    return _load(judging.schema, judging)


def released(release: releases.Release | None = None) -> KratosSchema:
    """The schema of a Kratos release (default: the newest), as a Kratos file is judged."""
    chosen = release or releases.newest()
    return _load(chosen.config, identity.KRATOS_RELEASE, chosen.tag, chosen.tracing)


def _declares(release: releases.Release, pointer: Pointer) -> bool:
    return released(release).declares(pointer)


def defaults_of(service: Service) -> DefaultLookup:
    """What a setting of ``service`` means when nobody set it, for judging a change's security
    impact: the released Kratos schema's defaults for the identity config, else those of the
    schema the service is first judged by."""
    if service is identity.SERVICE:
        return released().default_at
    return for_service(service, next(iter(service.judging))).default_at


def _sibling_or_shipped(sibling: Path, shipped: Path) -> Path:
    """A resource next to an overriding schema (a Kratos checkout), else the shipped copy."""
    return sibling if sibling.is_file() else shipped


def traits_check(identity_schema: JSONObject) -> Callable[[JSONValue], frozenset[str]] | None:
    """Why an identity's traits fail ``identity_schema`` as Kratos validates them (the document
    ``{"traits": …}`` against the schema, formats checked): one reason per failing trait and
    keyword (``email maxLength``, ``name.last required``), empty when they pass; None when the
    schema itself is not a valid JSON Schema. Remote ``$ref``s are never fetched (``$ref``).

    A reason names the schema's trait and keyword, never a value: used in memory only, the
    traits are neither kept nor shown (``checks/identity_counts.py``)."""
    from jsonschema import Draft7Validator, FormatChecker
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for
    from referencing import Registry
    from referencing.exceptions import Unresolvable

    cls = validator_for(identity_schema, default=Draft7Validator)
    try:
        cls.check_schema(identity_schema)
    except SchemaError:
        return None
    # An empty registry: a remote ``$ref`` is Unresolvable, never fetched (jsonschema's
    # default retrieves it over the network).
    validator = cls(identity_schema, format_checker=FormatChecker(), registry=Registry())

    def reasons(traits: JSONValue) -> frozenset[str]:
        try:
            return frozenset(_reason(e) for e in validator.iter_errors({"traits": traits}))
        except Unresolvable:
            return frozenset({"$ref"})

    return reasons


# Schema keywords whose next token names a subschema, not a trait (skipped with it).
_NAMING_KEYWORDS = frozenset({"patternProperties", "definitions", "$defs", "dependencies"})


def _reason(error: ValidationError) -> str:
    """``email maxLength``: where below ``traits`` and which keyword, read from the schema's
    path only: a trait that is a map (``additionalProperties``) has the identity's own data
    as keys, so those are ``*``; a missing trait is named from ``required``."""
    tokens = list(error.absolute_schema_path)[:-1]  # the last one is the keyword
    if tokens[:2] == ["properties", "traits"]:
        tokens = tokens[2:]
    path: list[str] = []
    pending = iter(tokens)
    for token in pending:
        if token == "properties":
            path.append(str(next(pending, "")))
        elif token == "items" and path:
            path[-1] += "[]"  # an array's items, as trait diffs name them (``tags[]``)
        elif token in ("additionalProperties", "patternProperties"):
            path.append("*")
            if token == "patternProperties":
                next(pending, None)
        elif token in _NAMING_KEYWORDS:
            next(pending, None)
    keyword = str(error.validator)
    if keyword == "required":
        path.append(messages.missing_key(error))
    return f"{'.'.join(path) or 'traits'} {keyword}"
