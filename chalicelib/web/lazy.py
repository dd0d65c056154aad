"""Modules loaded on first use (the standard library's `importlib.util.LazyLoader` recipe).

Every Lambda function of the app (the API and the authorizer) imports `app.py` at a cold
start. The routes' services, their marshmallow schemas, the OpenAPI builder and the page
templates are bound here by name and only executed when a request first touches them, so
the authorizer never pays for them and the API pays only for what its first request needs.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

_deferred: list[ModuleType] = []


def lazy_module(name: str) -> ModuleType:
    """The module `name`, executed on its first attribute access (at once if already imported)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    _deferred.append(module)
    return module


def load_all() -> None:
    """Execute every deferred module now. For multi-threaded servers (the local stack):
    on Python 3.11 two threads touching a module's first attribute at once can see it
    half-executed. Lambda runs one request at a time per container, so it never needs this."""
    for module in _deferred:
        hasattr(module, "__name__")  # any attribute access runs the module
