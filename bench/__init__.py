"""Benchmarks for issue 7: is Bedboard fast enough for a whole country on one modest machine."""
