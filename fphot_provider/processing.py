"""Raw product -> photometry table: read the kept raw file and run the registered parser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from fphot_provider.parsers import registry
from fphot_provider.photometry import conform, empty_table


def process_product(product: dict[str, Any], **options: Any) -> pd.DataFrame:
    """Parse the raw file a fetch operator stored; an empty answer gives an empty table.

    :param product: a raw product (see :mod:`fphot_provider.operators.base`).
    :param options: parser options (e.g. ``snr_threshold``); the product's own
        ``parser_options`` (set by the fetch operator, e.g. ``reduced``) take precedence.
    """
    target = product["target"]["name"]
    path = product.get("raw_path")
    if not path:
        return conform(empty_table())
    text = Path(path).read_text(encoding="utf-8")
    merged = {**options, **(product.get("parser_options") or {})}
    return registry.parse(product["data_product_type"], text, target=target, **merged)
