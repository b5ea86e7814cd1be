"""Every config service the reconciler manages, in the order plans show them.

One list, as pre-commit lists its languages: a service is a module of this package declaring
a ``Service`` (``declaration.py``) and one line here. The pipeline reads the list (loading
the environment file's keys, render, checks, diff, plan, views, targets); nothing else names
a service. ``register`` adds one at run time the same way (the tests' toy service).
"""

from __future__ import annotations

import threading

from reconciler.jsontypes import Pointer
from reconciler.services import account_experience, identity, oauth2, permission, project
from reconciler.services.declaration import Service, TargetKind

_SERVICES: dict[str, Service] = {
    service.name: service
    for service in (
        identity.SERVICE,
        oauth2.SERVICE,
        permission.SERVICE,
        account_experience.SERVICE,
        project.SERVICE,
    )
}
_lock = threading.Lock()

#: The service whose keys ``remove:``, ``secrets:`` and ``rotate:`` name unless they start
#: with another service's key (``owner_of``), and whose config a Kratos file is.
IDENTITY = identity.SERVICE


def register(service: Service) -> Service:
    """Add ``service`` after the others; refused when its name or key is taken."""
    with _lock:
        for known in _SERVICES.values():
            if service.name == known.name or service.key == known.key:
                raise ValueError(f"service {service.name} ({service.key}) is already registered")
        _SERVICES[service.name] = service
    return service


def unregister(name: str) -> None:
    with _lock:
        _SERVICES.pop(name, None)


def services() -> tuple[Service, ...]:
    """Every service, in registration order (the identity config first)."""
    with _lock:
        return tuple(_SERVICES.values())


def named(name: str) -> Service:
    """The service called ``name`` (a plan names each change's); KeyError when unknown."""
    with _lock:
        return _SERVICES[name]


def owner_of(pointer: Pointer) -> tuple[Service, Pointer]:
    """The service a pointer of ``remove:``, ``secrets:`` or ``rotate:`` names, and the pointer
    inside its config: ``/<key>/...`` names that service's (``/oauth2_config/secrets/system``),
    any other the identity config's, as it always has (the identity config has no top-level
    key named after a service: its schema is closed there)."""
    for service in services():
        prefix = service.environment_pointer
        if service is not IDENTITY and (pointer == prefix or pointer.startswith(prefix + "/")):
            return service, pointer[len(prefix) :]
    return IDENTITY, pointer


def as_written(service: Service, pointer: Pointer) -> Pointer:
    """``pointer`` inside ``service``'s config as ``remove:`` and the others write it."""
    return pointer if service is IDENTITY else service.environment_pointer + pointer


def carried_by(kind: TargetKind) -> tuple[Service, ...]:
    """The services a ``kind`` target holds."""
    return tuple(service for service in services() if service.carried_by(kind))
