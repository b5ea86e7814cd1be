"""The use cases, one module each: plan, apply, export, compare, adopt, restore, init."""
