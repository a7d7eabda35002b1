"""Load ``module:attribute`` paths, the one way every registry (sinks, parsers, notifiers) does."""

from __future__ import annotations

import importlib
from typing import Any

from fphot_provider.exceptions import ConfigurationError


def load_object(path: str, what: str) -> Any:
    """Import ``module:attribute``; a clear ConfigurationError naming ``what`` when it cannot be loaded.

    :param path: ``package.module:name``.
    :param what: the setting or registry the path comes from, for the message.
    """
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigurationError(f"{what}: {path!r} is not a module:attribute path")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as err:
        raise ConfigurationError(f"{what}: {path!r} cannot be loaded: {err}") from None
