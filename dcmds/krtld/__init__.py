"""The kernel runtime linker's dcmds (mdb's ``krtld`` dmod)."""
