"""Light curves in the Airflow UI: a FastAPI app the API server mounts at ``/fphot`` (a plugin)."""
