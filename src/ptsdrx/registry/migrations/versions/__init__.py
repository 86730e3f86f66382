"""Alembic revision scripts, oldest first; reviewed code like any other module."""
