"""Issue 17 §4: the workbook steps on a disk that fills up. The archive and the work folders are on
a real 200 KiB tmpfs and the real assets are run by Dagster on synthetic inputs (stand-in
upstream assets of the same names): a workbook that does not fit leaves nothing half-written in
the archive or the work folder, and what Dagster records and the run's log file say is our own
sentence, "disk full" and the folder, never the text of the library that hit the full disk."""

import re
from pathlib import Path

from dagster import DagsterEventType, asset, materialize

from dps_assets.assets import reports, sending
from dps_assets.assets.partitions import fiscal_quarter_partitions
from dps_assets.config.schema import load_config
from dps_assets.resources import build_resources
from dps_assets.resources.local_files import FROM_DPS, TO_DPS, LocalFilesResource
from dps_assets_tests.conftest import REPO
from dps_assets_tests.support.synthetic_reports import QUARTER, export_frames, report_inputs

STAMP = r"\d{8}T\d{6}Z_[0-9a-f]{8}"
# What the libraries writing a workbook say, which must reach no log: their names, their
# exception classes, Python's own rendering of an OSError and of an error in a finaliser.
LIBRARY_TEXT = ("xlsxwriter", "zipfile", "FileCreateError", "Errno", "Exception ignored", "closed file",
                "not recorded")


def stand_in(name: str, value: object):
    """An upstream asset of the pipeline's name that hands on `value`."""
    @asset(name=name, partitions_def=fiscal_quarter_partitions)
    def upstream() -> object:
        return value

    return upstream


def run_on_small_disk(assets: list, small_disk: Path, tmp_path: Path, instance):
    """The assets run for QUARTER with the archive and work folders on the small disk (the run's
    log folder elsewhere, so it can say why a step failed)."""
    local_files = LocalFilesResource(archive_root=str(small_disk / "archive"), log_root=str(tmp_path / "logs"),
                                     work_root=str(small_disk / "work"))
    demo = build_resources(load_config(REPO / "dps_config.demo.yml"))
    return materialize(assets, instance=instance, partition_key=QUARTER.partition_key, raise_on_error=False,
                       resources={"local_files": local_files, "exchange_rules": demo["exchange_rules"],
                                  "sharepoint": demo["sharepoint"]})  # off, as in the demo


def failures(result) -> dict[str, str]:
    """Each failed step's error as Dagster recorded it (its cause: Dagster wraps the step's own),
    `Class: message`."""
    found = {}
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            ours = event.step_failure_data.error.cause
            assert ours.cause is None and ours.context is None
            found[event.step_key] = re.sub(r"^[\w.]+\.(\w+): ", r"\1: ", ours.message.strip())
            assert found[event.step_key].startswith(f"{ours.cls_name}: ")
    return found


def files_under(*roots: Path) -> list[Path]:
    return sorted(p for root in roots if root.exists() for p in root.rglob("*") if p.is_file())


def what_was_printed(instance, capfd) -> str:
    """The compute logs Dagster kept and what the run printed."""
    printed = capfd.readouterr()
    compute_logs = [p.read_text(errors="replace") for p in files_under(Path(instance.root_directory))
                    if p.suffix in (".err", ".out")]
    return "\n".join([printed.out, printed.err, *compute_logs])


def test_reports_that_do_not_fit_leave_nothing_and_say_disk_full_naming_the_folder(small_disk, tmp_path,
                                                                                   instance, capfd):
    made = report_inputs(events=6000, entries=6000)
    result = run_on_small_disk([stand_in("sa_98", made.sa_98), stand_in("county_region_lookup", made.lookup),
                                stand_in("runaway_event_matches", made.matches), *reports.REPORT_ASSETS.values()],
                               small_disk, tmp_path, instance)

    # The two long reports do not fit; the totals (a few regions) do, and are archived whole.
    reports_folder = small_disk / "archive" / "reports" / QUARTER.tag
    failed = failures(result)
    assert sorted(failed) == ["dps_not_in_impact_report", "impact_not_in_dps_report"]
    for step, stem in (("impact_not_in_dps_report", "IMPACT_not_in_DPS"),
                       ("dps_not_in_impact_report", "DPS_not_in_IMPACT")):
        expected = (rf"ArchiveError: cannot archive {stem}_{QUARTER.tag}\.xlsx into "
                    rf"{re.escape(str(reports_folder))}/{STAMP}: disk full \(ENOSPC\)")
        assert re.fullmatch(expected, failed[step]), failed[step]
    [totals] = files_under(small_disk)
    assert totals.name == f"DPS_total_runaway_events_{QUARTER.tag}.xlsx"
    assert re.fullmatch(STAMP, totals.parent.name) and totals.parent.parent == reports_folder
    assert [p.name for p in reports_folder.iterdir()] == [totals.parent.name]  # no hidden folder left

    # The run's log file says the same, and nothing the run wrote or printed quotes a library.
    [log] = (tmp_path / "logs" / FROM_DPS).iterdir()
    logged = log.read_text()
    for step, message in failed.items():
        assert f"ERROR   {step}: failed: {message}\n" in logged
    texts = [logged, *failed.values(), what_was_printed(instance, capfd)]
    assert [word for word in LIBRARY_TEXT if any(word in text for text in texts)] == []


def test_an_export_workbook_that_does_not_fit_leaves_only_the_whole_text_file(small_disk, tmp_path, instance,
                                                                              capfd):
    sent, rejected = export_frames(3000)
    result = run_on_small_disk([stand_in("dps_export", sent), stand_in("dps_export_rejected", rejected),
                                sending.dps_export_files], small_disk, tmp_path, instance)

    work_folder = small_disk / "work" / TO_DPS / QUARTER.tag
    [run_folder] = work_folder.iterdir()
    assert failures(result) == {"dps_export_files": f"PrivateFileError: cannot write end_export.xlsx into "
                                                    f"{run_folder}: disk full (ENOSPC)"}
    # The text file was written whole before the workbook was begun; nothing else is left.
    assert files_under(small_disk) == [run_folder / "End_txt_file.txt"]
    assert (run_folder / "End_txt_file.txt").read_bytes().count(b"\r\n") == len(sent) + 1

    [log] = (tmp_path / "logs" / TO_DPS).iterdir()
    texts = [log.read_text(), what_was_printed(instance, capfd)]
    assert [word for word in LIBRARY_TEXT if any(word in text for text in texts)] == []
