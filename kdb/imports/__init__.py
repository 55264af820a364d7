"""Importing captures: the text of mdb sessions turned into dumps (kdb import)."""
