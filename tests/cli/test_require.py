"""Every optional backend, imported without its library, raises the exact install hint."""

from __future__ import annotations

import subprocess
import sys

import pytest

# (statement, blocked top-level module, extra)
CASES = [
    ("from rfs.scheduler import RedisLeaderLock", "redis", "redis"),
    ("from rfs.scheduler import PostgresLeaderLock", "asyncpg", "postgres"),
    ("import rfs.scheduler.api", "fastapi", "web"),
    ("import rfs.di.fastapi", "fastapi", "web"),
    ("import rfs.events.backends.redis_streams", "redis", "redis"),
    ("import rfs.events.backends.rabbitmq", "aio_pika", "rabbitmq"),
    ("import rfs.events.backends.nats_jetstream", "nats", "nats"),
    ("import rfs.cache.backends.redis", "redis", "redis"),
    (
        "import asyncio\n"
        "from rfs.tx import RedisTransaction\n"
        "@RedisTransaction()\n"
        "async def f(): return 1\n"
        "asyncio.run(f())",
        "redis",
        "redis",
    ),
    ("from rfs.pipeline.io.fsspec import FsspecIOManager\nFsspecIOManager('memory://x')",
     "fsspec", "fsspec"),
    ("import rfs.web", "fastapi", "web"),
    ("import rfs.events.backends.kafka", "aiokafka", "kafka"),
    ("import rfs.monitoring.prometheus", "prometheus_client", "prometheus"),
    ("import rfs.monitoring.otel", "opentelemetry", "otel"),
    ("from rfs.pipeline.executors.celery_app import create_celery_app\ncreate_celery_app()",
     "celery", "celery"),
    ("from rfs.pipeline.io.serializers import ParquetSerializer\nParquetSerializer()",
     "pyarrow", "parquet"),
]  # fmt: skip


def run_blocked(code: str, blocked: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where importing ``blocked`` fails."""
    prelude = f"import sys\nsys.modules[{blocked!r}] = None\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(("code", "blocked", "extra"), CASES, ids=[c[0][:40] for c in CASES])
def test_missing_library_gives_the_pip_hint(code: str, blocked: str, extra: str) -> None:
    """The error names ``pip install 'rfs[extra]'``."""
    out = run_blocked(code, blocked)
    assert out.returncode != 0
    assert f"pip install 'rfs[{extra}]'" in out.stderr, out.stderr


def test_rfs_serve_without_uvicorn_is_a_user_error() -> None:
    """``rfs serve`` without uvicorn: one line with the hint, exit 2."""
    code = "import sys; sys.argv = ['rfs', 'serve', 'x:y']\nfrom rfs.cli.main import main\nmain()"
    out = run_blocked(code, "uvicorn")
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines() == [
        "error: rfs serve needs uvicorn: pip install 'rfs[web]'"
    ]


def test_require_returns_the_module() -> None:
    """``require`` hands back the imported module when it is there."""
    from rfs._require import MissingExtraError, require

    assert require("web", "json").dumps([1]) == "[1]"
    with pytest.raises(MissingExtraError, match=r"pip install 'rfs\[x\]'") as info:
        require("x", "no_such_module_rfs_test")
    assert info.value.extra == "x"
