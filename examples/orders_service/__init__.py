"""The orders service a new user built from the docs, end to end and type-checked.

Hexagonal DI with two profiles (``test``, ``prod``), each with its own database reached through
the ``TransactionManager`` its registry binds (``@Transactional`` names none); placing an order
is a saga (charge, then store, compensated in reverse); a placed order is an event; a scheduler
on a ``FakeClock`` starts the nightly report pipeline. ``python -m examples orders_service``
runs both profiles side by side in one process; tests/test_orders_service.py tests it with
``rfs.testing``. The package passes ``mypy --strict`` with no ignores (``make lint``).
"""
