"""kdb triage: causes named on the scenarios, signatures that bucket a corpus, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kdb.tools.corpus import make_corpus


def triage(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "kdb", "triage", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def test_jurassic_names_the_semaphore_and_the_ii_property_list():
    r = triage("jurassic")
    assert r.returncode == 0, r.stderr
    assert "0xffffff0935930648 sema hwc_parse_mutex: 2 waiters" in r.stdout
    assert "driver ii (major 0xe4) has 262149 global properties" in r.stdout
    assert "signature: 635dc59e68c7  hang: sema in hwc_parse < impl_make_parlist" in r.stdout


def test_deadlock_names_the_cycle_and_its_two_threads():
    r = triage("--format", "json", "deadlock")
    d = json.loads(r.stdout)["dumps"][0]
    (cycle,) = d["deadlocks"]
    assert sorted(x["thread"] for x in cycle) == ["0xffffff01e4a28640", "0xffffff01e4a28d00"]
    assert {x["object"] for x in cycle} == {"acct_dir_lock", "acct_entry_lock"}
    assert d["signature"]["text"] == "deadlock: acct_lock_dir < acct_link / acct_lock_entry < acct_rename"


def test_panic_names_the_faulting_frame():
    d = json.loads(triage("--format", "json", "panic").stdout)["dumps"][0]
    assert d["panic"]["fault_frame"] == "mydrv_ioctl" and d["panic"]["fault_module"] == "mydrv"
    assert d["panic"]["process"] == "mydrvstat"


def test_a_forced_dump_of_a_leaking_kernel_is_signed_by_the_leak():
    """The kernel holds most of memory and the biggest cache's buffers are
    leaked: the finding names the cache and the caller, the signature the
    leak (the forced panic is only how the dump was taken)."""
    d = json.loads(triage("--format", "json", "leak").stdout)["dumps"][0]
    mem = d["memory"]
    assert mem["kernel_percent"] == 88 and mem["top_caches"][0]["cache"] == "kmem_alloc_512"
    assert mem["leaks"][0] == {"cache": "kmem_alloc_512", "count": 2000000, "bytes": 1024000000,
                               "caller": "acmefw_get_status",
                               "stack": ["acmefw_get_status", "acmefw_ioctl", "cdev_ioctl", "spec_ioctl"]}
    assert d["signature"]["text"] == "memory leak: kmem_alloc_512 from acmefw_get_status < acmefw_ioctl < cdev_ioctl"


def test_a_heap_corruption_panic_is_signed_by_who_freed_the_buffer():
    r = triage("uaf")
    assert "heap corruption: kmem_alloc_64 buffer 0xffffff210e027b58 freed by acmenet_req_free < " \
           "acmenet_rx_done < acmenet_intr" in r.stdout
    assert r.stdout.rstrip().endswith(
        "heap corruption: kmem_alloc_64 freed from acmenet_req_free < acmenet_rx_done < acmenet_intr")


def test_exit_codes(tmp_path):
    assert triage("deadlock").returncode == 0
    assert triage("--fail-on", "deadlock", "deadlock").returncode == 3
    assert triage("--fail-on", "panic", "deadlock").returncode == 0
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    r = triage(str(bad), "panic")
    assert r.returncode == 1 and "failed to load" in r.stdout and "signature:" in r.stdout
    assert triage("--jobs").returncode == 2 and triage().returncode == 2


# -- a corpus from bug templates ------------------------------------------------------
def test_a_corpus_of_three_templates_triages_into_three_buckets(tmp_path):
    expected = make_corpus(tmp_path, count=200)
    one = json.loads(triage("--format", "json", str(tmp_path)).stdout)
    two = json.loads(triage("--format", "json", "--jobs", "2", str(tmp_path)).stdout)
    assert one["buckets"] == two["buckets"]
    buckets = {b["signature"].split(":")[0]: b["count"] for b in one["buckets"]}
    assert len(one["buckets"]) == 3, [b["signature"] for b in one["buckets"]]
    assert buckets == {"panic": expected["panic"], "deadlock": expected["deadlock"],
                       "hang": expected["semahang"]}
    first = next(b for b in one["buckets"] if b["signature"].startswith("panic"))
    assert first["first_seen"] <= first["last_seen"] and len(first["examples"]) == 3


# -- a Dask cluster runs the same analysis ------------------------------------------------
def test_the_dask_executor_gives_the_same_report_as_local_processes(tmp_path):
    distributed = pytest.importorskip("distributed")   # `make test` installs the cluster extra
    make_corpus(tmp_path, count=6)
    local = json.loads(triage("--format", "json", str(tmp_path)).stdout)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        host_port = cluster.scheduler_address.removeprefix("tcp://")
        r = triage("--format", "json", "--executor", f"dask://{host_port}", str(tmp_path))
    assert r.returncode == 0, r.stderr
    remote = json.loads(r.stdout)
    assert remote == local
    assert len(remote["buckets"]) == 3


def test_an_unreachable_dask_scheduler_is_an_error_not_a_traceback(tmp_path):
    pytest.importorskip("distributed")
    r = triage("--executor", "dask://127.0.0.1:9", "jurassic")
    assert r.returncode == 1
    assert r.stderr.startswith("kdb: cannot reach the Dask scheduler at dask://127.0.0.1:9")
    assert "Traceback" not in r.stderr


def test_a_malformed_executor_is_a_usage_error():
    r = triage("--executor", "spark://x", "jurassic")
    assert r.returncode == 2 and r.stderr.startswith("kdb triage: --executor 'spark://x'")
    assert "usage: kdb triage" in r.stderr


@pytest.mark.parametrize("args,named", [
    (["--jobs", "0", "jurassic"], "--jobs '0'"), (["--jobs", "two", "jurassic"], "--jobs 'two'"),
    (["--fail-on", "bogus", "jurassic"], "--fail-on 'bogus'"),
    (["--format", "jsonl", "jurassic"], "--format 'jsonl'"), (["--jobs"], "--jobs needs a value"),
    (["--frobnicate", "jurassic"], "unknown option '--frobnicate'"), ([], "give at least one dump")])
def test_bad_arguments_are_named(args, named):
    r = triage(*args)
    assert r.returncode == 2 and r.stderr.startswith(f"kdb triage: {named}"), r.stderr


def test_an_empty_directory_has_no_dumps(tmp_path):
    r = triage(str(tmp_path))
    assert r.returncode == 1 and r.stderr == f"kdb triage: no dumps found in {tmp_path}\n"


@pytest.mark.parametrize("url", ["dask://:::", "dask://h", "dask://x y:1", "dask://h:port"])
def test_malformed_executor_addresses_are_usage_errors(url):
    r = triage("--executor", url, "jurassic")
    assert r.returncode == 2 and r.stderr.startswith(f"kdb triage: --executor '{url}'"), r.stderr
    assert "Traceback" not in r.stderr and "Exception" not in r.stderr


def test_a_closed_pipe_ends_a_listing_quietly():
    r = subprocess.run(f"{sys.executable} -m kdb exercise --list | head -1", shell=True,
                       capture_output=True, text=True, timeout=60)
    assert r.stderr == "" and r.stdout.count("\n") == 1
