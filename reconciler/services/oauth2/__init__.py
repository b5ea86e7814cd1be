"""The OAuth2 config: Ory Hydra's config, as ``ory get oauth2-config`` prints it.

Declared once, here: its key in an environment file, its place in the project document
(``services.oauth2.config``, SPEC ``projectServices``), the Hydra schema Ory Network judges it
by (Hydra master plus the keys of the spec's ``hydra_*`` columns Hydra lacks), what Ory
Network sets itself, and its secrets. Its security rules are ``security.py``.
"""

from __future__ import annotations

from reconciler import official
from reconciler.jsontypes import Pointer
from reconciler.secrets import SecretPaths
from reconciler.services.declaration import NETWORK_DROPS_UNKNOWN, Judging, Service
from reconciler.services.oauth2.security import SECURITY

NAME = "oauth2"
KEY = "oauth2_config"
PLACE: Pointer = "/services/oauth2/config"

# What Ory Network sets itself. The CLI's own test of ``ory update oauth2-config`` expects every
# key back as sent except ``serve.cookies.names``, ``serve.cookies.domain``, ``urls.self`` and
# ``oauth2.session`` (ory/cli @1e36467 cmd/cloudx/project/update_test.go, the paths excepted
# "for hydra cmd" and "for project cmd"). Beside them, keys a project's GET returns (the CLI
# fixture's ``services.oauth2.config``, ory/cli
# cmd/cloudx/project/fixtures/update/json/config.json) that no column of the spec's
# ``normalizedProjectRevision`` governs: Ory maps the document onto those columns and drops the
# rest (ory-network-behaviour.md §5), and their values are the project's own (its domain, cookie
# names made of its slug). ``dsn`` and the operational keys (ports, logging, tracing) are "not
# supported" (SPEC patchProject; docs "except for some keys (for example ``serve``, ``dsn``)
# which are ignored", ory-network-behaviour.md §3). The CORS of ``serve.public``/``serve.admin``
# is the project's ``cors_public``/``cors_admin`` (``services/project``);
# ``serve.cookies.same_site_*`` and ``urls.self.issuer`` have columns.
SERVER_MANAGED: tuple[Pointer, ...] = (
    "/dsn",
    "/serve/public",
    "/serve/admin",
    "/serve/tls",
    "/serve/cookies/domain",
    "/serve/cookies/names",
    "/serve/cookies/secure",
    "/urls/self/public",
    "/urls/self/admin",
    "/dev",
    "/hsm",
    "/clients",
    "/oauth2/expose_internal_errors",
    "/oauth2/hashers",
    "/oauth2/session",
    "/log",
    "/tracing",
    "/profiling",
    "/db",
    "/sqa",
    "/cgroups",
)

ORY_NETWORK = Judging(
    subject="OSS Hydra config schema",
    drops_unknown=NETWORK_DROPS_UNKNOWN,
    schema=official.HYDRA_MASTER_CONFIG,
    overlay=official.OAUTH2_OVERLAY,
    live_knows_keys=True,
    server_managed=SERVER_MANAGED,
    resources=official.ORY_X_RESOURCES,
)

# Write-only: the system, cookie and pagination secrets (columns ``hydra_secrets_*``) and the
# pairwise subject salt, which Ory "redacts ... from project revision responses" (TF docs
# project_config.md @03e938ef, ory-network-behaviour.md §2). Hydra names the salt
# ``oidc.subject_identifiers.pairwise.salt``; the spec's column says ``pairwise_salt``: both.
# A read leaves out ``secrets`` whole (the CLI fixture's GET has none), so its absence says
# nothing either.
SECRETS = SecretPaths(
    secret=(
        r"^/secrets(/(system|cookie|pagination)(/\d+)?)?$",
        r"^/oidc/subject_identifiers/pairwise(/|_)salt$",
    ),
)

SERVICE = Service(
    name=NAME,
    key=KEY,
    place=PLACE,
    title="OAuth2 config",
    judging={"ory_network": ORY_NETWORK},
    secrets=SECRETS,
    security=SECURITY,
    # The issuer and discovery URLs carry the project's own domain (the CLI fixture's).
    per_project=("/urls/self/issuer", "/webfinger/oidc_discovery"),
)
