"""Benchmarks of the demo generator and the query layer (not tests; results in bench/results)."""
