"""The trigger form's own checks of RA and Dec (JSON schema), before any run exists."""

from __future__ import annotations

import jsonschema
import pytest

from fphot_provider.params import dec_param, ra_param
from fphot_provider.targets import Target


@pytest.mark.parametrize("value", [0, 359.99, "0", "210.910674", "14:03:38.56", "23 59 59", "14h03m38.56s", " 12.5 "])
def test_good_ra(value) -> None:
    jsonschema.validate(value, ra_param(0).schema)
    Target.parse("x", value, 0)  # the form admits nothing the validator refuses


@pytest.mark.parametrize("value", [360, -1, "360", "400", "24:00:00", "25:01:02", "abc", "12:60:00", True])
def test_bad_ra(value) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(value, ra_param(0).schema)


@pytest.mark.parametrize(
    "value", [0, -90, 90, "+54.3117", "-89.9", "+47:11:43", "-00:30:00", "90:00:00", "54d18m42.1s"]
)
def test_good_dec(value) -> None:
    jsonschema.validate(value, dec_param(0).schema)
    Target.parse("x", 0, value)


@pytest.mark.parametrize("value", [95, -90.5, "95", "91", "90.5", "+95:00:00", "90:30:00", "north", "45:61:00"])
def test_bad_dec(value) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(value, dec_param(0).schema)
