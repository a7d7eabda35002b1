"""DAG Params for a target, with JSON-schema checks the Airflow trigger form applies itself.

Numbers get ``minimum``/``maximum``; strings a ``pattern`` that admits only in-range decimal or
sexagesimal values, so ``dec = 95`` is refused in the form (with the field named) before a run
exists. The full validation (``Target.parse``) still runs in the DAG's first task.
"""

from __future__ import annotations

from airflow.sdk import Param

_SEP = r"[:\s]"
# 0 <= ra < 360 as a decimal string, or sexagesimal hours 0-23 with minutes/seconds (or h/m/s).
RA_PATTERN = (
    r"^\s*((3[0-5]\d|[12]\d\d|\d{1,2})(\.\d+)?"
    rf"|([01]?\d|2[0-3])({_SEP}|h)[0-5]?\d({_SEP}|m)[0-5]?\d(\.\d+)?s?)\s*$"
)
# -90 <= dec <= 90 as a decimal string, or sexagesimal degrees (or d/m/s).
DEC_PATTERN = (
    r"^\s*[+-]?((90(\.0+)?|[0-8]?\d(\.\d+)?)"
    rf"|(90({_SEP}|d)0?0({_SEP}|m)0?0(\.0+)?s?|[0-8]?\d({_SEP}|d)[0-5]?\d({_SEP}|m)[0-5]?\d(\.\d+)?s?))\s*$"
)


def ra_param(default: float | str) -> Param:
    return Param(
        default,
        type=["number", "string"],
        minimum=0,
        exclusiveMaximum=360,
        pattern=RA_PATTERN,
        title="RA",
        description="Degrees 0 <= ra < 360, or hours 13:29:52.7",
    )


def dec_param(default: float | str) -> Param:
    return Param(
        default,
        type=["number", "string"],
        minimum=-90,
        maximum=90,
        pattern=DEC_PATTERN,
        title="Dec",
        description="Degrees -90 <= dec <= 90, or +47:11:43",
    )
