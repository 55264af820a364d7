"""The completion engine: dcmds, walkers, options, adb names, symbols."""

import pytest

from kdb.ui.completion import SymbolIndex, complete
from kdb.target.kernel import open_dump
from kdb.engine.session import Session


@pytest.fixture(scope="module")
def session():
    return Session(open_dump("jurassic"), write=lambda s: None, write_err=lambda s: None)


def texts(cands):
    return [c.text for c in cands]


def test_dcmd_names_after_colons(session):
    got = complete(session, "::pg")
    assert texts(got) == ["pgrep"]
    assert got[0].meta == "pattern match against all processes" and got[0].start == -2
    assert "findstack" in texts(complete(session, "0t100015::pid2proc | ::walk thread | ::fi"))


def test_walker_names(session):
    assert texts(complete(session, "::walk th")) == ["thread", "thread_deathrow"]
    assert "ddi_prop" in texts(complete(session, "e4::walk "))


def test_options_of_a_dcmd(session):
    got = complete(session, "::stacks -")
    assert "-c" in texts(got) and "-m" in texts(got)
    assert [c.meta for c in got if c.text == "-c"] == ["only stacks with a frame in func"]


def test_adb_names_and_help(session):
    assert "$c" in texts(complete(session, "ffffff0934cbce20$"))
    assert texts(complete(session, "::help stac")) == ["stack", "stacks"]


def test_symbols(session):
    idx = SymbolIndex(session.target.symbol_names())
    assert texts(complete(session, "sema_", idx)) == ["sema_p", "sema_sobj_ops", "sema_v"]
    assert texts(complete(session, "hwc_parse+0x88::whatis; sema_p", idx)) == ["sema_p"]
    assert texts(complete(session, "::stacks -c hwc_pa", idx)) == ["hwc_parse", "hwc_parse_now"]


def test_prompt_toolkit_adapter(session):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from kdb.ui.completion import MdbCompleter
    c = MdbCompleter(session)
    got = list(c.get_completions(Document("::major2"), CompleteEvent(completion_requested=True)))
    assert [x.text for x in got] == ["major2name"] and got[0].start_position == -6


def test_type_and_member_names(session):
    assert "proc_t" in texts(complete(session, "::print pro"))
    assert texts(complete(session, "0t1::pid2proc | ::print proc_t p_us")) == ["p_user"]
    assert "p_user.u_psargs" in texts(complete(session, "::print proc_t p_user.u_p"))
    assert texts(complete(session, "::offsetof kthread_t t_proc")) == ["t_proc_flag", "t_procp"]
