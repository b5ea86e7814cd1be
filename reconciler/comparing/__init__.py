"""Diff and the vocabulary it compares in: equality as Ory stores a value (``values``, Go
``durations``), what differs (``diff``), how a list change reads (``list_view``), the JSON
Patch that does it (``patch``), and identity schemas: their content and traits
(``identity_schemas``), what a change of them means (``trait_diff``), which live schema a
desired one is (``schema_match``); and what names a project's own domain (``project_domain``)."""
