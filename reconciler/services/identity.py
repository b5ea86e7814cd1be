"""The identity service: Ory Kratos's config, the one service the reconciler manages today."""

from __future__ import annotations

from reconciler.jsontypes import Pointer

#: Where its config sits in an Ory Network project document (ory-api.md §1a).
PLACE: Pointer = "/services/identity/config"
