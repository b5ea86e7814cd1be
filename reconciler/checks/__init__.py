"""The Ory-aware judgement of an environment: schema checks, lint rules, security impact."""
