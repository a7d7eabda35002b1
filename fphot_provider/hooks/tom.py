"""Hook for a TOM Toolkit's REST API (Connection type ``fphot_tom``).

Connection: host = the TOM's base URL; login + password are exchanged once at
``/api/token-auth/`` for the user's API token, or the password field holds the token itself
(login empty). 5xx and connection errors are retried (every request here is safe to resend:
uploads carry content-hashed product ids and datums are folded by the TOM); a 4xx raises
:class:`TomApiError` with the TOM's message. The token is never logged.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from fphot_provider.exceptions import SinkError, TomApiError
from fphot_provider.hooks.base import FphotHttpHook
from fphot_provider.wire import tom as wire
from fphot_provider.wire.http import HttpRequest, HttpResponse

PAGE = 1000


class TomHook(FphotHttpHook):
    """Targets, data products and reduced datums of one TOM, for the ``tom`` sink."""

    default_conn_name: ClassVar[str] = "fphot_tom"
    conn_type: ClassVar[str] = "fphot_tom"
    hook_name: ClassVar[str] = "TOM Toolkit"

    def __init__(self, conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(conn_id, **kwargs)
        self._token: str | None = None
        self._token_lock = threading.Lock()

    # --- auth ----------------------------------------------------------------------------------
    def token(self) -> str:
        """The API token: the password when no login is set, else exchanged for login/password."""
        with self._token_lock:
            if self._token is None:
                self._token = self._fetch_token()
            return self._token

    def _fetch_token(self) -> str:
        conn = self.get_conn()
        if not conn.password:
            raise SinkError(
                f"Connection {self.conn_id!r}: set the password field (an API token, or the password of the login)"
            )
        if not conn.login:
            return conn.password
        request = wire.token_request(self.base_url, conn.login, conn.password)
        return str(self._checked(request, self.run(request))["token"])

    # --- one call ------------------------------------------------------------------------------
    def call(self, method: str, path: str, **fields: Any) -> Any:
        """Send an authenticated request to ``path`` (or a full URL); return the decoded JSON."""
        request = wire.api_request(self.base_url, method, path, self.token(), **fields)
        return self._checked(request, self.run(request))

    def _checked(self, request: HttpRequest, response: HttpResponse) -> Any:
        """Raise on a 4xx with the TOM's message; return the decoded JSON body (None when empty)."""
        if 400 <= response.status < 500:
            detail = wire.refusal(response)
            raise TomApiError(
                f"TOM answered HTTP {response.status} to {request.describe()}: {detail}", status=response.status
            )
        return response.json() if response.body else None

    def pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every result of a paginated list (following ``next``)."""
        answer = self.call("GET", path, params={**params, "limit": PAGE})
        results = list(answer["results"])
        while answer.get("next"):
            answer = self.call("GET", answer["next"])
            results.extend(answer["results"])
        return results

    # --- targets -------------------------------------------------------------------------------
    def find_target(self, name: str) -> dict[str, Any] | None:
        """The target named ``name`` (or with that alias); the API's filter is a substring match."""
        for target in self.pages("/api/targets/", {"name": name}):
            aliases = {alias.get("name") for alias in target.get("aliases", [])}
            if target["name"] == name or name in aliases:
                return target
        return None

    def create_target(self, name: str, ra: float, dec: float) -> dict[str, Any]:
        """Create a sidereal target; a concurrent creation by another task is found instead."""
        try:
            return self.call("POST", "/api/targets/", json={"name": name, "type": "SIDEREAL", "ra": ra, "dec": dec})
        except TomApiError as err:
            found = self.find_target(name) if "already exists" in str(err) else None
            if found is None:
                raise
            return found

    # --- data products -------------------------------------------------------------------------
    def products(self, target: dict[str, Any]) -> list[dict[str, Any]]:
        """The data products of ``target``, oldest first."""
        found = self.pages("/api/dataproducts/", {"target_name": target["name"]})
        return sorted((p for p in found if p["target"] == target["id"]), key=lambda p: p["id"])

    def upload(
        self, target_id: int, product_id: str, product_type: str, filename: str, content: bytes, extra: str = ""
    ) -> tuple[dict[str, Any], bool]:
        """Upload a file as a data product; return it and whether it is new (not skipped)."""
        answer = self.call(
            "POST",
            "/api/dataproducts/",
            data={
                "target": target_id,
                "product_id": product_id,
                "data_product_type": product_type,
                "extra_data": extra,
            },
            files={"file": (filename, content, "application/octet-stream")},
        )
        return answer, not answer.get("already_exists", False)

    def download(self, product: dict[str, Any]) -> bytes:
        """The file of a data product (the TOM's media URL)."""
        request = wire.media_request(self.base_url, product["data"], self.token())
        response = self.run(request)
        if response.status >= 400:
            raise TomApiError(f"TOM answered HTTP {response.status} to {request.describe()}", status=response.status)
        return response.body

    def delete_product(self, pk: int) -> None:
        """Delete a data product and, with it, every datum linked to it."""
        self.call("DELETE", f"/api/dataproducts/{pk}/")

    # --- reduced datums ------------------------------------------------------------------------
    def post_datum(self, datum: dict[str, Any]) -> bool:
        """Write one datum; False when the TOM already held an equal point."""
        return not self.call("POST", "/api/reduceddatums/", json=datum).get("already_exists", False)

    def count_points(self, **filters: Any) -> int:
        """How many photometry points match ``filters`` (e.g. ``data_product__id``)."""
        return int(
            self.call("GET", "/api/reduceddatums/", params={**filters, "data_type": "photometry", "limit": 1})["count"]
        )
