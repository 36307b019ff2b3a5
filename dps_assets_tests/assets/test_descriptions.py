"""What the UI says of every asset, check, job, sensor and schedule is written for an analyst:
no module paths, no file-name patterns, no spec sections, no configuration-file syntax."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dps_assets.config.schema import load_config
from dps_assets.definitions import build_definitions

REPO = Path(__file__).resolve().parents[2]
# What only a developer reads: a module or package path, a placeholder file name, a spec section,
# a Python or YAML file, an arrow for a mapping, an archive sub-folder, a SQL package.
DEVELOPERS_WORDS = re.compile(
    r"assets/|core/|\bdps_assets\b|\breport_kinds\b|FYY|_Qn\b|FYyyyy|spec §|\.py\b|dps_config\.yml|->|"
    r"archive/|caps\.|\bfrom_folder\b|\bTO_DFPS\b")


def described() -> dict[str, str]:
    config = load_config(REPO / "dps_config.demo.yml")
    defs = build_definitions(config)
    graph = defs.resolve_asset_graph()
    texts = {f"asset {key.to_user_string()}": graph.get(key).description or "" for key in graph.get_all_asset_keys()}
    texts.update({f"check {spec.key.name}": spec.description or ""
                  for d in defs.asset_checks for spec in d.check_specs})
    texts.update({f"job {job.name}": job.description or "" for job in defs.resolve_all_job_defs()
                  if not job.name.startswith("__")})
    texts.update({f"sensor {s.name}": s.description or "" for s in defs.sensors})
    texts.update({f"schedule {s.name}": s.description or "" for s in defs.schedules})
    # The folder where analysts find the reports when SharePoint is off is the configured one, named
    # for them to open: not a developer's word.
    archive = str(Path(config.directories.archive_root, "reports"))
    return {name: text.replace(archive, "<the configured reports folder>") for name, text in texts.items()}


def test_every_description_is_written_for_an_analyst():
    texts = described()
    assert len([k for k in texts if k.startswith("asset ")]) >= 12 and any(k.startswith("check ") for k in texts)
    assert {k: t for k, t in texts.items() if len(t) < 30} == {}
    assert {k: m.group(0) for k, t in texts.items() if (m := DEVELOPERS_WORDS.search(t))} == {}


@pytest.mark.parametrize("report", ["dps_not_in_impact_report", "dps_total_runaway_events_report",
                                    "impact_not_in_dps_report"])
def test_a_report_says_what_it_lists_and_names_its_workbook_for_a_real_quarter(report):
    what, where = described()[f"asset {report}"].split("\n\n")
    assert re.search(r"for FY2026-Q3, \w+_FY2026_Q3\.xlsx\.$", what), what
    assert where.startswith("SharePoint publishing is off") and "<the configured reports folder>" in where, where
