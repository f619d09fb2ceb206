"""Benchmarks: `make bench` (python -m bench) prints start-up, search and memory figures."""
