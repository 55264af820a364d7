"""Bundled scenario dumps (data files); see dumps/README.md."""
