"""What to write instead of a Kratos config key or value a later release removed.

Found by diffing the config schemas of every shipped release (``official/kratos-releases``)
and read in Kratos' own words: each entry cites where Kratos says so (``CHANGELOG.md`` lines
are at tag v26.2.0; a commit is in ory/kratos). A schema problem at a matching place gets
the migration instead of a did-you-mean that points the wrong way (``default_schema_url`` is
no typo of ``default_schema_id``): ``KratosSchema`` asks :func:`migration_for` for every
problem it reports against a release at or after the removal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.jsontypes import JSONValue, Pointer

_FLOW_HOOK = r"^/selfservice/flows/[a-z_]+/(?:before|after)(?:/[a-z_]+)?/hooks/\d+(?:/hook)?$"
_PROVIDER = r"^/selfservice/methods/oidc/config/providers/\d+"


@dataclass(frozen=True)
class Migration:
    """A key (``old_value`` None) or a value Kratos stopped accepting in ``removed_in``."""

    pointer: re.Pattern[str]  # where the old key or value sits
    removed_in: str  # the first release that refuses it
    instead: str  # what to write instead, in the user's terms
    source: str  # where Kratos says so
    old_value: Callable[[JSONValue], bool] | None = None

    def describe(self) -> str:
        """``removed in Kratos v0.9.0-alpha.1: …`` (a key), ``refused since …`` (a value)."""
        what = "removed in" if self.old_value is None else "refused since"
        return f"{what} Kratos {self.removed_in}: {self.instead} ({self.source})"


def _key(pattern: str, removed_in: str, instead: str, source: str) -> Migration:
    return Migration(re.compile(pattern), removed_in, instead, source)


def _value(
    pattern: str, removed_in: str, instead: str, source: str, old: Callable[[JSONValue], bool]
) -> Migration:
    return Migration(re.compile(pattern), removed_in, instead, source, old)


def _is_hook(name: str) -> Callable[[JSONValue], bool]:
    return lambda value: value == name or (isinstance(value, dict) and value.get("hook") == name)


_V09_OIDC = "CHANGELOG.md:6061-6076, v0.9.0-alpha.1 breaking changes"

MIGRATIONS: tuple[Migration, ...] = (
    _key(
        r"^/selfservice/methods/recovery_token$",
        "v0.5.2-alpha.1",
        "recovery links are `selfservice.methods.link` (`enabled: true`)",
        "CHANGELOG.md:10808, commit acf6ac4",
    ),
    _value(
        r"^/hashers/argon2/memory$",
        "v0.6.0-alpha.1",
        "the memory is a byte size with its unit; the number was KiB, so `131072` is `128MB`",
        "CHANGELOG.md:9246-9248; hash/hasher_argon2.go of v0.5.5-alpha.1 (KiB) and "
        "v0.6.0-alpha.1 (bytes)",
        lambda value: isinstance(value, int) and not isinstance(value, bool),
    ),
    _value(
        _FLOW_HOOK,
        "v0.6.0-alpha.1",
        "remove the `verify` hook; Kratos sends the verification message by itself when "
        "`selfservice.flows.verification.enabled` is true",
        "CHANGELOG.md:9946-9951, commit 98cfec6",
        _is_hook("verify"),
    ),
    _value(
        _PROVIDER + r"/provider$",
        "v0.8.0-alpha.1",
        "the GitHub App provider is spelled `github-app`",
        "commit 1b50963, fix: github-app name in config (#1822)",
        lambda value: value == "gitlab-app",
    ),
    _key(
        r"^/identity/default_schema_url$",
        "v0.9.0-alpha.1",
        "list the schema under `identity.schemas: [{id: default, url: <the URL>}]` and set "
        "`identity.default_schema_id: default`",
        "CHANGELOG.md:6078-6095, v0.9.0-alpha.1 breaking changes",
    ),
    _key(
        r"^/selfservice/whitelisted_return_urls$",
        "v0.9.0-alpha.1",
        "the same list is `selfservice.allowed_return_urls`",
        "CHANGELOG.md:6036-6037, v0.9.0-alpha.1 breaking changes",
    ),
    _key(
        _PROVIDER + r"/private_key_id$",
        "v0.9.0-alpha.1",
        "it is `apple_private_key_id`",
        _V09_OIDC,
    ),
    _key(_PROVIDER + r"/private_key$", "v0.9.0-alpha.1", "it is `apple_private_key`", _V09_OIDC),
    _key(_PROVIDER + r"/team_id$", "v0.9.0-alpha.1", "it is `apple_team_id`", _V09_OIDC),
    _key(_PROVIDER + r"/tenant$", "v0.9.0-alpha.1", "it is `microsoft_tenant`", _V09_OIDC),
    _key(
        r"^/serve/public/domain_aliases$",
        "v0.9.0-alpha.1",
        "domain aliases are gone with no replacement; remove the key and serve each domain "
        "from its own Kratos config",
        "CHANGELOG.md:6573-6574, v0.8.3-alpha.1.pre.0 breaking changes",
    ),
    _key(
        r"^/tracing/providers/jaeger/(?:propagation|sampling/type|sampling/value)$",
        "v0.10.0",
        "tracing moved to OpenTelemetry (ory/x otelx): Jaeger samples by "
        "`sampling.server_url` (and `sampling.trace_id_ratio` since v0.11.1)",
        "CHANGELOG.md:5912-5920, commit 7165fa0",
    ),
    _value(
        r"^/tracing/provider$",
        "v0.10.0",
        "tracing moved to OpenTelemetry: the providers are `jaeger`, `zipkin` and (since "
        "v0.11.0) `otel`",
        "CHANGELOG.md:5912-5920, commit 7165fa0",
        lambda value: value in ("datadog", "elastic-apm", "instana"),
    ),
    _key(
        r"^/courier/message_ttl$",
        "v0.11.0",
        "messages are retried a number of times instead: `courier.message_retries`",
        "CHANGELOG.md:5074-5075, v0.11.0-alpha.0.pre.2 breaking changes",
    ),
    _key(
        r"^/courier/sms/request_config/header$",
        "v0.11.0",
        "it is `headers`",
        "commit 7c6eb2a, OAuth2 integration (#2804)",
    ),
    _key(
        r"^/selfservice/methods/code/passwordless_login_fallback_enabled$",
        "v1.3.0",
        "the fallback is `selfservice.methods.code.config.missing_credential_fallback_enabled`",
        "CHANGELOG.md:2491-2498, v1.3.0 breaking changes; commit 1bdc19a",
    ),
    _key(
        r"^/courier/sms$",
        "v25.4.0",
        "SMS go through a courier channel: `courier.channels: [{id: sms, type: http, "
        "request_config: <the old request_config>}]` (the sender goes into the body)",
        "commit e3a3c4f (#3649, v1.1.0: courier.channels), commit f076fe4 (#4212: "
        "courier.sms removed)",
    ),
)


def migration_for(
    pointer: Pointer,
    value: tuple[bool, JSONValue],
    *,
    unknown_key: bool,
    judged_by: Callable[[str], bool],
) -> Migration | None:
    """The migration for a problem at ``pointer`` (``value``: ``(found, value)`` there), if
    the release judging it (``judged_by(removed_in)``: is it at or after that release?)
    already refuses what the migration replaces."""
    for migration in MIGRATIONS:
        if not migration.pointer.match(pointer) or not judged_by(migration.removed_in):
            continue
        if migration.old_value is None:
            if unknown_key:
                return migration
        elif value[0] and migration.old_value(value[1]):
            return migration
    return None
