"""The project settings: the project's ``name`` and its CORS settings (``cors_public``,
``cors_admin``), as ``ory get project`` prints them at the project document's root.

The root holds more (``id``, ``slug``, ``services``...): only these three fields are the
service's. Judged by the schema generated from the spec's ``project`` and ``projectCors``
(``scripts/generate_network_overlay.py``). Its security rules are ``security.py``.
"""

from __future__ import annotations

from reconciler import official
from reconciler.jsontypes import Pointer
from reconciler.services.declaration import Judging, Service
from reconciler.services.project.security import SECURITY

NAME = "project"
KEY = "project_settings"
PLACE: Pointer = ""
FIELDS = ("name", "cors_public", "cors_admin")

ORY_NETWORK = Judging(
    subject="Ory Network project schema",
    drops_unknown="Ory Network ignores it",
    schema=official.PROJECT_SETTINGS_SCHEMA,
)

SERVICE = Service(
    name=NAME,
    key=KEY,
    place=PLACE,
    title="Project settings",
    judging={"ory_network": ORY_NETWORK},
    security=SECURITY,
    fields=FIELDS,
    # A project's name is its own: promoting dev to prod never renames prod.
    per_project=("/name",),
)
