"""docs/dcmds.md is generated from the registrations and must be current."""

from pathlib import Path

from kdb.apps.docgen import render


def test_dcmd_reference_is_current():
    path = Path(__file__).parent.parent / "docs" / "dcmds.md"
    assert path.read_text(encoding="utf-8") == render(), \
        "docs/dcmds.md is stale: run `make docs` (python -m kdb.apps.docgen > docs/dcmds.md)"


def test_every_dcmd_has_usage_and_description():
    from kdb.modapi.registry import Registry
    reg = Registry.loaded("kernel")
    for d in reg.all_dcmds():
        assert d.descr, d.name
    for w in reg.all_walkers():
        assert w.descr, w.name
