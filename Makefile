.PHONY: setup demo demo-ui tom-demo test test-fast test-live lint bench
setup:
	scripts/setup.sh
demo:
	scripts/demo.sh
demo-ui:  # the Light curves pages on make demo's data (Airflow's API server on 127.0.0.1:8080)
	scripts/demo_ui.sh
tom-demo:
	scripts/tom_demo.sh
test:
	scripts/test.sh
test-fast:  # the inner loop: no Airflow runs, no TOM, no servers, no slow statistics (under 2 minutes)
	scripts/test.sh -m "not airflow and not integration and not tom and not servers and not slow and not live"
lint:
	scripts/setup.sh
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
test-live:  # the real services; see README "Checking against the real services"
	scripts/test.sh -m live tests/live -rs
bench:
	scripts/setup.sh
	.venv/bin/python benchmarks/parse_atlas.py
	.venv/bin/python benchmarks/parse_ztf.py
	.venv/bin/python benchmarks/sql_upsert.py
	.venv/bin/python benchmarks/deferred_jobs.py
	.venv/bin/python benchmarks/tom_sink.py
	.venv/bin/python benchmarks/ui_render.py
