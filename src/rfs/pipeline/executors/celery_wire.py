"""Celery attempt messages: JSON by default, HMAC-signed when a key is set, never a bare pickle.

A message is a JSON envelope ``{"rfs": 1, "format": ..., "body": ..., "sig": ...}``:

* ``format="json"``: the attempt as JSON: task name, run id, attempt number, the function by
  reference (module and qualname), inputs by reference to results in the I/O manager (task
  name, mode, item count), constant JSON parameters and the I/O manager's description
  (:class:`~rfs.pipeline.io.FilesystemIOManager` or :class:`~rfs.pipeline.io.FsspecIOManager`
  with a built-in serializer). Decoding it never unpickles anything.
* ``format="pickle"``: the pickled attempt, for what JSON cannot carry (custom I/O managers,
  non-JSON parameters). Only sent, and only accepted, with a signature.
* ``sig``: HMAC-SHA256 of format and body under the shared key (``RFS_SIGNING_KEY``).

A worker holding a key accepts only messages signed with it. A worker without a key accepts
only JSON messages, and runs only functions of the modules it was started with
(``rfs worker --tasks``) or registered ``@task`` functions, never importing anything a message
names. Every other message is refused with :class:`AttemptRejected` saying why.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import pickle
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from types import ModuleType
from typing import Any

from rfs.pipeline.executors.attempt import InputRef, TaskAttempt, TaskRef
from rfs.pipeline.io.base import IOManager, check_name
from rfs.pipeline.io.filesystem import FilesystemIOManager
from rfs.pipeline.io.fsspec import FsspecIOManager
from rfs.pipeline.io.serializers import JsonSerializer, ParquetSerializer, PickleSerializer
from rfs.pipeline.kinds import InputMode, TaskKind
from rfs.pipeline.signing import digest, signing_key

__all__ = [
    "MAX_MESSAGE_CHARS",
    "AttemptRejected",
    "decode_attempt",
    "encode_attempt",
    "trust_task_modules",
    "trusted_task_modules",
]

#: longest message a worker reads (characters); longer ones are refused unread
MAX_MESSAGE_CHARS = 16 * 1024 * 1024
_PURPOSE = "rfs.pipeline celery attempt"
_VERSION = 1
_MAX_DEPTH = 64  # nesting of JSON parameters
_TRUSTED: list[ModuleType] = []


class AttemptRejected(ValueError):
    """A Celery message a worker refuses to run (unsigned pickle, bad signature, bad shape...)."""


def trust_task_modules(modules: Iterable[ModuleType]) -> None:
    """Let unsigned JSON messages run functions defined in ``modules`` (and their submodules)."""
    for module in modules:
        if all(module is not known for known in _TRUSTED):
            _TRUSTED.append(module)


def trusted_task_modules() -> list[ModuleType]:
    """The modules :func:`trust_task_modules` was given in this process."""
    return list(_TRUSTED)


# -- encoding (driver side) ----------------------------------------------------------------------


def encode_attempt(attempt: TaskAttempt, *, key: bytes | str | None = None) -> str:
    """The message for ``attempt``: JSON when it can be, else (with a key only) signed pickle.

    ``key`` defaults to ``RFS_SIGNING_KEY``; with one, the message is signed. ``TypeError``
    when the attempt needs pickle (custom I/O manager, non-JSON params) and there is no key.
    """
    secret = signing_key(key)
    data = _attempt_to_json(attempt)
    if data is not None:
        fmt, body = "json", json.dumps(data, separators=(",", ":"), allow_nan=False)
    elif secret is None:
        raise TypeError(
            f"task {attempt.task_name!r}: its I/O manager ({attempt.io_manager!r}) or params "
            "cannot travel as JSON, and unsigned pickles are never sent; use "
            "FilesystemIOManager/FsspecIOManager with JSON params, or set RFS_SIGNING_KEY on "
            "the driver and the workers to send it as a signed pickle"
        )
    else:
        blob = pickle.dumps(attempt, protocol=pickle.HIGHEST_PROTOCOL)
        fmt, body = "pickle", base64.b64encode(blob).decode()
    envelope: dict[str, Any] = {"rfs": _VERSION, "format": fmt, "body": body}
    if secret is not None:
        envelope["sig"] = _signature(secret, fmt, body)
    return json.dumps(envelope, separators=(",", ":"))


def _signature(key: bytes, fmt: str, body: str) -> str:
    return digest(key, _PURPOSE, f"{fmt}\n{body}".encode()).hex()


def _is_json(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` survives a JSON round trip unchanged (types included)."""
    if depth > _MAX_DEPTH:
        return False
    kind = type(value)
    if kind in (str, int, bool) or value is None:
        return True
    if kind is float:
        return value == value and value not in (float("inf"), float("-inf"))
    if kind is list:
        return all(_is_json(v, depth + 1) for v in value)
    if kind is dict:
        return all(type(k) is str and _is_json(v, depth + 1) for k, v in value.items())
    return False


def _serializer_to_json(serializer: Any) -> dict[str, Any] | None:
    kind = type(serializer)
    if kind is PickleSerializer:
        # an explicit key never travels: workers sign and check with their own key
        return {"name": "pickle", "protocol": serializer.protocol}
    if kind is JsonSerializer:
        return {"name": "json"}
    if kind is ParquetSerializer:
        return {"name": "parquet"}
    return None


def _io_to_json(io: IOManager) -> dict[str, Any] | None:
    if type(io) is FilesystemIOManager:
        serializer = _serializer_to_json(io.serializer)
        if serializer is None:
            return None
        base = str(io.base_path)
        return {
            "type": "filesystem",
            "base_path": base,
            "serializer": serializer,
            "fsync": io.fsync,
        }
    if type(io) is FsspecIOManager:
        serializer = _serializer_to_json(io.serializer)
        options = dict(io.storage_options)
        if serializer is None or not _is_json(options):
            return None
        return {
            "type": "fsspec",
            "url": io.url,
            "serializer": serializer,
            "atomic": io.atomic,
            "storage_options": options,
        }
    return None


def _attempt_to_json(attempt: TaskAttempt) -> dict[str, Any] | None:
    io = _io_to_json(attempt.io_manager)
    params = dict(attempt.params)
    if io is None or not _is_json(params):
        return None
    ref = attempt.ref
    return {
        "run_id": attempt.run_id,
        "task_name": attempt.task_name,
        "attempt": attempt.attempt,
        "ref": {"module": ref.module, "qualname": ref.qualname, "file": ref.file},
        "kind": attempt.kind.value,
        "io": io,
        "inputs": {
            param: {"task": i.task_name, "mode": i.mode.value, "count": i.stream_count}
            for param, i in attempt.inputs.items()
        },
        "params": params,
        "timeout": attempt.timeout,
        "max_retries": attempt.max_retries,
        "stream_output": attempt.stream_output,
        "correlation_id": attempt.correlation_id,
    }


# -- decoding (worker side) ----------------------------------------------------------------------


def decode_attempt(
    message: object,
    *,
    key: bytes | str | None = None,
    trusted_modules: Iterable[ModuleType] | None = None,
) -> TaskAttempt:
    """The attempt in ``message``, checked as the module docstring says, else a refusal.

    ``key`` defaults to ``RFS_SIGNING_KEY``; ``trusted_modules`` to those given to
    :func:`trust_task_modules`. No other exception escapes, whatever ``message`` holds.
    """
    try:
        return _decode(message, signing_key(key), trusted_modules)
    except AttemptRejected:
        raise
    except Exception as exc:  # any other failure on any input is a refusal, never a crash
        raise AttemptRejected(f"undecodable attempt message ({type(exc).__name__})") from None


def _decode(
    message: object, secret: bytes | None, trusted: Iterable[ModuleType] | None
) -> TaskAttempt:
    if not isinstance(message, str):
        raise AttemptRejected(f"expected the message as text, got {type(message).__name__}")
    if len(message) > MAX_MESSAGE_CHARS:
        raise AttemptRejected(f"message of {len(message)} characters exceeds {MAX_MESSAGE_CHARS}")
    try:
        envelope = json.loads(message)
    except ValueError:
        raise AttemptRejected(
            "not a JSON attempt envelope (a bare pickle is never loaded)"
        ) from None
    if not isinstance(envelope, dict) or envelope.get("rfs") != _VERSION:
        raise AttemptRejected(f"not an rfs attempt envelope (version {_VERSION})")
    fmt, body, sig = envelope.get("format"), envelope.get("body"), envelope.get("sig")
    if fmt not in ("json", "pickle") or not isinstance(body, str):
        raise AttemptRejected("envelope needs format 'json' or 'pickle' and a text body")
    signed = False
    if secret is not None:
        if not isinstance(sig, str):
            raise AttemptRejected("unsigned message: this worker has a signing key")
        if not hmac.compare_digest(sig.encode(), _signature(secret, fmt, body).encode()):
            raise AttemptRejected("bad signature: tampered, or signed with another key")
        signed = True
    if fmt == "pickle":
        if not signed:
            raise AttemptRejected(
                "pickled attempt without a signing key on this worker: unsigned pickles are "
                "never loaded (set RFS_SIGNING_KEY on the driver and the workers)"
            )
        try:
            attempt = pickle.loads(base64.b64decode(body, validate=True))  # nosec B301 # signature verified before (unsigned refused)
        except binascii.Error:
            raise AttemptRejected("pickle body is not base64") from None
        if not isinstance(attempt, TaskAttempt):
            raise AttemptRejected(f"expected a TaskAttempt, got {type(attempt).__name__}")
        return attempt
    data = json.loads(body)
    if not isinstance(data, dict):
        raise AttemptRejected("JSON attempt body is not an object")
    attempt = _attempt_from_json(data)
    if signed:
        return attempt
    modules = _TRUSTED if trusted is None else list(trusted)
    func = _trusted_function(attempt.ref, modules)
    return replace(attempt, func=func)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _field(data: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
        raise AttemptRejected(f"field {name!r} is missing or not {_kind_name(kind)}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _optional_number(data: Mapping[str, Any], name: str) -> float | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise AttemptRejected(f"field {name!r} must be a positive number or null")
    return float(value)


def _name(kind: str, value: Any) -> str:
    try:
        return check_name(kind, value)
    except ValueError:
        raise AttemptRejected(f"{kind} {_short(value)} is not a safe name") from None


def _serializer_from_json(data: Any) -> Any:
    if not isinstance(data, dict):
        raise AttemptRejected("serializer description is not an object")
    name = data.get("name")
    if name == "pickle":
        protocol = data.get("protocol", pickle.HIGHEST_PROTOCOL)
        if type(protocol) is not int or not 0 <= protocol <= pickle.HIGHEST_PROTOCOL:
            raise AttemptRejected(f"pickle protocol {_short(protocol)} is not supported")
        return PickleSerializer(protocol)
    if name == "json":
        return JsonSerializer()
    if name == "parquet":
        return ParquetSerializer()
    raise AttemptRejected(f"unknown serializer {_short(name)}")


def _io_from_json(data: Any) -> IOManager:
    if not isinstance(data, dict):
        raise AttemptRejected("I/O manager description is not an object")
    serializer = _serializer_from_json(data.get("serializer"))
    if data.get("type") == "filesystem":
        base = _field(data, "base_path", str)
        return FilesystemIOManager(base, serializer=serializer, fsync=data.get("fsync") is True)
    if data.get("type") == "fsspec":
        options = data.get("storage_options") or {}
        if not isinstance(options, dict):
            raise AttemptRejected("storage_options is not an object")
        url = _field(data, "url", str)
        atomic = data.get("atomic") is not False
        return FsspecIOManager(url, serializer=serializer, atomic=atomic, **options)
    raise AttemptRejected(f"unknown I/O manager type {_short(data.get('type'))}")


def _inputs_from_json(data: Any) -> dict[str, InputRef]:
    if not isinstance(data, dict):
        raise AttemptRejected("inputs is not an object")
    inputs = {}
    for param, ref in data.items():
        if not isinstance(param, str) or not param.isidentifier() or not isinstance(ref, dict):
            raise AttemptRejected(f"input {_short(param)} is malformed")
        count = ref.get("count")
        if count is not None and (type(count) is not int or count < 0):
            raise AttemptRejected(f"input {param!r}: item count {_short(count)} is invalid")
        try:
            mode = InputMode(str(ref.get("mode")))
        except ValueError:
            raise AttemptRejected(
                f"input {param!r}: unknown mode {_short(ref.get('mode'))}"
            ) from None
        inputs[param] = InputRef(_name("task_name", ref.get("task")), mode, count)
    return inputs


def _ref_from_json(data: Any) -> TaskRef:
    if not isinstance(data, dict):
        raise AttemptRejected("ref is not an object")
    module, qualname = _field(data, "module", str), _field(data, "qualname", str)
    file = data.get("file")
    if file is not None and not isinstance(file, str):
        raise AttemptRejected("ref file is not text")
    parts = [*module.split("."), *qualname.split(".")]
    if not all(part.isidentifier() for part in parts):
        raise AttemptRejected(f"{_short(f'{module}.{qualname}')} is not a dotted name")
    return TaskRef(module, qualname, file)


def _attempt_from_json(data: Mapping[str, Any]) -> TaskAttempt:
    try:
        kind = TaskKind(str(data.get("kind")))
    except ValueError:
        raise AttemptRejected(f"unknown task kind {_short(data.get('kind'))}") from None
    params = data.get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        raise AttemptRejected("params is not an object")
    number, retries = _field(data, "attempt", int), _field(data, "max_retries", int)
    if number < 1 or retries < 0:
        raise AttemptRejected("attempt must be >= 1 and max_retries >= 0")
    return TaskAttempt(
        run_id=_name("run_id", data.get("run_id")),
        task_name=_name("task_name", data.get("task_name")),
        attempt=number,
        ref=_ref_from_json(data.get("ref")),
        kind=kind,
        io_manager=_io_from_json(data.get("io")),
        inputs=_inputs_from_json(data.get("inputs") or {}),
        params=params,
        timeout=_optional_number(data, "timeout"),
        max_retries=retries,
        stream_output=data.get("stream_output") is True,
        correlation_id=_correlation_id(data.get("correlation_id")),
    )


_MAX_CORRELATION_ID = 128


def _correlation_id(value: Any) -> str | None:
    """The attempt's correlation id: absent, or short printable text (it ends up in logs)."""
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_CORRELATION_ID:
        raise AttemptRejected(f"correlation_id {_short(value)} is not a short text")
    if not value.isprintable():
        raise AttemptRejected(f"correlation_id {_short(value)} has control characters")
    return value


def _in_modules(name: str, modules: list[ModuleType]) -> bool:
    return any(name == m.__name__ or name.startswith(f"{m.__name__}.") for m in modules)


def _trusted_function(ref: TaskRef, modules: list[ModuleType]) -> Callable[..., Any]:
    """The function ``ref`` names, if this worker trusts it; nothing is imported."""
    where = _short(f"{ref.module}.{ref.qualname}")
    module = ref.find_module(load=False)
    if module is None:
        raise AttemptRejected(f"{where}: module not loaded on this worker (start it with --tasks)")
    first, *rest = ref.qualname.split(".")
    obj: Any = vars(module).get(first)  # no module __getattr__ runs for a message
    for part in rest:
        obj = getattr(obj, part, None)
    registered = isinstance(getattr(obj, "__rfs_task__", None), str)
    home = getattr(obj, "__module__", None)
    defined_here = (
        isinstance(home, str)
        and _in_modules(home, modules)
        and getattr(obj, "__qualname__", None) == ref.qualname
    )
    if not callable(obj) or not (registered or defined_here):
        raise AttemptRejected(
            f"{where} is neither a registered @task nor defined in a module this worker was "
            "started with (--tasks); set RFS_SIGNING_KEY to run signed attempts of any function"
        )
    return obj  # type: ignore[no-any-return]
