"""Masking of secrets in log fields and messages, applied before anything is rendered.

Keys whose name looks like a password, token, secret, API key, authorization or card number
have their value replaced; card numbers (13-19 digits passing Luhn) and ``key=value`` secrets
inside strings are replaced too. A custom rule that raises masks the whole value: a broken rule
never leaks what it was meant to hide.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

MASK = "***"

_DEFAULT_KEYS = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "authorization",
    "credential",
    "private_key",
    "card_number",
    "cardnumber",
    "credit_card",
    "cvv",
    "ssn",
    "cookie",
)
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_MAX_DEPTH = 8

#: A rule gets (key, value) and returns the value to render (e.g. ``MASK``) or the value itself.
MaskRule = Callable[[str, Any], Any]


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _mask_cards(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        digits = re.sub(r"[ -]", "", m.group(0))
        return MASK if _luhn(digits) else m.group(0)

    return _CARD.sub(repl, text)


class Masker:
    """Masks mappings, sequences and strings. Thread-safe to reconfigure at run time."""

    def __init__(self, keys: Iterable[str] = (), rules: Iterable[MaskRule] = ()) -> None:
        self._lock = threading.Lock()
        self._keys: tuple[str, ...] = ()
        self._rules: tuple[MaskRule, ...] = tuple(rules)
        self._inline: re.Pattern[str] = re.compile("(?!)")
        self._set_keys((*_DEFAULT_KEYS, *keys))

    def _set_keys(self, keys: Iterable[str]) -> None:
        lowered = tuple(dict.fromkeys(k.lower() for k in keys if k))
        alternatives = "|".join(re.escape(k) for k in sorted(lowered, key=len, reverse=True))
        inline = re.compile(
            rf"(?i)((?:{alternatives})[\w-]*[\"']?\s*[=:]\s*[\"']?)(bearer\s+)?[^\s\"',;&]+"
        )
        with self._lock:
            self._keys = lowered
            self._inline = inline

    def add_keys(self, *keys: str) -> None:
        """Also mask fields whose name contains any of ``keys`` (case-insensitive)."""
        self._set_keys((*self._keys, *keys))

    def add_rule(self, rule: MaskRule) -> None:
        """Run ``rule(key, value)`` on every field after the built-in checks."""
        with self._lock:
            self._rules = (*self._rules, rule)

    def is_secret_key(self, key: str) -> bool:
        """True when a field named ``key`` is masked whatever its value."""
        lowered = key.lower()
        return any(k in lowered for k in self._keys)

    def mask_text(self, text: str) -> str:
        """``text`` with inline ``password=...`` style secrets and card numbers masked."""
        try:
            return _mask_cards(self._inline.sub(lambda m: m.group(1) + MASK, text))
        except Exception:  # a pathological input: render nothing of it
            return MASK

    def mask(self, value: Any, key: str = "", _depth: int = 0) -> Any:
        """A copy of ``value`` with secrets replaced by ``MASK`` (recursing into containers)."""
        if key and self.is_secret_key(key):
            return MASK
        if _depth > _MAX_DEPTH:
            return MASK
        if isinstance(value, str):
            value = self.mask_text(value)
        elif isinstance(value, Mapping):
            value = {str(k): self.mask(v, str(k), _depth + 1) for k, v in value.items()}
        elif isinstance(value, list | tuple):
            value = [self.mask(v, key, _depth + 1) for v in value]
        for rule in self._rules:
            try:
                value = rule(key, value)
            except Exception:
                return MASK
        return value

    def mask_fields(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """``fields`` with every value masked (see ``mask``)."""
        return {k: self.mask(v, k) for k, v in fields.items()}


_default = Masker()


def get_masker() -> Masker:
    """The masker used by rfs.monitoring's log functions and formatters."""
    return _default


def configure_masking(keys: Iterable[str] = (), rules: Iterable[MaskRule] = ()) -> Masker:
    """Add field names and rules to the default masker; returns it."""
    _default.add_keys(*keys)
    for rule in rules:
        _default.add_rule(rule)
    return _default


def mask_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Mask ``fields`` with the default masker."""
    return _default.mask_fields(fields)
