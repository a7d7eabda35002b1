"""Raw product -> photometry table: read the kept raw file and run the registered parser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from fphot_provider.parsers import registry
from fphot_provider.photometry import KEY, conform, empty_table


def process_product(product: dict[str, Any], **options: Any) -> pd.DataFrame:
    """Parse the raw file a fetch operator stored; an empty answer gives an empty table.

    :param product: a raw product (see :mod:`fphot_provider.operators.base`); several raw
        files (one query answered in pieces) are joined with each exposure kept once.
    :param options: parser options (e.g. ``snr_threshold``); the product's own
        ``parser_options`` (set by the fetch operator, e.g. ``reduced``) take precedence.
    """
    target = product["target"]["name"]
    merged = {**options, **(product.get("parser_options") or {})}
    tables = [
        registry.parse(product["data_product_type"], Path(path).read_text(encoding="utf-8"), target=target, **merged)
        for path in product.get("raw_paths") or []
    ]
    if not tables:
        return conform(empty_table())
    return _join(tables)


def _join(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Join the pieces of one query (e.g. ZTF continuations): each exposure once."""
    dropped = sum(t.attrs.get("duplicates_dropped", 0) for t in tables)
    if len(tables) == 1:
        return tables[0]
    joined = pd.concat(tables, ignore_index=True)
    duplicated = joined.duplicated(subset=KEY, keep="first").to_numpy()
    table = conform(joined[~duplicated])
    table.attrs["duplicates_dropped"] = dropped + int(duplicated.sum())
    return table
