"""Readers and adapters for registries, statistics, boundaries and gazetteers."""
