"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point.

Connection forms are declared here (``ui-field-behaviour``, ``conn-fields``): since Airflow 3.2
this is the supported way, and the hooks carry no form code.
"""

from __future__ import annotations

from typing import Any

from fphot_provider import __version__

_COMMON_EXTRAS: dict[str, Any] = {
    "timeout": {
        "label": "Timeout (s)",
        "description": "Seconds allowed per HTTP request (default 30).",
        "schema": {"type": ["number", "null"], "minimum": 1},
    },
    "max_attempts": {
        "label": "Max attempts",
        "description": "Tries per request on 5xx, 429 and connection errors (default 5).",
        "schema": {"type": ["integer", "null"], "minimum": 1, "maximum": 20},
    },
    "backoff_seconds": {
        "label": "First retry wait (s)",
        "description": "Wait before the first retry of a failed request; doubles each time (default 1).",
        "schema": {"type": ["number", "null"], "minimum": 0},
    },
}


def _connection(conn_type: str, hook: str, name: str, behaviour: dict, fields: dict | None = None) -> dict:
    return {
        "connection-type": conn_type,
        "hook-class-name": hook,
        "hook-name": name,
        "ui-field-behaviour": behaviour,
        "conn-fields": {**_COMMON_EXTRAS, **(fields or {})},
    }


def _token_connection(conn_type: str, hook: str, name: str, host: str, password_hint: str) -> dict:
    """A service reached with an API token, or with login + password exchanged for one."""
    return _connection(conn_type, hook, name, {
        "hidden-fields": ["schema", "port"],
        "relabeling": {"host": "Base URL", "login": "Username (optional)", "password": "API token or password"},
        "placeholders": {
            "host": host, "login": "leave empty when the password field holds an API token", "password": password_hint,
        },
    })


CONNECTIONS = [
    _token_connection(
        "fphot_atlas", "fphot_provider.hooks.atlas.AtlasHook", "ATLAS forced photometry",
        "https://fallingstar-data.com/forcedphot", "API token (or the account password when a username is given)",
    ),
    _connection(
        "fphot_ztf",
        "fphot_provider.hooks.ztf.ZtfHook",
        "ZTF Forced Photometry Service (IRSA)",
        {
            "hidden-fields": ["schema", "port"],
            "relabeling": {"host": "Base URL", "login": "E-mail (registered with ZFPS)", "password": "userpass"},
            "placeholders": {"host": "https://ztfweb.ipac.caltech.edu", "login": "you@example.org"},
        },
        {
            "service_user": {
                "label": "Service HTTP user",
                "description": "The service's published basic-auth user (override only if IPAC changes it).",
                "schema": {"type": ["string", "null"]},
            },
            "service_password": {
                "label": "Service HTTP password",
                "description": "The service's published basic-auth password.",
                "schema": {"type": ["string", "null"]},
                "sensitive": True,
            },
        },
    ),
    _connection(
        "fphot_panstarrs",
        "fphot_provider.hooks.panstarrs.PanstarrsHook",
        "PanSTARRS DR2 (MAST Catalogs)",
        {
            "hidden-fields": ["schema", "port", "login"],
            "relabeling": {"host": "Base URL", "password": "MAST token (optional)"},
            "placeholders": {"host": "https://catalogs.mast.stsci.edu/api/v0.1/panstarrs"},
        },
    ),
    _token_connection(
        "fphot_tom", "fphot_provider.hooks.tom.TomHook", "TOM Toolkit (tom sink)",
        "https://tom.example.org", "API token (TOM profile page), or the password of the username",
    ),
]


def get_provider_info() -> dict[str, Any]:
    """Return the provider description Airflow's ProvidersManager reads."""
    return {
        "package-name": "fphot-provider",
        "name": "Forced Photometry (fphot)",
        "description": "Forced photometry from ATLAS, ZTF and PanSTARRS as Airflow hooks, operators and DAGs.",
        "versions": [__version__],
        "connection-types": CONNECTIONS,
        "hook-class-names": [c["hook-class-name"] for c in CONNECTIONS],
        "config": {
            "fphot": {
                "description": "fphot_provider settings.",
                "options": {
                    "data_dir": {
                        "description": "Root of raw files, the file sink and plots (default $AIRFLOW_HOME/fphot).",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "/data/fphot",
                        "default": "",
                    },
                    "task_retries": {
                        "description": "Retries of the shipped DAGs' tasks (a retry re-attaches to its remote job).",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "2",
                        "default": "2",
                    },
                    "retry_delay_seconds": {
                        "description": "First retry delay of the shipped DAGs' tasks (doubles each retry).",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "120",
                        "default": "120",
                    },
                    "alert_notifier": {
                        "description": "module:callable returning the notifier used for change alerts.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "my_pkg.alerts:slack_notifier",
                        "default": "",
                    },
                    "processors": {
                        "description": "JSON object adding data product types: {\"type\": \"module:function\"}.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": '{"my_photometry": "my_pkg.parsers:parse_mine"}',
                        "default": "",
                    },
                },
            }
        },
    }
