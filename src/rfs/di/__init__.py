"""Hexagonal dependency injection: annotations, profiles, scopes and a fast container.

FastAPI integration lives in ``rfs.di.fastapi`` (imported only when you use it).
"""

from __future__ import annotations

from rfs.di.annotations import (
    Adapter,
    Annotation,
    Component,
    Controller,
    Injectable,
    Port,
    Repository,
    Service,
    UseCase,
    adapter,
    component,
    controller,
    default_registry,
    injectable,
    is_adapter,
    is_annotated,
    is_port,
    port,
    repository,
    service,
    set_default_registry,
    use_case,
)
from rfs.di.compat import (
    AnnotationRegistry,
    ComponentScope,
    ServiceScope,
    StatelessRegistry,
    get_annotation_registry,
    inject,
    stateless,
)
from rfs.di.errors import (
    AmbiguousBindingError,
    AsyncResolutionError,
    CircularDependencyError,
    ContainerValidationError,
    DIError,
    MissingBindingError,
    PortMismatchError,
    RegistrationError,
    ScopeNotActiveError,
    ScopeViolationError,
)
from rfs.di.markers import ComponentMeta, Inject
from rfs.di.registry import Registry
from rfs.di.request import RequestScope
from rfs.di.scopes import Scope

__all__ = [
    "Adapter",
    "AmbiguousBindingError",
    "Annotation",
    "AnnotationRegistry",
    "AsyncResolutionError",
    "CircularDependencyError",
    "Component",
    "ComponentMeta",
    "ComponentScope",
    "ContainerValidationError",
    "Controller",
    "DIError",
    "Inject",
    "Injectable",
    "MissingBindingError",
    "Port",
    "PortMismatchError",
    "RegistrationError",
    "Registry",
    "Repository",
    "RequestScope",
    "Scope",
    "ScopeNotActiveError",
    "ScopeViolationError",
    "Service",
    "ServiceScope",
    "StatelessRegistry",
    "UseCase",
    "adapter",
    "component",
    "controller",
    "default_registry",
    "get_annotation_registry",
    "inject",
    "injectable",
    "is_adapter",
    "is_annotated",
    "is_port",
    "port",
    "repository",
    "service",
    "set_default_registry",
    "stateless",
    "use_case",
]
