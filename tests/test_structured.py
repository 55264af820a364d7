"""--format json|jsonl: every kernel dcmd's records conform to the documented schema."""

import json
from pathlib import Path

import pytest

from goldenlib import run_inprocess
from kdb.output.structured import check_record, render_doc

COMMANDS = ["::ps", "::pgrep devfsadm", "0t100015::pid2proc", "::thread", "::threadlist",
            "::walk thread | ::findstack -v", "::stacks", "::status", "::msgbuf", "::cpuinfo",
            "::modinfo", "ffffff0934cbce20::whatis", "::zone", "e4::major2name", "::name2major ii",
            "::prtconf", "::devbindings sd", "::wchaninfo -v", "ffffff0936b31928::mutex",
            "ffffff0935a11040::rwlock", "ffffff0934cbce20$c", "ffffff0934cbce20$C"]


@pytest.mark.parametrize("cmd", COMMANDS)
def test_json_records_follow_the_schema(cmd):
    out, err, code = run_inprocess(["--format", "json", "-e", cmd, "jurassic"], None)
    assert code == 0 and err == "", err
    doc = json.loads(out)
    assert doc["kdb_json"] == 1 and doc["command"] == cmd and doc["status"] == 0
    assert doc["records"], "no records"
    for r in doc["records"]:
        assert check_record(r) == [], r


def test_panic_dump_records():
    out, err, code = run_inprocess(["--format", "json", "-e", "::panicinfo", "panic"], None)
    (r,) = json.loads(out)["records"]
    assert check_record(r) == [] and r["message"].startswith("BAD TRAP")


def test_jsonl_and_errors_on_stderr():
    out, err, code = run_inprocess(["--format", "jsonl", "-e", "::pgrep devfsadm; ::nosuch", "jurassic"], None)
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["pid"] for x in lines] == [100054, 100050, 100015]     # the proc walk: newest first
    assert json.loads(err) == {"error": "invalid command '::nosuch': unknown dcmd name", "kdb_json": 1}
    assert code == 1


def test_text_only_dcmds_are_carried_as_text():
    out, err, code = run_inprocess(["--format", "json", "-e", "1=X"], None)
    assert json.loads(out)["records"] == [{"dcmd": "=", "kind": "text",
                                           "text": " " * 16 + "1" + " " * 15 + "\n"}]


def test_documentation_is_current():
    path = Path(__file__).parent.parent / "docs" / "json-output.md"
    assert path.read_text(encoding="utf-8") == render_doc()


def test_text_of_dcmds_without_records_is_kept_in_order():
    import json
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-m", "kdb", "--format", "json", "-e",
                        "::echo hi; 0t2 << 0t10=K; ::status", "jurassic"],
                       capture_output=True, text=True, timeout=60)
    doc = json.loads(r.stdout)
    kinds = [(x["dcmd"], x["kind"]) for x in doc["records"]]
    assert kinds == [("echo", "text"), ("=", "text"), ("status", "status")]
    assert doc["records"][0]["text"] == "hi \n" and "800" in doc["records"][1]["text"]
    assert "text" not in doc                      # nothing was left over
    for rec in doc["records"]:
        assert check_record(rec) == [], rec


def test_no_number_field_shares_a_name_with_an_address_field():
    """Address fields are hexified by name in every record (the registry's
    union), so a number field may not reuse an address field's name: it
    would print as "0x..." (a taskq's thread count once did)."""
    from kdb.modapi.records import INT, NUM
    from kdb.output.structured import kernel_record_kinds
    kinds = kernel_record_kinds()
    addresses = frozenset().union(*(k.addresses for k in kinds.values()))
    clashes = [f"{kind}.{field}" for kind, rk in kinds.items()
               for field, want in rk.fields.items()
               if field in addresses and field not in rk.addresses
               and any(w in (INT, NUM) for w in (want if isinstance(want, list) else [want]))]
    assert not clashes, clashes
