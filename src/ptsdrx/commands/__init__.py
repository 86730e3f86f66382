"""CLI verbs, one module per concept; each exposes ``register(app)``."""
