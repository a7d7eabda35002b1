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
    return _connection(
        conn_type,
        hook,
        name,
        {
            "hidden-fields": ["schema", "port"],
            "relabeling": {"host": "Base URL", "login": "Username (optional)", "password": "API token or password"},
            "placeholders": {
                "host": host,
                "login": "leave empty when the password field holds an API token",
                "password": password_hint,
            },
        },
    )


CONNECTIONS = [
    _token_connection(
        "fphot_atlas",
        "fphot_provider.hooks.atlas.AtlasHook",
        "ATLAS forced photometry",
        "https://fallingstar-data.com/forcedphot",
        "API token (or the account password when a username is given)",
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
    *(
        _connection(
            f"fphot_{service}",
            hook,
            name,
            {
                "hidden-fields": ["schema", "port", "login", "password"],
                "relabeling": {"host": "Base URL (optional: the public API by default)"},
                "placeholders": {"host": url},
            },
        )
        for service, hook, name, url in (
            (
                "fink_lsst",
                "fphot_provider.hooks.fink.FinkLsstHook",
                "Fink (Rubin/LSST)",
                "https://api.lsst.fink-portal.org",
            ),
            (
                "alerce_lsst",
                "fphot_provider.hooks.alerce.AlerceLsstHook",
                "ALeRCE (Rubin/LSST)",
                "https://api-lsst.alerce.online",
            ),
            (
                "alerce_ztf",
                "fphot_provider.hooks.alerce.AlerceZtfHook",
                "ALeRCE (ZTF alert forced photometry)",
                "https://api.alerce.online",
            ),
        )
    ),
    _token_connection(
        "fphot_tom",
        "fphot_provider.hooks.tom.TomHook",
        "TOM Toolkit (tom sink)",
        "https://tom.example.org",
        "API token (TOM profile page), or the password of the username",
    ),
]


ATLAS, ZTF, PS1, TOM = (
    "ATLAS forced photometry",
    "ZTF Forced Photometry Service",
    "PanSTARRS DR2 (MAST)",
    "TOM Toolkit",
)
FINK, ALERCE = "Fink broker (Rubin/LSST)", "ALeRCE broker (Rubin/LSST, ZTF)"
INTEGRATIONS = [
    {"integration-name": ATLAS, "external-doc-url": "https://fallingstar-data.com/forcedphot/", "tags": ["service"]},
    {
        "integration-name": ZTF,
        "external-doc-url": "https://irsa.ipac.caltech.edu/data/ZTF/docs/forcedphot.pdf",
        "tags": ["service"],
    },
    {
        "integration-name": PS1,
        "external-doc-url": "https://catalogs.mast.stsci.edu/docs/panstarrs.html",
        "tags": ["service"],
    },
    {"integration-name": FINK, "external-doc-url": "https://api.lsst.fink-portal.org", "tags": ["service"]},
    {"integration-name": ALERCE, "external-doc-url": "https://alerce.readthedocs.io/", "tags": ["service"]},
    {"integration-name": TOM, "external-doc-url": "https://tom-toolkit.readthedocs.io/", "tags": ["software"]},
]
HOOKS = {
    ATLAS: ["fphot_provider.hooks.atlas"],
    ZTF: ["fphot_provider.hooks.ztf"],
    PS1: ["fphot_provider.hooks.panstarrs"],
    FINK: ["fphot_provider.hooks.fink"],
    ALERCE: ["fphot_provider.hooks.alerce"],
    TOM: ["fphot_provider.hooks.tom"],
}
OPERATORS = {
    ATLAS: ["fphot_provider.operators.atlas", "fphot_provider.operators.atlas_batch"],
    ZTF: ["fphot_provider.operators.ztf"],
    PS1: ["fphot_provider.operators.panstarrs"],
    FINK: ["fphot_provider.operators.brokers"],
    ALERCE: ["fphot_provider.operators.brokers"],
}
SENSORS = {ATLAS: ["fphot_provider.sensors.atlas"], ZTF: ["fphot_provider.sensors.ztf"]}
TRIGGERS = {ATLAS: ["fphot_provider.triggers.atlas"], ZTF: ["fphot_provider.triggers.ztf"]}


def get_provider_info() -> dict[str, Any]:
    """Return the provider description Airflow's ProvidersManager reads."""
    return {
        "package-name": "fphot-provider",
        "name": "Forced Photometry (fphot)",
        "description": "Forced photometry from ATLAS, ZTF, PanSTARRS and (through Fink and ALeRCE) Rubin/LSST "
        "as Airflow hooks, operators and DAGs.",
        "versions": [__version__],
        "integrations": INTEGRATIONS,
        "hooks": [{"integration-name": name, "python-modules": modules} for name, modules in HOOKS.items()],
        "operators": [{"integration-name": name, "python-modules": modules} for name, modules in OPERATORS.items()],
        "sensors": [{"integration-name": name, "python-modules": modules} for name, modules in SENSORS.items()],
        "triggers": [{"integration-name": name, "python-modules": modules} for name, modules in TRIGGERS.items()],
        "connection-types": CONNECTIONS,
        "extra-links": ["fphot_provider.operators.atlas.AtlasTaskLink", "fphot_provider.ui.links.LightCurveLink"],
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
                    "ui_sink": {
                        "description": "The sink the Light curves pages list (file or sql; a sink spec as the "
                        "DAGs' sink param). Read by the API server.",
                        "version_added": "0.3.0",
                        "type": "string",
                        "example": "sql:conn_id=fphot_db",
                        "default": "file",
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
                    "ztf_min_poll_seconds": {
                        "description": "Shortest wait between reads of a ZTF status page (it refreshes about "
                        "hourly); lower it only for an emulator on loopback.",
                        "version_added": "0.2.0",
                        "type": "float",
                        "example": "300",
                        "default": "120",
                    },
                    "processors": {
                        "description": 'JSON object adding data product types: {"type": "module:function"}.',
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": '{"my_photometry": "my_pkg.parsers:parse_mine"}',
                        "default": "",
                    },
                },
            }
        },
    }
