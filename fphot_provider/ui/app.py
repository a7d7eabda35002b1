"""The Light curves app: HTML pages and their JSON, behind Airflow's own login.

Mounted by the API server at ``/fphot`` (see :mod:`fphot_provider.ui.plugin`): no new port, and
every route needs the user Airflow's auth manager knows from the request (the UI's cookie or a
bearer token). A page asked for without one redirects to Airflow's login; data answers 401.
Routes are plain functions: FastAPI runs them in its thread pool, so a slow sink read never
blocks the API server's event loop.
"""

from __future__ import annotations

import gzip
import html
from functools import cache
from importlib import resources
from string import Template
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from fphot_provider.exceptions import ConfigurationError
from fphot_provider.ui import data

STATIC = resources.files("fphot_provider.ui") / "static"
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css"}
TargetName = Annotated[str, Query(min_length=1, max_length=200)]  # as a target name is checked on input


def create_app() -> FastAPI:
    """The app the plugin mounts; built on first request, so other Airflow processes never import it."""
    from airflow.api_fastapi.core_api.security import get_user  # Airflow's own check: its rules apply

    app = FastAPI(title="fphot light curves", dependencies=[Depends(get_user)], docs_url=None, redoc_url=None)
    app.add_exception_handler(HTTPException, _to_login)
    app.add_exception_handler(ConfigurationError, _bad_request)
    app.add_exception_handler(LookupError, _not_found)
    app.get("/", response_class=HTMLResponse)(list_page)
    app.get("/target", response_class=HTMLResponse)(target_page)
    app.get("/api/targets")(api_targets)
    app.get("/api/points")(api_points)
    app.get("/api/download")(api_download)
    app.get("/static/{name}")(static_file)
    return app


def list_page(request: Request) -> HTMLResponse:
    """The target list's shell; list.js asks /api/targets for one page at a time."""
    return HTMLResponse(_render("list.html", request, title="Light curves"))


def target_page(request: Request, name: TargetName) -> HTMLResponse:
    """A target's shell (its name escaped into the title); the page itself asks for the points."""
    return HTMLResponse(_render("target.html", request, title=html.escape(name)))


def api_targets(
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    search: Annotated[str, Query(max_length=200)] = "",
    sort: str = "name",
) -> dict[str, Any]:
    """One page of the sink's target catalogue."""
    return data.target_page(data.configured_sink(), offset=offset, limit=limit, search=search, sort=sort)


def api_points(target: TargetName) -> dict[str, Any]:
    """Every point of a target as columns (see :func:`fphot_provider.ui.data.light_curve`)."""
    return data.light_curve(data.stored_rows(data.configured_sink(), target), target)


def api_download(target: TargetName, format: str = "csv") -> Response:
    """Every stored row of a target as a file (CSV or Parquet)."""
    body, media_type, filename = data.download(data.stored_rows(data.configured_sink(), target), target, format)
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def static_file(name: str, request: Request) -> Response:
    """The pages' own scripts and styles, and plotly.js from the plotly wheel (works offline)."""
    if name == "plotly.min.js":
        return _plotly_response(request)
    suffix = name[name.rfind(".") :]
    if "/" in name or suffix not in STATIC_TYPES or not (STATIC / name).is_file():
        raise HTTPException(404, f"no static file {name!r}")
    return Response((STATIC / name).read_bytes(), media_type=STATIC_TYPES[suffix])


def _plotly_response(request: Request) -> Response:
    """plotly.js is 4.8 MB: gzipped once (1.4 MB) for every browser that accepts it, cached a day."""
    raw, packed = _plotly_js()
    headers = {"Cache-Control": "max-age=86400", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type="text/javascript", headers={**headers, "Content-Encoding": "gzip"})
    return Response(raw, media_type="text/javascript", headers=headers)


@cache
def _plotly_js() -> tuple[bytes, bytes]:
    raw = (resources.files("plotly") / "package_data" / "plotly.min.js").read_bytes()
    return raw, gzip.compress(raw, compresslevel=6)


def _render(page: str, request: Request, *, title: str) -> str:
    """Fill a page shell: its title and the app's own URL prefix (wherever the API server mounts it)."""
    return Template((STATIC / page).read_text()).substitute(root=request.scope.get("root_path", ""), title=title)


def _to_login(request: Request, error: HTTPException) -> Response:
    """A page without a logged-in user goes to Airflow's login and back; everything else keeps its status."""
    is_page = not request.url.path.removeprefix(request.scope.get("root_path", "")).startswith(("/api/", "/static/"))
    if error.status_code in (401, 403) and is_page:
        from airflow.api_fastapi.app import get_auth_manager

        return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)), status_code=303)
    return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)


def _bad_request(request: Request, error: ConfigurationError) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=400)


def _not_found(request: Request, error: LookupError) -> JSONResponse:
    return JSONResponse({"detail": str(error).strip("'\"")}, status_code=404)
