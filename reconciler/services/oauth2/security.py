"""Which changes to the OAuth2 config weaken or strengthen security.

A placeholder: the security branch (issue 24, item 5) fills it with its rules.
"""

from __future__ import annotations

from reconciler.services.declaration import Security

SECURITY = Security()
