"""Harnesses and recorders the tests, the benchmarks and `make` share: real processes on
loopback, an OTLP receiver, and the recorders that captured tests/fixtures/aiops."""
