"""What the alert brokers' wire modules share: the object a cone finds, JSON answers, radii.

A broker answers "which objects are near this position" and then "their forced photometry";
the first answer is read into :class:`BrokerObject` (id as a string: Rubin ids exceed 2**53)
whatever the broker's own column names.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from fphot_provider.exceptions import InvalidQueryError, RemoteServiceError


@dataclass(frozen=True)
class BrokerObject:
    """An object a broker's cone search found."""

    id: str
    ra: float | None
    dec: float | None
    separation_arcsec: float | None

    @classmethod
    def at(
        cls,
        object_id: str,
        ra: Any,
        dec: Any,
        centre_ra: float,
        centre_dec: float,
        *,
        separation_arcsec: float | None = None,
    ) -> BrokerObject:
        """The object, its separation from the cone centre computed when the broker gave none."""
        ra_f, dec_f = _number(ra), _number(dec)
        if separation_arcsec is None and ra_f is not None and dec_f is not None:
            separation_arcsec = separation(centre_ra, centre_dec, ra_f, dec_f)
        return cls(object_id, ra_f, dec_f, None if separation_arcsec is None else round(separation_arcsec, 4))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def separation(ra1: float, dec1: float, ra2: float, dec2: float) -> float:
    """Angular distance in arcsec (haversine)."""
    r1, d1, r2, d2 = map(math.radians, (ra1, dec1, ra2, dec2))
    a = math.sin((d2 - d1) / 2) ** 2 + math.cos(d1) * math.cos(d2) * math.sin((r2 - r1) / 2) ** 2
    return math.degrees(2 * math.asin(min(1.0, math.sqrt(a)))) * 3600.0


def nearest_first(objects: Iterable[BrokerObject]) -> list[BrokerObject]:
    """Objects by separation; those without a position keep their order, after the others."""
    listed = list(objects)
    return sorted(listed, key=lambda o: (o.separation_arcsec is None, o.separation_arcsec or 0.0))


def check_radius(radius_arcsec: float, maximum: float) -> None:
    if not 0 < radius_arcsec <= maximum:
        raise InvalidQueryError("radius_arcsec", f"must be > 0 and <= {maximum:g} arcsec, got {radius_arcsec}")


def answer_json(text: str, what: str, kind: type) -> Any:
    """Decode a JSON answer of the expected kind (list or dict), or say what came instead."""
    try:
        value = json.loads(text)
    except ValueError:
        raise RemoteServiceError(f"{what}: expected JSON, got {text[:200]!r}") from None
    if not isinstance(value, kind):
        raise RemoteServiceError(f"{what}: expected a JSON {kind.__name__}, got {type(value).__name__}")
    return value


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
