"""A target and a query window, validated once and used by every entry point.

Operators, DAG Params, the CLI and the hooks all build their inputs here, so a bad value fails
with the same message (naming the field and its allowed range) before anything reaches a
service. The ATLAS server, for one, happily queues ``ra=400``.
"""

from __future__ import annotations

import math
import re
import time
import warnings
from dataclasses import asdict, dataclass
from typing import Any

from fphot_provider.exceptions import InvalidQueryError

RA_RANGE = "0 <= ra < 360 degrees, or sexagesimal hours 00:00:00 to 23:59:59.99"
DEC_RANGE = "-90 <= dec <= 90 degrees, decimal or sexagesimal (+47:11:43)"
# 1980-01-01 .. 2100-01-01: wider than any survey, narrow enough to catch JD-for-MJD mix-ups.
MJD_LOWEST = 44239.0
MJD_HIGHEST = 88069.0
MJD_RANGE = f"MJD {MJD_LOWEST:.0f} (1980-01-01) to {MJD_HIGHEST:.0f} (2100-01-01), or an ISO date"
# Default start of a window: 2009-06-18, before the first PS1, ATLAS and ZTF epochs.
DEFAULT_MJD_MIN = 55000.0
JD_MINUS_MJD = 2400000.5
_SEXAGESIMAL = re.compile(r"[:hdms ]")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Target:
    """An astronomical target: a name and ICRS coordinates in decimal degrees."""

    name: str
    ra: float
    dec: float

    @classmethod
    def parse(cls, name: Any, ra: Any, dec: Any) -> Target:
        """Validate user input (numbers or strings, decimal or sexagesimal) into a Target."""
        return cls(name=_parse_name(name), ra=_parse_ra(ra), dec=_parse_dec(dec))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Target:
        """Rebuild a Target from :meth:`to_dict` output (e.g. from XCom), validating again."""
        return cls.parse(data.get("name"), data.get("ra"), data.get("dec"))

    def to_dict(self) -> dict[str, Any]:
        """Return JSON primitives, for XCom and trigger kwargs."""
        return asdict(self)

    @property
    def safe_name(self) -> str:
        """Return the name made safe for file paths and keys (``SN 2023ixf`` -> ``SN_2023ixf``)."""
        return safe_name(self.name)


@dataclass(frozen=True)
class QueryWindow:
    """A closed time window in UTC MJD."""

    mjd_min: float
    mjd_max: float

    @classmethod
    def parse(cls, mjd_min: Any = None, mjd_max: Any = None, *, now_mjd: float | None = None) -> QueryWindow:
        """Validate a window given as MJD numbers or ISO dates; open ends get defaults.

        :param mjd_min: start (MJD or ISO date); ``None`` means :data:`DEFAULT_MJD_MIN`.
        :param mjd_max: end (MJD or ISO date); ``None`` means now.
        :param now_mjd: the current MJD, injectable for tests.
        """
        start = DEFAULT_MJD_MIN if _is_blank(mjd_min) else _parse_mjd("mjd_min", mjd_min)
        if _is_blank(mjd_max):
            end = round(_now_mjd() if now_mjd is None else now_mjd, 5)
        else:
            end = _parse_mjd("mjd_max", mjd_max)
        if start >= end:
            # ATLAS refuses mjd_max <= mjd_min ("mjd_max must be greater than mjd_min"); a window
            # of no length asks no service anything useful.
            raise InvalidQueryError("mjd_max", f"must be greater than mjd_min ({end} <= {start})")
        return cls(mjd_min=start, mjd_max=end)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QueryWindow:
        """Rebuild from :meth:`to_dict` output."""
        return cls.parse(data.get("mjd_min"), data.get("mjd_max"))

    def to_dict(self) -> dict[str, float]:
        """Return JSON primitives."""
        return asdict(self)

    @property
    def jd_min(self) -> float:
        """Start as a Julian Date (what the ZTF service takes)."""
        return self.mjd_min + JD_MINUS_MJD

    @property
    def jd_max(self) -> float:
        """End as a Julian Date."""
        return self.mjd_max + JD_MINUS_MJD


def safe_name(name: str) -> str:
    """Make a target name safe for file paths: runs of other characters become ``_``."""
    return _UNSAFE.sub("_", name.strip()).strip("._") or "target"


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidQueryError("target_name", "must be a non-empty string")
    if len(name.strip()) > 200:
        raise InvalidQueryError("target_name", "must be at most 200 characters")
    return name.strip()


def _finite_number(field: str, value: Any, allowed: str) -> float | None:
    """Return value as a float if it is numeric (number or numeric string), else None."""
    if isinstance(value, bool):
        raise InvalidQueryError(field, f"must be a number; allowed: {allowed}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        raise InvalidQueryError(field, f"{value!r} is not finite; allowed: {allowed}")
    return number


def _angle(field: str, value: Any, unit: str, allowed: str) -> float:
    """Parse a decimal or sexagesimal angle into degrees (astropy only for sexagesimal text).

    astropy is imported here, not at module level: triggers import this module inside the
    triggerer's event loop, where a slow import blocks every other trigger.
    """
    number = _finite_number(field, value, allowed)
    if number is not None:
        return number
    if not isinstance(value, str) or not _SEXAGESIMAL.search(value.strip()):
        raise InvalidQueryError(field, f"cannot read {value!r}; allowed: {allowed}")
    import astropy.units as u
    from astropy.coordinates import Angle

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # astropy only warns about hour 24 or minute 60
            return float(Angle(value.strip(), unit=getattr(u, unit)).degree)
    except (ValueError, u.UnitsError, Warning) as err:
        raise InvalidQueryError(field, f"cannot read {value!r} ({err}); allowed: {allowed}") from None


def _parse_ra(value: Any) -> float:
    ra = _angle("ra", value, "hourangle", RA_RANGE)
    if not 0.0 <= ra < 360.0:
        raise InvalidQueryError("ra", f"{value!r} is out of range; allowed: {RA_RANGE}")
    return ra


def _parse_dec(value: Any) -> float:
    dec = _angle("dec", value, "deg", DEC_RANGE)
    if not -90.0 <= dec <= 90.0:
        raise InvalidQueryError("dec", f"{value!r} is out of range; allowed: {DEC_RANGE}")
    return dec


def _parse_mjd(field: str, value: Any) -> float:
    mjd = _finite_number(field, value, MJD_RANGE)
    if mjd is None:
        mjd = _iso_to_mjd(field, value)
    if not MJD_LOWEST <= mjd <= MJD_HIGHEST:
        raise InvalidQueryError(field, f"{value!r} is out of range; allowed: {MJD_RANGE}")
    return mjd


def _now_mjd() -> float:
    return time.time() / 86400.0 + 40587.0  # Unix epoch = MJD 40587 (UTC, leap seconds aside)


def _iso_to_mjd(field: str, value: Any) -> float:
    if not isinstance(value, str):
        raise InvalidQueryError(field, f"cannot read {value!r}; allowed: {MJD_RANGE}")
    from astropy.time import Time

    try:
        return float(Time(value.strip(), scale="utc").mjd)
    except ValueError:
        raise InvalidQueryError(field, f"cannot read {value!r}; allowed: {MJD_RANGE}") from None
