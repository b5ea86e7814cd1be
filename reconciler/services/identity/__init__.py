"""The identity config: Ory Kratos's config, the first config service of a project.

Declared once, here: its key in an environment file, its place in the project document, the
Kratos schema each kind of target judges it by, the values Ory treats as secrets or never
returns, its security rules (``security.py``) and what the tool types of it (``shape.py``).
Its lint rules are registered for it in ``checks/lint/``; the AAL vocabulary they share with
the security rules is ``aal.py``.
"""

from __future__ import annotations

from reconciler import official
from reconciler.jsontypes import Pointer
from reconciler.secrets import SecretPaths
from reconciler.services.declaration import NETWORK_DROPS_UNKNOWN, Judging, Service
from reconciler.services.identity.security import SECURITY
from reconciler.services.identity.shape import IdentityConfig

NAME = "identity"
KEY = "identity_config"
#: Where its config sits in an Ory Network project document (ory-api.md §1a).
PLACE: Pointer = "/services/identity/config"

# Keys Ory Network sets itself; a write is ignored with a warning. Only these five: cookie
# and session-cookie same_site and persistent are settable (ory-network-behaviour.md §3:
# ory/cli#179 for the warnings, SPEC normalizedProjectRevision for the settable columns).
SERVER_MANAGED: tuple[Pointer, ...] = (
    "/serve",
    "/cookies/path",
    "/cookies/domain",
    "/session/cookie/domain",
    "/session/cookie/name",
)

#: A Kratos release's own schema (a Kratos file; and what a Kratos default means).
KRATOS_RELEASE = Judging(
    subject="Kratos config schema",
    drops_unknown="Kratos accepts it there and ignores it",
    schema=official.KRATOS_RELEASE_CONFIG,
    by_release=True,
)
#: Kratos master and the keys only Ory Network has (ory-api.md §1c, §3 fact 11).
ORY_NETWORK = Judging(
    subject="OSS Kratos config schema",
    drops_unknown=NETWORK_DROPS_UNKNOWN,
    schema=official.KRATOS_MASTER_CONFIG,
    overlay=official.NETWORK_OVERLAY,
    not_required=("dsn",),
    live_knows_keys=True,
    server_managed=SERVER_MANAGED,
)

# Paths Ory redacts on read or treats as a credential (ory-api.md §1a "Server-side
# transformations" 6; docs "Configure projects with Ory CLI → Stored secrets"), and values it
# accepts and never returns although they are no secret (ory-network-behaviour.md §2 and §5:
# the SMTP ``connection_uri`` is absent from GET, ``session.earliest_possible_extend``,
# ``webauthn.config.rp.icon`` and ``captcha.config.byo`` are never returned, the Turnstile
# secret is "write only", web hook and courier HTTP auth values "may not" be returned; TF docs
# project_config.md @03e938ef).
SECRETS = SecretPaths(
    secret=(
        r"^/courier/smtp/connection_uri$",
        r"/providers/\d+/(client_secret|apple_private_key)$",
        r"/auth/config/(value|password)$",  # web hook and courier HTTP auth
        r"/pairwise/salt$",
        r"^/selfservice/methods/captcha/config/cf_turnstile/secret$",
    ),
    never_returned=(
        r"^/session/earliest_possible_extend$",
        r"^/selfservice/methods/webauthn/config/rp/icon$",
        r"^/selfservice/methods/captcha/config/byo$",
    ),
)

SERVICE = Service(
    name=NAME,
    key=KEY,
    place=PLACE,
    title="Identity config",
    judging={"ory_network": ORY_NETWORK, "kratos_file": KRATOS_RELEASE},
    secrets=SECRETS,
    security=SECURITY,
    shape=IdentityConfig,
    lists_identity_schemas=True,
    always_planned=True,
)
