"""kdb: a post-mortem kernel debugger speaking the illumos mdb language."""

__version__ = "0.1.0"
