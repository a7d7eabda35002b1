.PHONY: setup demo tom-demo test bench
setup:
	scripts/setup.sh
demo:
	scripts/demo.sh
tom-demo:
	scripts/tom_demo.sh
test:
	scripts/test.sh
bench:
	scripts/setup.sh
	.venv/bin/python benchmarks/parse_atlas.py
	.venv/bin/python benchmarks/parse_ztf.py
	.venv/bin/python benchmarks/sql_upsert.py
	.venv/bin/python benchmarks/deferred_jobs.py
	.venv/bin/python benchmarks/tom_sink.py
