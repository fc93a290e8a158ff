"""Resolution plans: compiled once per binding into plain closures.

A plan knows its dependencies' plans, so resolving a prototype graph is nested calls of
closures (``A(B(C()))``) with no type-hint reading, no dict of candidates, no recursion
through the registry. Compiling also finds every wiring error, with its chain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rfs.di.bindings import Binding
from rfs.di.errors import (
    CircularDependencyError,
    DIError,
    MissingBindingError,
    PortMismatchError,
    RegistrationError,
    ScopeViolationError,
    format_chain,
)
from rfs.di.hints import Param, read_params
from rfs.di.index import BindingIndex
from rfs.di.lifecycle import class_hooks, needs_await
from rfs.di.markers import ComponentMeta
from rfs.di.scopes import Scope

Getter = Callable[[], Any]


@dataclass(eq=False, slots=True)
class Dep:
    """One argument of a provider call: a plan to resolve, or a constant."""

    key: Any
    keyword: str | None
    plan: Plan | None = None
    const: Any = None

    def getter(self) -> Getter:
        """A zero-argument callable giving the argument's value."""
        if self.plan is not None:
            return self.plan.get
        const = self.const
        return lambda: const


@dataclass(eq=False, slots=True)
class Plan:
    """How to produce the object of one binding, with its dependencies' plans."""

    binding: Binding
    deps: list[Dep]
    raw: Getter
    hooks: bool
    is_async: bool
    request_path: tuple[str, ...] | None
    deep_async: bool = False
    """Whether this plan or any plan below it may need ``await`` (routes ``aresolve``)."""
    get: Getter = field(default=lambda: None)


def build_call(provider: Callable[..., Any], deps: Sequence[Dep]) -> Getter:
    """A closure calling ``provider`` with each dependency's value (specialised for speed)."""
    pos = [d.getter() for d in deps if d.keyword is None]
    kw = [(d.keyword, d.getter()) for d in deps if d.keyword is not None]
    if kw:
        return lambda: provider(*[g() for g in pos], **{k: g() for k, g in kw})
    if not pos:
        return provider
    if len(pos) == 1:
        (g0,) = pos
        return lambda: provider(g0())
    if len(pos) == 2:
        g0, g1 = pos
        return lambda: provider(g0(), g1())
    if len(pos) == 3:
        g0, g1, g2 = pos
        return lambda: provider(g0(), g1(), g2())
    return lambda: provider(*[g() for g in pos])


class Compiler:
    """Compiles plans for the bindings ``index`` selects, caching them in ``plans``.

    ``getter_for`` (the instance container's) turns a plan into its scope-aware getter;
    ``owner`` is the registry, injected into parameters typed as ``owner_type`` (or a subclass).
    """

    def __init__(
        self,
        index: BindingIndex,
        getter_for: Callable[[Plan], Getter],
        owner: object,
        owner_type: type,
    ) -> None:
        self.index = index
        self.getter_for = getter_for
        self.owner = owner
        self.owner_type = owner_type
        self.plans: dict[Binding, Plan] = {}
        self._stack: list[Binding] = []

    def invalidate(self) -> None:
        """Forget compiled plans (after a registration change)."""
        self.plans.clear()

    def is_owner_key(self, key: Any) -> bool:
        """Whether ``key`` asks for the registry itself."""
        return (
            isinstance(key, type)
            and issubclass(key, self.owner_type)
            and isinstance(self.owner, key)
        )

    # -- compilation -------------------------------------------------------------------------
    def plan_for_key(self, key: Any, chain: tuple[str, ...] = ()) -> Plan:
        """Compile (or fetch) the plan of whatever provides ``key``."""
        binding = self.index.select(key, chain)
        assert binding is not None
        return self.plan_for(binding, chain)

    def plan_for(self, binding: Binding, chain: tuple[str, ...] = ()) -> Plan:
        """Compile (or fetch) the plan of ``binding``; raises the wiring error with its chain."""
        plan = self.plans.get(binding)
        if plan is not None:
            return plan
        if binding in self._stack:
            cycle = [b.label for b in self._stack[self._stack.index(binding) :]]
            path = (*cycle, binding.label)
            raise CircularDependencyError(
                f"{format_chain(path)}: circular dependency; fix: move what they share into a new "
                "component both depend on, or take the Registry as a parameter and resolve one "
                "side lazily",
                path,
                ("cycle", frozenset(cycle)),
            )
        self._stack.append(binding)
        try:
            plan = self._compile(binding, (*chain, binding.label))
        finally:
            self._stack.pop()
        self.plans[binding] = plan
        return plan

    def _compile(self, binding: Binding, chain: tuple[str, ...]) -> Plan:
        provider = binding.provider
        tracked = binding.scope is not Scope.PROTOTYPE
        deps: list[Dep] = []
        if provider is not None:
            contiguous = True
            errors: list[DIError] = []
            for param in read_params(provider, self.index.names):
                try:
                    dep = self._dep(param, chain, binding)
                except DIError as exc:  # keep going: validate() reports every problem
                    errors.append(exc)
                    continue
                if dep is None:
                    contiguous = False
                    continue
                if not (contiguous or param.positional_only):
                    dep.keyword = param.name
                deps.append(dep)
            if errors:
                errors[0].related.extend(errors[1:])
                raise errors[0]
        request_path: tuple[str, ...] | None = None
        deep = False
        for dep in deps:
            below = dep.plan
            if below is not None:
                deep = deep or below.deep_async
                if below.request_path is not None:
                    request_path = self._request_path(binding, deps, chain)
        if binding.scope is Scope.REQUEST:
            request_path = (binding.label,)
        raw: Getter = build_call(provider, deps) if provider is not None else _preset(binding)
        if isinstance(provider, type):
            names = class_hooks(provider)
            hooks, is_async = bool(names), bool(names) and needs_await(provider, tracked, names)
        else:
            hooks = provider is not None
            is_async = needs_await(provider, tracked) or binding.generator == "async"
        plan = Plan(binding, deps, raw, hooks, is_async, request_path, deep or is_async)
        plan.get = self.getter_for(plan)
        return plan

    def _dep(self, param: Param, chain: tuple[str, ...], owner: Binding) -> Dep | None:
        if param.key is None:
            if param.has_default:
                return None if not param.positional_only else Dep(None, None, None, param.default)
            raise RegistrationError(
                f"{format_chain(chain)}: parameter {param.name!r} of {owner.label} has no type "
                "hint and no default; fix: annotate it with the type to inject",
                chain,
            )
        optional = param.has_default or param.optional
        try:
            selected = self.index.select(param.key, chain, required=not optional)
        except MissingBindingError:
            if self.is_owner_key(param.key):
                return Dep(param.key, None, None, self.owner)
            raise
        if selected is None:
            if self.is_owner_key(param.key):
                return Dep(param.key, None, None, self.owner)
            if param.has_default and not param.positional_only:
                return None
            value = param.default if param.has_default else None
            return Dep(param.key, None, None, value)
        return Dep(param.key, None, self.plan_for(selected, chain))

    def _request_path(
        self, binding: Binding, deps: list[Dep], chain: tuple[str, ...]
    ) -> tuple[str, ...] | None:
        if binding.scope is Scope.REQUEST:
            return (binding.label,)
        for dep in deps:
            if dep.plan is None or dep.plan.request_path is None:
                continue
            if binding.scope is Scope.PROTOTYPE:
                return (binding.label, *dep.plan.request_path)
            path = (*chain, *dep.plan.request_path)
            bad = dep.plan.request_path[-1]
            raise ScopeViolationError(
                f"{format_chain(path)}: singleton {binding.label} would keep one request-scoped "
                f"{bad} for the life of the registry; fix: make {binding.label} request-scoped "
                f"or prototype, make {bad} a singleton, or resolve {bad} per call from the "
                "Registry",
                path,
                ("scope", binding.label, bad),
            )
        return None


def _preset(binding: Binding) -> Getter:
    return lambda: binding.instance


def meta_keys(cls: type, meta: ComponentMeta, port_bases: Sequence[type]) -> tuple[Any, ...]:
    """Keys an annotated class is found under: itself, its name, and its port(s)."""
    if meta.port is None and not port_bases and meta.name == cls.__name__:
        return (cls, meta.name)
    keys: list[Any] = [cls, meta.name]
    if meta.name != cls.__name__:
        keys.append(cls.__name__)
    if meta.port is not None:
        keys.append(meta.port)
    keys.extend(p for p in port_bases if p not in keys)
    return tuple(dict.fromkeys(keys))


def dependents(plans: dict[Binding, Plan], key: Any) -> set[Binding]:
    """Bindings whose compiled plans reach ``key`` (directly or through other plans)."""
    memo: dict[Binding, bool] = {}

    def reaches(plan: Plan) -> bool:
        known = memo.get(plan.binding)
        if known is not None:
            return known
        memo[plan.binding] = False
        hit = any(d.key == key or (d.plan is not None and reaches(d.plan)) for d in plan.deps)
        memo[plan.binding] = hit
        return hit

    return {plan.binding for plan in list(plans.values()) if reaches(plan)}


def port_members(port: type) -> list[str]:
    """Public methods and properties a port declares, its own and its bases'.

    Plain annotated attributes are left out: adapters often set those in ``__init__``.
    """
    names: dict[str, None] = {}
    for klass in reversed(port.__mro__[:-1]):
        if klass.__module__ in ("typing", "abc"):
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_") and (callable(value) or isinstance(value, property)):
                names[name] = None
    return list(names)


def port_mismatch(binding: Binding, port: type) -> PortMismatchError | None:
    """The error for an adapter class missing members of ``port``, if any."""
    provider = binding.provider
    if not isinstance(provider, type) or hasattr(provider, "__getattr__"):
        return None
    missing = [name for name in port_members(port) if not hasattr(provider, name)]
    if not missing:
        return None
    path = (binding.label, port.__name__)
    shown = ", ".join(missing)
    return PortMismatchError(
        f"{format_chain(path)}: adapter {binding.label} lacks {shown} declared by port "
        f"{port.__name__}; fix: implement {'them' if len(missing) > 1 else 'it'} in "
        f"{binding.label} (or bind the adapter to the right port)",
        path,
        ("port", binding.label, port.__name__),
    )


__all__ = [
    "Compiler",
    "Dep",
    "Plan",
    "build_call",
    "dependents",
    "meta_keys",
    "port_mismatch",
]
