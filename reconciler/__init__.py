"""Config-as-code for Ory identity config."""

__version__ = "0.1.0"
