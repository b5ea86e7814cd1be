"""The official schemas shipped with reconciler (package data; origins in PROVENANCE.md).

Importing this module reads nothing: it only names the files, so commands that never check a
config (``--version``, ``render``) do not pay for parsing them.

Which Kratos config schema governs which target (the identity config's ``Judging`` per kind,
``services/identity``):

* ``kratos_file`` targets use the schema of the Kratos release the file names (``version:``,
  or ``--kratos-version``): a self-hosted Kratos runs a release, and refuses keys its release
  does not know. Every release since v0.5.0-alpha.1 is shipped (``kratos-releases/``, chosen
  by ``releases.py``); a file that names none is judged by the newest (tag v26.2.0).
* ``ory_network`` targets use the schema of Kratos ``master`` plus the Ory Network overlay.
  Ory Network runs ahead of every OSS tag (ory-api.md §3, fact 11): its API already governs
  keys only ``master`` has (e.g. ``feature_flags.refresh_login_choose_address``, passkey
  ``authenticator_selection``), so the release schema would reject real Network exports. The
  overlay adds the keys no OSS schema has (``scripts/generate_network_overlay.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

HERE: Final = Path(__file__).resolve().parent

KRATOS_RELEASE_CONFIG: Final = HERE / "kratos-config.release.schema.json"
KRATOS_MASTER_CONFIG: Final = HERE / "kratos-config.master.schema.json"
TRACING_CONFIG: Final = HERE / "tracing-config.schema.json"  # $id ory://tracing-config
IDENTITY_META: Final = HERE / "identity-meta.schema.json"  # $id ory://identity-meta
IDENTITY_EXTENSION: Final = HERE / "identity-extension.schema.json"  # ory://identity-extension
NETWORK_OVERLAY: Final = HERE / "ory-network-overlay.json"

# The project's other services (issue 24). Ory Network runs Hydra and Keto master, as it runs
# Kratos master: its API governs keys no release tag has yet (PROVENANCE.md).
HYDRA_MASTER_CONFIG: Final = HERE / "hydra-config.master.schema.json"
KETO_MASTER_CONFIG: Final = HERE / "keto-config.master.schema.json"
# The ory/x resources the Hydra and Keto schemas ``$ref`` (``ory://...``), as both register them.
ORY_X: Final = HERE / "ory-x"
ORY_X_RESOURCES: Final = (
    ("ory://cors-config", ORY_X / "cors-config.schema.json"),
    ("ory://serve-config", ORY_X / "serve-config.schema.json"),
    ("ory://tls-config", ORY_X / "tls-config.schema.json"),
    ("ory://logging-config", ORY_X / "logging-config.schema.json"),
)
# Generated from the Ory API spec's columns (scripts/generate_network_overlay.py): the Network
# keys Hydra and Keto master lack, and the whole of the account experience and project settings
# (no OSS schema of them exists).
OAUTH2_OVERLAY: Final = HERE / "ory-network-overlay.oauth2.json"
PERMISSION_OVERLAY: Final = HERE / "ory-network-overlay.permission.json"
ACCOUNT_EXPERIENCE_SCHEMA: Final = HERE / "account-experience.network.schema.json"
PROJECT_SETTINGS_SCHEMA: Final = HERE / "project-settings.network.schema.json"
PROVENANCE: Final = HERE / "PROVENANCE.md"

# The shipped data files of the newest release and Ory Network; PROVENANCE.md records a
# checksum for each, and for each file of the older releases (``releases.shipped_files``).
DATA_FILES: Final = (
    KRATOS_RELEASE_CONFIG,
    KRATOS_MASTER_CONFIG,
    TRACING_CONFIG,
    IDENTITY_META,
    IDENTITY_EXTENSION,
    NETWORK_OVERLAY,
    HYDRA_MASTER_CONFIG,
    KETO_MASTER_CONFIG,
    *(path for _, path in ORY_X_RESOURCES),
    OAUTH2_OVERLAY,
    PERMISSION_OVERLAY,
    ACCOUNT_EXPERIENCE_SCHEMA,
    PROJECT_SETTINGS_SCHEMA,
)
