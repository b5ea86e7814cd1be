"""The config services of a project, each declared once.

An Ory Network project document holds several config services side by side
(``/services/identity/config``, and OAuth2, permissions, account experience beside it). The
reconciler manages one today, the identity config (``identity.py``): its place in the project
document is declared there. Its schema (``official/``), write-only keys (``secrets.py``),
security classification (``checks/security.py``) and lint rules (``checks/lint/``) are still
written where they are used; declaring them here, once per service, is the next step.
"""
