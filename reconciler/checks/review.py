"""What the Ory-aware checks say about an environment, located in the user's files.

For each config service it plans, three sources, one shape (``Finding``): the service's
official schema (the Kratos config schema for the identity config), the identity meta-schema
for every identity schema whose content we have, and the lint rules registered for the
service (``lint/``). A problem in a value the user wrote is theirs: an error, with file, line and
key. A problem in a value that came from live is a warning: the user did not write it, and Ory
Network runs ahead of the OSS schema (ory-api.md §3, fact 11). A key the live project holds is
no problem at all, written by the user or not: the live project is the authority on which keys
exist.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import replace

from reconciler import blobs
from reconciler.checks import lint
from reconciler.checks.finding import Finding, Severity
from reconciler.checks.kratos_schema import KratosSchema
from reconciler.checks.schema_messages import SchemaProblem
from reconciler.comparing import identity_schemas, list_view
from reconciler.jsontypes import (
    JSONObject,
    JSONValue,
    Pointer,
    deep_merge,
    get_at,
    is_within,
    join_pointer,
    split_pointer,
)
from reconciler.limits import loads_json
from reconciler.loading.document import NULL_MESSAGE
from reconciler.loading.validate import ValidEnvironment
from reconciler.services.declaration import Service

_DIGITS = re.compile(r"(\d+)")


def review(
    environment: ValidEnvironment,
    desired: Mapping[str, JSONObject],
    live: Mapping[str, JSONObject] | None,
    *,
    schemas: Mapping[str, KratosSchema],
    contents: Mapping[str, bytes] | None = None,
) -> tuple[Finding, ...]:
    """Check the rendered desired config of each service the environment plans (by service
    name; merged over ``live`` when given) against the target's schema of it (``schemas``,
    ``kratos_schema.for_target`` and ``for_service``).

    Pure. ``contents`` holds live content fetched by URL.
    """
    findings = _unset_variables(environment)
    disabled = dict(environment.model.lint.disable)
    merged = {
        name: _merged(config, None if live is None else live.get(name))
        for name, config in desired.items()
    }
    for service in environment.services:
        reviewer = _Reviewer(environment, service)
        own = desired.get(service.name, {})
        theirs = None if live is None else live.get(service.name, {})
        findings += reviewer.service_problems(own, theirs, schemas[service.name], contents)
        others = {name: config for name, config in merged.items() if name != service.name}
        linted = lint.lint(
            service,
            own,
            theirs,
            schema_contents=contents,
            kratos=schemas[service.name],
            others=others,
        )
        findings += [reviewer.locate(f, why) for f, why in lint.acknowledge(linted, disabled)]
    return tuple(sorted(findings, key=_order))


def _merged(desired: JSONObject, live: JSONObject | None) -> JSONObject:
    merged = desired if live is None else deep_merge(live, desired)
    return merged if isinstance(merged, dict) else {}


def _order(finding: Finding) -> tuple[bool, bool, bool, tuple[str | int, ...], str]:
    """Errors, then warnings, then acknowledged findings; located ones first, in file order."""
    return (
        bool(finding.acknowledged),
        not finding.is_error,
        finding.where == "",
        _file_order(finding.where),
        finding.rule_id,
    )


def _file_order(where: str) -> tuple[str | int, ...]:
    """``dev.yaml:12:3`` after ``dev.yaml:3:7``: the numbers compared as numbers. Splitting
    on digit runs puts text at even and numbers at odd places, so two keys never compare a
    number with text."""
    return tuple(
        int(part) if index % 2 else part for index, part in enumerate(_DIGITS.split(where))
    )


def preflight(
    environment: ValidEnvironment,
    desired: Mapping[str, JSONObject],
    *,
    schemas: Mapping[str, KratosSchema],
) -> tuple[Finding, ...]:
    """The errors that live state cannot change: checked before any request is sent.

    On Ory Network an unknown key is not one of them: the live project is the authority on
    which keys exist, so a key it holds is no problem (``review`` judges it once live is known).
    A typo of a key declared in an open object is: Ory drops it silently, so no project holds it.
    """
    findings: list[Finding] = []
    for service in environment.services:
        reviewer = _Reviewer(environment, service)
        own, schema = desired.get(service.name, {}), schemas[service.name]
        findings += reviewer.identity_schema_problems(own, schema)
        asks_live = environment.model.target is not None and schema.judging.live_knows_keys
        findings += reviewer.schema_problems(
            own, own, schema, partial=True, defer_unknown=asks_live
        )
    return tuple(finding for finding in findings if finding.is_error)


@functools.lru_cache(maxsize=64)
def _identity_schema_messages(content: bytes, schema: KratosSchema) -> tuple[str, ...]:
    """What is wrong with one identity schema's content; the same schema (a shared base)
    is checked once per run, not once per environment and step."""
    try:
        document: JSONValue = loads_json(content)
    except (ValueError, UnicodeDecodeError) as exc:
        return (f" is neither JSON nor YAML: {exc}",)
    problems = schema.validate_identity_schema(document)
    return tuple(f": {problem.message}" for problem in problems)


def _written_by_user(desired: JSONObject, pointer: Pointer) -> bool:
    """True when the value at ``pointer`` of desired-merged-over-live came from desired:
    mappings merge key by key, anything else (a list, a scalar) is desired's whole. The
    document root is nobody's in particular (e.g. a Kratos file without the required ``dsn``)."""
    if not pointer:
        return False
    node: JSONValue = desired
    for token in split_pointer(pointer):
        if not isinstance(node, dict):
            return True
        if token not in node:
            return False
        node = node[token]
    return True


def _unset_variables(environment: ValidEnvironment) -> list[Finding]:
    """One warning per value built from an unset ``${VAR}`` (validate only: every other
    command refuses to load such a file)."""
    return [
        Finding(
            "unset-variable",
            "warning",
            f"environment variable {name} is not set; checked without it, but plan, "
            "apply and render need it",
            where=str(info.location),
        )
        for info in environment.raw.info.values()
        for name in info.unset_variables
    ]


class _Reviewer:
    """One service's config of an environment: its problems, located in the user's files."""

    def __init__(self, environment: ValidEnvironment, service: Service) -> None:
        self.raw = environment.raw
        self.service = service
        self.root = service.environment_pointer
        self.written = list(self.raw.pointers_of(service))

    def service_problems(
        self,
        desired: JSONObject,
        live: JSONObject | None,
        schema: KratosSchema,
        contents: Mapping[str, bytes] | None,
    ) -> list[Finding]:
        """Its identity schemas' and its official schema's problems (desired merged over
        ``live`` when given)."""
        findings = self.identity_schema_problems(desired, schema)
        merged = _merged(desired, live)
        # The live project is the authority on which keys exist on Ory Network; a Kratos file
        # is not (Kratos refuses a key its release does not know).
        authority = live if schema.judging.live_knows_keys else None
        findings += self.schema_problems(
            merged, desired, schema, partial=live is None, live=authority
        )
        return findings

    def owns(self, pointer: Pointer) -> bool:
        """True when the user's files wrote ``pointer`` or a value above it."""
        return any(is_within(pointer, written) for written in self.written)

    def where(self, pointer: Pointer) -> str:
        """``file:line:col: key``, list elements in the key named as the plan names them
        (``identity.schemas[preset://email].url``, not an index into the file)."""
        if not self.owns(pointer):
            return ""
        location = self.raw.location(self.root + pointer)
        if location is None:
            return ""
        key = list_view.labelled_key(self.root + pointer, self.raw.data)
        return str(replace(location, key=key))

    def schema_problems(
        self,
        document: JSONObject,
        desired: JSONObject,
        schema: KratosSchema,
        *,
        partial: bool,
        live: JSONObject | None = None,
        defer_unknown: bool = False,
    ) -> list[Finding]:
        """Problems of ``document`` (``desired``, possibly merged over ``live``). A key
        ``live`` holds is never unknown, whoever wrote it: the live project is the authority
        on which keys exist (Ory Network runs ahead of every published schema). With
        ``defer_unknown`` unknown keys are left for the check that knows live."""
        findings = self.null_problems(schema)
        nulls = {finding.pointers[0] for finding in findings}
        # partial: an environment declares only what it manages, so no key is missing.
        for problem in schema.validate_config(document, partial=partial):
            if self.unset_at(problem.pointer) or problem.pointer in nulls:
                continue  # a placeholder (``${VAR}`` not set), or a null said once already
            if live is not None and self.withheld(problem):
                continue  # Ory leaves it out of reads (the OAuth2 pairwise salt): no evidence
            deferred = defer_unknown and not problem.typo
            if (problem.unknown_key or problem.ignored_key) and (
                deferred or (live is not None and get_at(live, problem.pointer)[0])
            ):
                continue
            pointers = (problem.pointer,)
            if not _written_by_user(desired, problem.pointer):
                # Only live has it (Ory Network runs ahead of the OSS schema): the user's file
                # never mentions it, so it must not fail their plan nor be pinned on them.
                live_message = f"live {problem.pointer or '/'}: {problem.message}"
                findings.append(Finding("schema", "warning", live_message, pointers=pointers))
                continue
            warning = problem.known_network_deviation or problem.ignored_key or problem.added_later
            severity: Severity = "warning" if warning else "error"
            where = self.where(problem.pointer)
            findings.append(
                Finding("schema", severity, problem.message, pointers=pointers, where=where)
            )
        return findings

    def withheld(self, problem: SchemaProblem) -> bool:
        """A required key is missing where Ory leaves the key out of every read."""
        missing = join_pointer(problem.pointer, problem.missing_key)
        return problem.missing_required and self.service.secrets.is_withheld(missing)

    def null_problems(self, schema: KratosSchema) -> list[Finding]:
        """A null the user wrote where the schema names no null: an error, never a delete
        (``remove:`` resets a key). Where it names one, the null is a value like any other."""
        config = self.raw.config_of(self.service)
        return [
            Finding("schema", "error", NULL_MESSAGE, pointers=(pointer,), where=self.where(pointer))
            for pointer in self.written
            if get_at(config, pointer) == (True, None) and not schema.admits_null(pointer)
        ]

    def unset_at(self, pointer: Pointer) -> bool:
        info = self.raw.info.get(self.root + pointer)
        return info is not None and bool(info.unset_variables)

    def identity_schema_problems(self, desired: JSONObject, schema: KratosSchema) -> list[Finding]:
        if not self.service.lists_identity_schemas:
            return []
        identity = desired.get("identity")
        schemas = identity.get("schemas") if isinstance(identity, dict) else None
        findings: list[Finding] = []
        for index, entry in enumerate(schemas if isinstance(schemas, list) else []):
            if isinstance(entry, dict):
                pointer = join_pointer(join_pointer("/identity/schemas", index), "url")
                findings += self._identity_schema(entry, pointer, schema)
        return findings

    def _identity_schema(
        self, entry: JSONObject, pointer: Pointer, schema: KratosSchema
    ) -> list[Finding]:
        if identity_schemas.is_preset(entry):
            return []  # Ory's own schema (preset://blank has no traits, and that is fine)
        content = blobs.decode(str(entry.get("url", "")))
        if content is None:
            return []  # a URL: nothing to check offline
        info = self.raw.info.get(self.root + pointer)
        source = f" ({info.file_ref})" if info is not None and info.file_ref else ""
        name = f"identity schema {entry.get('id')!s}{source}"
        return [
            Finding(
                "identity-schema",
                "error",
                f"{name}{message}",
                pointers=(pointer,),
                where=self.where(pointer),
            )
            for message in _identity_schema_messages(content, schema)
        ]

    def locate(self, finding: Finding, acknowledged: str = "") -> Finding:
        """A lint finding at the first of its pointers the user's files wrote."""
        where = next((self.where(p) for p in finding.pointers if self.where(p)), "")
        return finding.located(where, acknowledged)
