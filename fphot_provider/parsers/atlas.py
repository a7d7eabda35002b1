"""Parse ATLAS forced photometry result files into the photometry table.

Columns are found by header name, never by position: newer servers add ``PA_DEG``, tools
like ATClean rewrite the header without ``###`` and pandas rewrites make it comma-separated.
Magnitudes are recomputed from flux (the server prints the magnitude of a negative flux with a
negative sign), and the quality cuts of the ATLAS FAQ mark rows without dropping them.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd

from fphot_provider.exceptions import TableParseError
from fphot_provider.photometry import assemble, conform, empty_table, flags_from_masks, flux_to_photometry

REQUIRED = ("MJD", "uJy", "duJy", "Obs")
MAPPED = frozenset({"MJD", "uJy", "duJy", "F", "Obs"})
NUMERIC = ("MJD", "uJy", "duJy")
SERVICE = "atlas"
REDUCED_SERVICE = "atlas_reduced"


def parse_atlas(text: str, *, target: str, snr_threshold: float = 3.0, reduced: bool = False) -> pd.DataFrame:
    """Return the photometry table of one ATLAS result file.

    :param text: the file's content.
    :param target: the target name to put on every row.
    :param snr_threshold: rows with ``uJy/duJy`` at or above it are detections; the others get
        an ``snr_threshold``-sigma upper limit.
    :param reduced: the file is photometry on reduced (not difference) images; rows then go
        under service ``atlas_reduced`` so they never merge with difference photometry.
    :raises TableParseError: when the text is not ATLAS forced photometry output.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    header_at, names, sep = _find_header(text)
    raw = _read_rows(text, header_at, names, sep)
    raw, duplicates = _drop_duplicate_exposures(raw)
    table = _to_schema(raw, target, snr_threshold, REDUCED_SERVICE if reduced else SERVICE)
    table.attrs["duplicates_dropped"] = duplicates
    return table


def _find_header(text: str) -> tuple[int, list[str], str]:
    """Locate the header line; return its index, column names and the field separator."""
    index, start = 0, 0
    while True:  # line by line without splitting the whole text: files can be 100+ MB
        if start >= len(text):
            raise TableParseError("empty input: not an ATLAS forced photometry file (no header line)")
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end]
        if line.strip():
            break
        index, start = index + 1, end + 1
    header = line.strip().lstrip("#").strip()
    sep = "," if "," in header else r"\s+"
    names = [n.strip() for n in header.split(",")] if sep == "," else header.split()
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise TableParseError(f"not ATLAS forced photometry output: header lacks {missing} (first line: {line[:80]!r})")
    if len(set(names)) != len(names):
        raise TableParseError(f"ATLAS header repeats a column name: {names}")
    return index, names, sep


def _read_rows(text: str, header_at: int, names: list[str], sep: str) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            # pandas only warns when a row has more fields than the header: that is corrupt input
            warnings.simplefilter("error", pd.errors.ParserWarning)
            raw = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                header=None,
                names=names,
                skiprows=header_at + 1,
                comment="#",
                # Python objects, not Arrow strings: hashing them for duplicates is 4x faster
                dtype={"Obs": object, "F": object},
                skip_blank_lines=True,
                index_col=False,
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError) as err:
        raise TableParseError(f"ATLAS rows do not match the header: {err}") from None
    if raw.empty:
        return raw
    for name in NUMERIC:
        if not pd.api.types.is_numeric_dtype(raw[name]):
            bad = pd.to_numeric(raw[name], errors="coerce").isna() & raw[name].notna()
            raise TableParseError(f"ATLAS column {name} is not numeric (e.g. {raw[name][bad].iloc[0]!r})")
    if raw["Obs"].isna().any():
        raise TableParseError("ATLAS rows with fewer fields than the header (no Obs value)")
    return raw


def _drop_duplicate_exposures(raw: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Keep one row per exposure (the server can list one twice); return how many went."""
    duplicated = raw.duplicated(subset=["Obs"], keep="first").to_numpy()
    count = int(duplicated.sum())
    return (raw.loc[~duplicated] if count else raw), count


def _column(raw: pd.DataFrame, name: str) -> np.ndarray | None:
    return raw[name].to_numpy(dtype=float, na_value=np.nan) if name in raw else None


def _quality_masks(raw: pd.DataFrame) -> dict[str, np.ndarray]:
    """The ATLAS FAQ's recommended cuts, each a mask of the rows that fail it."""
    col = lambda name: _column(raw, name)  # noqa: E731 - a local shorthand
    masks: dict[str, np.ndarray] = {}
    duJy = col("duJy")
    masks["bad_flux_err"] = ~((duJy > 0) & (duJy < 10000))
    if (err := col("err")) is not None:
        masks["tphot_err"] = err != 0
    if (x := col("x")) is not None and (y := col("y")) is not None:
        masks["edge"] = ~((x > 100) & (x < 10460) & (y > 100) & (y < 10460))
    if (major := col("maj")) is not None and (minor := col("min")) is not None:
        masks["psf_shape"] = ~((major > 1.6) & (major < 5) & (minor > 1.6) & (minor < 5))
    if (apfit := col("apfit")) is not None:
        masks["apfit"] = ~((apfit > -1) & (apfit < -0.1))
    if (mag5sig := col("mag5sig")) is not None:
        masks["no_photometric_solution"] = ~(mag5sig >= 10)
        masks["shallow"] = (mag5sig >= 10) & (mag5sig <= 17)
    if (sky := col("Sky")) is not None:
        masks["bright_sky"] = ~(sky > 17)
    return masks


def _filters(raw: pd.DataFrame) -> pd.Categorical:
    """``ATLAS.<band>``: the F column, or the last letter of Obs when F is absent."""
    band = raw["F"] if "F" in raw else raw["Obs"].str[-1]
    bands = pd.Categorical(band.to_numpy(dtype=object))
    return bands.rename_categories([f"ATLAS.{b.strip()}" for b in bands.categories])


def _to_schema(raw: pd.DataFrame, target: str, snr_threshold: float, service: str) -> pd.DataFrame:
    if len(raw) == 0:
        return conform(empty_table())
    flux, err = _column(raw, "uJy"), _column(raw, "duJy")
    flags, good = flags_from_masks(_quality_masks(raw), len(raw))
    return conform(
        assemble(
            raw,
            MAPPED,
            target=target,
            service=service,
            filters=_filters(raw),
            mjd=_column(raw, "MJD"),
            time_ref="start",
            flux=flux,
            flux_err=err,
            photometry=flux_to_photometry(flux, err, snr_threshold),
            flags=flags,
            good=good,
            exposure_id=raw["Obs"].to_numpy(dtype=object),
        )
    )
