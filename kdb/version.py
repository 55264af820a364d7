"""kdb's version: one place, read by the CLI, reports, the dump cache and ::help."""

__version__ = "0.1.0"
