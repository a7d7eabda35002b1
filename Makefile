.PHONY: setup demo tom-demo test test-live bench
setup:
	scripts/setup.sh
demo:
	scripts/demo.sh
tom-demo:
	scripts/tom_demo.sh
test:
	scripts/test.sh
test-live:  # the real services; see README "Checking against the real services"
	scripts/test.sh -m live tests/live -rs
bench:
	scripts/setup.sh
	.venv/bin/python benchmarks/parse_atlas.py
	.venv/bin/python benchmarks/parse_ztf.py
	.venv/bin/python benchmarks/sql_upsert.py
	.venv/bin/python benchmarks/deferred_jobs.py
	.venv/bin/python benchmarks/tom_sink.py
