"""Which changes to the project settings weaken or strengthen security (issue 24, item 5): the
CORS of the project's public and admin endpoints (``cors_public``, ``cors_admin``:
``{enabled, origins}``, SPEC ``projectCors``).

An origin added widens who may read the project's answers from a browser, as for the identity
config's own CORS list (``services/identity/security.py``); the reason names the origins that
matter most: ``*`` (any site, SPEC ``projectCors.origins``: "Use `*` to allow all origins"), a
subdomain wildcard, and a plain ``http://`` origin off this machine. Sources in
``docs/rules.md`` ("Security impact: project settings").
"""

from __future__ import annotations

import re

from reconciler.comparing.project_domain import is_plain_http
from reconciler.jsontypes import JSONValue, Pointer
from reconciler.services.declaration import Security
from reconciler.services.impact import Verdict, allow_list, turning_off

ANY_ORIGIN = "*"
_ORIGINS = allow_list("CORS origins")


def risky_origin(origin: str) -> str | None:
    """Why an allowed origin is risky, or None: any origin, any subdomain, or plain http://
    off this machine (the lint rules of ``checks/lint/cors.py`` say the same)."""
    if origin.strip() == ANY_ORIGIN:
        return "any origin (`*`)"
    if "*" in origin:
        return f"every subdomain ({origin})"
    if is_plain_http(origin):
        return f"plain http:// ({origin})"
    return None


def _listed(value: JSONValue) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    return [] if value is None else [str(value)]


def _origins(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
    verdict = _ORIGINS(pointer, before, after)
    if verdict is None or verdict[0] != "weakens":
        return verdict
    added = [o for o in _listed(after) if o not in _listed(before)]
    risks = [risk for risk in map(risky_origin, added) if risk]
    if not risks:
        return verdict
    return "weakens", f"{verdict[1]}; allows {', '.join(risks)}"


SECURITY = Security(
    leaves=(
        (re.compile(r"^/cors_(public|admin)/origins(/\d+)?$"), _origins),
        (
            re.compile(r"^/cors_(public|admin)/enabled$"),
            turning_off("strengthens", "CORS", unset=False),
        ),
    ),
)
