"""Benchmarks: run with `make bench` (all) or `python -m bench NAME`. Not part of `make test`."""
