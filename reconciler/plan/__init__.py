"""The plan value and its saved form (the plan file)."""
