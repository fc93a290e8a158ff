"""A hexagonal order service wired by ``rfs.di``: ports, profile-selected adapters, FastAPI.

``python -m examples hexagonal_orders`` runs it under the ``test`` profile (in-memory
adapters) and the ``prod`` profile (SQLAlchemy on SQLite), through the same HTTP controller.
"""
