"""Run the three monitoring examples: ``python -m examples monitoring``."""

from __future__ import annotations

import asyncio

from examples.monitoring import basic_logging, metrics_dashboard, testing_patterns

asyncio.run(basic_logging.main())
asyncio.run(metrics_dashboard.main())
asyncio.run(testing_patterns.main())
