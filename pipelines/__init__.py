"""Dagster definitions: assets, checks, resources, IO managers, jobs and the CLI."""
