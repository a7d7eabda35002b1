# ruff: noqa: F821 - appended to a TOM's settings.py, where these names are defined
# --- appended by fphot_provider's tests (the same lines the README asks TOM users to add) ---
# The raw service files the tom sink uploads, and fphot's batch files. None of them is mapped in
# DATA_PROCESSORS: the sink writes the points itself (a mapped raw type would draw them twice).
DATA_PRODUCT_TYPES.update(
    {
        "atlas_photometry": ("atlas_photometry", "ATLAS forced photometry"),
        "panstarrs_photometry": ("panstarrs_photometry", "PanSTARRS DR2 photometry"),
        "ztf_photometry": ("ztf_photometry", "ZTF forced photometry"),
        "fink_lsst_photometry": ("fink_lsst_photometry", "Fink Rubin/LSST forced photometry"),
        "alerce_lsst_photometry": ("alerce_lsst_photometry", "ALeRCE Rubin/LSST forced photometry"),
        "alerce_ztf_photometry": ("alerce_ztf_photometry", "ALeRCE ZTF alert forced photometry"),
        "fphot_photometry": ("fphot_photometry", "fphot photometry table"),
    }
)
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# SQLite under parallel writers: wait for the lock instead of failing at once.
DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
