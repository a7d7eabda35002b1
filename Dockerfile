# The Airflow image with fphot_provider installed (used by docker-compose.yaml).
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:root pyproject.toml README.md constraints.txt /opt/fphot/
COPY --chown=airflow:root fphot_provider /opt/fphot/fphot_provider
RUN pip install --no-cache-dir -c /opt/fphot/constraints.txt /opt/fphot
