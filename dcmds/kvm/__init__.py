"""The kernel target's own dcmds (mdb's kvm target built-ins, module ``kdb``)."""
