"""The "Example Survey": wire builders, hook, parser and operator, as the guide lays them out.

It serves a CSV light curve per position, synchronously: ``GET /lc.csv?ra&dec&mjd_min&mjd_max``
with ``X-Api-Key``; columns ``obs_id, mjd, band, flux_ujy, flux_err_ujy``.
"""

from __future__ import annotations

import io
from typing import Any, ClassVar

import pandas as pd

from fphot_provider.exceptions import LoginError, RemoteServiceError, TableParseError
from fphot_provider.hooks.base import FphotHttpHook
from fphot_provider.operators.base import ForcedPhotometryOperator
from fphot_provider.photometry import assemble, conform, empty_table, flags_from_masks, flux_to_photometry
from fphot_provider.storage import store_raw
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.wire.http import HttpRequest, HttpResponse

COLUMNS = ("obs_id", "mjd", "band", "flux_ujy", "flux_err_ujy")


# 1. the wire, purely
def light_curve_request(base_url: str, key: str, target: Target, window: QueryWindow) -> HttpRequest:
    params = {
        "ra": repr(target.ra),
        "dec": repr(target.dec),
        "mjd_min": repr(window.mjd_min),
        "mjd_max": repr(window.mjd_max),
    }
    return HttpRequest("GET", f"{base_url}/lc.csv", params=params, headers={"X-Api-Key": key})


def check(response: HttpResponse) -> str:
    if response.status == 401:
        raise LoginError("Example Survey refused the API key", status=401)
    if not response.ok:
        raise RemoteServiceError(f"Example Survey failed with HTTP {response.status}", status=response.status)
    return response.text


# 2. the hook
class ExampleHook(FphotHttpHook):
    conn_name_attr: ClassVar[str] = "example_conn_id"
    default_conn_name: ClassVar[str] = "example_default"
    conn_type: ClassVar[str] = "http"
    hook_name: ClassVar[str] = "Example survey"
    default_base_url: ClassVar[str] = "https://example.org/api"

    def light_curve(self, target: Target, window: QueryWindow) -> str:
        return check(self.run(light_curve_request(self.base_url, self.get_conn().password or "", target, window)))

    def test_connection(self) -> tuple[bool, str]:
        try:
            self.light_curve(Target.parse("probe", 0, 0), QueryWindow.parse(60000, 60000.1))
        except Exception as err:  # noqa: BLE001
            return False, str(err)
        return True, "ok"


# 3. a synchronous operator
class ExamplePhotometryOperator(ForcedPhotometryOperator):
    service = "example"
    data_product_type = "example_photometry"

    def execute(self, context: Any) -> dict[str, Any]:
        target, window = self.query()
        text = ExampleHook().light_curve(target, window)
        path = store_raw(self.root, self.service, target.safe_name, "lc.csv", text)
        return self.product(target, window, [path])


# 4. the parser (registered by configuration in the test, not in the package)
def parse_example(text: str, *, target: str, snr_threshold: float = 3.0) -> pd.DataFrame:
    try:
        raw = pd.read_csv(io.StringIO(text), dtype={"obs_id": str, "band": str})
    except (ValueError, pd.errors.ParserError) as err:
        raise TableParseError(f"not an Example Survey light curve: {err}") from None
    if list(raw.columns) != list(COLUMNS):
        raise TableParseError(f"not an Example Survey light curve: columns {list(raw.columns)}")
    if raw.empty:
        return conform(empty_table())
    flux, err = raw["flux_ujy"].to_numpy(float), raw["flux_err_ujy"].to_numpy(float)
    flags, good = flags_from_masks({"no_measurement": ~(err > 0)}, len(raw))
    return conform(
        assemble(
            raw,
            frozenset(COLUMNS),
            target=target,
            service="example",
            filters=pd.Categorical("EX." + raw["band"]),
            mjd=raw["mjd"].to_numpy(float),
            time_ref="mid",
            flux=flux,
            flux_err=err,
            photometry=flux_to_photometry(flux, err, snr_threshold),
            flags=flags,
            good=good,
            exposure_id=raw["obs_id"].to_numpy(dtype=object),
        )
    )
