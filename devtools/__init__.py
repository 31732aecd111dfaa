"""Servers and page generators for tests, the demo and benchmarks; not part of the installed package."""
