"""The hung boot of the project's story, told as a script (docs/api.md)."""
import kdb

with kdb.open("jurassic") as d:
    stuck = [p for p in d.procs if p.comm == "devfsadm"]
    oldest = min(stuck, key=lambda p: p.pid)
    (waiter,) = oldest.threads
    print(f"{len(stuck)} devfsadm; {oldest.pid} sleeps on {waiter.sobj_type} {waiter.wchan:x}")
    running = next(t for t in d.threads if t.state == "onproc" and t.proc.comm == "devfsadm")
    print(f"{running.proc.pid} runs on CPU {running.cpu.id if running.cpu else '?'}")
    major = next(f.args[0] for f in running.stack if f.function == "impl_make_parlist")
    print(d.run(f"{major:x}::major2name").text, end="")
    print(len(d.run(f"{major:x}::walk ddi_prop").text.splitlines()), "properties")
