"""The permission config: Ory Keto's config, as ``ory get permission-config`` prints it.

Declared once, here: its key in an environment file, its place in the project document
(``services.permission.config``, SPEC ``projectServices``), the Keto schema Ory Network judges
it by (Keto master; the spec's ``keto_*`` columns add no key Keto lacks), and what Ory Network
sets itself. An Ory Permission Language file is ``namespaces.location``: written ``file://``,
sent ``base64://`` and stored content-addressed (``.txt``, ory-network-behaviour.md §4),
matched by content as identity schemas are.
"""

from __future__ import annotations

from reconciler import official
from reconciler.jsontypes import Pointer
from reconciler.secrets import SecretPaths
from reconciler.services.declaration import NETWORK_DROPS_UNKNOWN, Judging, Service

NAME = "permission"
KEY = "permission_config"
PLACE: Pointer = "/services/permission/config"

# The database, the servers, logging and tracing: "not supported" (SPEC patchProject),
# "ignored" (docs, ory-network-behaviour.md §3), no ``keto_*`` column governs them. Not
# ``limit``: the CLI's ``update permission-config`` test sends ``limit.max_read_depth: 7`` to a
# project holding 3 and expects it back unchanged (ory/cli @1e36467
# cmd/cloudx/project/update_test.go: no path excepted "for keto cmd").
SERVER_MANAGED: tuple[Pointer, ...] = (
    "/dsn",
    "/serve",
    "/log",
    "/tracing",
    "/profiling",
    "/clients",
)

ORY_NETWORK = Judging(
    subject="OSS Keto config schema",
    drops_unknown=NETWORK_DROPS_UNKNOWN,
    schema=official.KETO_MASTER_CONFIG,
    overlay=official.PERMISSION_OVERLAY,
    not_required=("dsn",),
    live_knows_keys=True,
    server_managed=SERVER_MANAGED,
    resources=official.ORY_X_RESOURCES,
)

# The pagination secret (column ``keto_secrets_pagination``) is a credential; a read leaves
# ``secrets`` out whole (the CLI fixture's GET has none).
SECRETS = SecretPaths(secret=(r"^/secrets(/pagination(/\d+)?)?$",))

SERVICE = Service(
    name=NAME,
    key=KEY,
    place=PLACE,
    title="Permission config",
    judging={"ory_network": ORY_NETWORK},
    secrets=SECRETS,
)
