"""``reconciler identities ENV``: how many identities the project holds, by schema and by
credential type, and how many have the one-time-code second factor, with nothing else of them
(the answer to "which of my users have email 2FA?"). Read-only: the project is read, its
identities listed with a project API key (``identity_impact``), nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.checks.identity_counts import IdentityCounts
from reconciler.comparing import identity_schemas
from reconciler.errors import ConfigError
from reconciler.jsontypes import JSONObject, get_at
from reconciler.services import registry
from reconciler.services.identity.aal import CODE_MFA
from reconciler.targets import project_api
from reconciler.usecases import identity_impact, planning, read_only
from reconciler.usecases.steps import Settings


@dataclass(frozen=True)
class IdentityReport:
    environment: str
    target: str
    # The live project's selfservice.methods.code.mfa_enabled.
    code_mfa_enabled: bool
    counts: IdentityCounts

    def to_json(self) -> JSONObject:
        return {
            "environment": self.environment,
            "target": self.target,
            "code_mfa_enabled": self.code_mfa_enabled,
            "identities": self.counts.to_json(),
        }


def identity_report(name: str, settings: Settings) -> IdentityReport:
    """Count the identities of ``name``'s project. Raises ConfigError without a project key
    or for a target that holds no identities; RemoteError when the API fails."""
    environment = read_only.load_without_secrets(name, settings)
    variable = identity_impact.key_variable(environment) or project_api.KEY_VARIABLE
    key = project_api.project_key(settings.environ, variable)
    if key is None:
        raise ConfigError(
            [
                f"{variable} is not set: counting identities needs a project API key "
                "(ory_pat_…) of the project, created in the Ory Console"
            ]
        )
    target, live = read_only.fetch(environment, settings)
    if not target.counts_identities:
        raise ConfigError(
            [f"{name}: {target.description} holds no identities to count (ory_network only)"]
        )
    config = live.of(registry.IDENTITY)
    unresolved = [
        schema.url
        for schema in identity_schemas.resolve_schemas(config)
        if schema.content is None and schema.url
    ]
    contents = planning.stored_contents(unresolved, settings) if unresolved else {}
    schemas = identity_impact.schemas_of({}, live, contents)
    url = identity_impact.project_url(live, settings)
    counts = identity_impact.read_counts(url, key, schemas, settings, checks=())
    heading = live.target.heading if live.target is not None else target.description
    return IdentityReport(name, heading, get_at(config, CODE_MFA)[1] is True, counts)
