"""The config services of a project, each declared once.

An Ory Network project document holds several config services side by side
(``/services/identity/config``, and OAuth2, permissions, account experience beside it, the
project's name and CORS settings at its root). Each is a declaration (``declaration.Service``)
in a module of this package, listed in ``registry.py``: its key in an environment file, its
place in the project document, its official schema per kind of target, its secrets and
write-only keys, its security rules and what the tool types of it. The pipeline reads the
declarations; ``identity/`` is the first.
"""
