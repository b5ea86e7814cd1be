"""The config repository on disk: how messages name its files, the rule that every reference
stays inside it, the tool's own ``.reconciler/`` folder, and writes readers never see half-done."""
