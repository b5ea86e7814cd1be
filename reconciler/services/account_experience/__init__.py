"""The account experience config: the branding and locales of Ory's hosted pages
(``services.account_experience.config``, SPEC ``projectServices``).

No OSS schema of it exists: it is judged by the schema generated from the spec's
``account_experience_*`` columns (``scripts/generate_network_overlay.py``). Its logos and
favicons are stored content-addressed like other files (ory-network-behaviour.md §4).
"""

from __future__ import annotations

from reconciler import official
from reconciler.jsontypes import Pointer
from reconciler.services.declaration import NETWORK_DROPS_UNKNOWN, Judging, Service

NAME = "account_experience"
KEY = "account_experience_config"
PLACE: Pointer = "/services/account_experience/config"

ORY_NETWORK = Judging(
    subject="Ory Network account experience schema",
    drops_unknown=NETWORK_DROPS_UNKNOWN,
    schema=official.ACCOUNT_EXPERIENCE_SCHEMA,
    live_knows_keys=True,
)

SERVICE = Service(
    name=NAME,
    key=KEY,
    place=PLACE,
    title="Account experience config",
    judging={"ory_network": ORY_NETWORK},
)
