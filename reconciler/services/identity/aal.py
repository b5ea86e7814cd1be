"""Second factors and AAL as Kratos counts them: which settings demand a second factor, which
methods are one, and how the required_aal values rank.

One home for the lint rules about 2FA (``checks/lint/mfa.py``, ``checks/lint/rules.LintContext``)
and the identity config's security rules (``security.py`` here), so both agree on what counts
as MFA. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.jsontypes import JSONValue, Pointer

HIGHEST_AVAILABLE = "highest_available"
# The values required_aal can take, weakest first (K26 config.schema.json:877,
# session/manager_http.go:402): there is no aal2 setting that forces 2FA for everybody.
REQUIRED_AAL_VALUES: tuple[str, ...] = ("aal1", HIGHEST_AVAILABLE)
REQUIRED_AAL_POINTERS: tuple[Pointer, ...] = (
    "/session/whoami/required_aal",
    "/selfservice/flows/settings/required_aal",
)

METHODS = "/selfservice/methods"
TOTP_ENABLED = f"{METHODS}/totp/enabled"
LOOKUP_SECRET_ENABLED = f"{METHODS}/lookup_secret/enabled"
CODE_MFA = f"{METHODS}/code/mfa_enabled"
CODE_PASSWORDLESS = f"{METHODS}/code/passwordless_enabled"
CODE_ENABLED = f"{METHODS}/code/enabled"
WEBAUTHN_ENABLED = f"{METHODS}/webauthn/enabled"
WEBAUTHN_PASSWORDLESS = f"{METHODS}/webauthn/config/passwordless"

# Second factors that count as MFA whenever they are on (ory-api.md §1d-2); webauthn counts
# only when not passwordless (K26 webauthn/strategy.go:88-123).
PLAIN_SECOND_FACTORS: tuple[Pointer, ...] = (TOTP_ENABLED, LOOKUP_SECRET_ENABLED, CODE_MFA)
# The methods' own on/off switches: turning one off takes a second factor away. Code MFA is
# switched by ``mfa_enabled`` (CODE_MFA), not by ``code.enabled`` (code/strategy.go:137).
SECOND_FACTOR_METHODS: tuple[Pointer, ...] = (TOTP_ENABLED, LOOKUP_SECRET_ENABLED, WEBAUTHN_ENABLED)


def aal_rank(value: JSONValue) -> int | None:
    """Where ``value`` stands among the required_aal values (higher demands more), ``None``
    when it is not one of them."""
    return REQUIRED_AAL_VALUES.index(value) if value in REQUIRED_AAL_VALUES else None


# The boolean settings that say which second factors are on (``second_factors``).
SECOND_FACTOR_SWITCHES: tuple[Pointer, ...] = (
    *PLAIN_SECOND_FACTORS,
    WEBAUTHN_ENABLED,
    WEBAUTHN_PASSWORDLESS,
)


def second_factors(switches: Mapping[Pointer, bool]) -> list[Pointer]:
    """The second factors that are on, given each of ``SECOND_FACTOR_SWITCHES`` (true: on)."""
    enabled = [pointer for pointer in PLAIN_SECOND_FACTORS if switches.get(pointer)]
    if switches.get(WEBAUTHN_ENABLED) and not switches.get(WEBAUTHN_PASSWORDLESS):
        enabled.append(WEBAUTHN_ENABLED)
    return enabled
