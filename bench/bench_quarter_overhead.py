"""A full quarter through Dagster against the same functions called directly (the anchor), on the
embedded stack: the sending half (export query, wrangling, text file and workbook, SFTP upload,
archive) and the receiving half (DPS's two files fetched over SFTP, parsed and validated, sa_98
and the county lookup, the checks, the matching, three workbooks, the email, archiving and the
move on the server). Dagster runs are in-process `materialize` on a real SQLite DagsterInstance
(the shipped dagster.yaml) in a fresh DAGSTER_HOME; the anchor calls the resources and the pure
functions the steps call, on the same inputs, in the same process.

    .venv/bin/python bench/bench_quarter_overhead.py [--scale 1] [--repeat 3] [--profile out.prof]

--scale 1 is the demo's volume (≈60,000 children a fiscal year), 10 ten times that. Prints the
median of --repeat runs of each, their spread, the ratio and the peak RSS. --profile writes a
cProfile of one extra Dagster receiving run."""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dagster import AssetSelection, DagsterInstance, DynamicPartitionsDefinition, materialize

from common import BenchStack, bench_stack, machine, median, peak_rss_mib, spread
from dps_assets.assets import receiving, receiving_checks, report_delivery, reports, sending
from dps_assets.assets.report_kinds import REPORTS
from dps_assets.config.schema import DirectoriesConfig, load_config
from dps_assets.core.dps_files.reading import parse_counts, parse_results, reconcile
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.export.counties import with_report_counties
from dps_assets.core.export.text_file import render_text_file, submitted_person_ids
from dps_assets.core.export.workbook import build_export_workbook
from dps_assets.core.export.wrangling import wrangle_export
from dps_assets.core.impact.regions import build_region_lookup, unmapped_counties
from dps_assets.core.impact.sa_98_rows import split_sa_98_rows
from dps_assets.core.privacy.private_files import write_private
from dps_assets.core.reconciliation.emails import report_email
from dps_assets.core.reconciliation.matching import match_entries
from dps_assets.core.reconciliation.reports import ReportWorkbook, matching_summary
from dps_assets.core.schemas import (
    COUNTY_REGION_SCHEMA,
    DPS_RESULTS_SCHEMA,
    EXPORT_REJECTED_SCHEMA,
    EXPORT_SCHEMA,
    SA_98_DATE_COLUMNS,
    SA_98_SCHEMA,
    calendar_days,
    validate,
)
from dps_assets.core.workbooks.writer import About, Sheet, created_item, write_workbook
from dps_assets.embedded.dagster_dev import prepare_dagster_home
from dps_assets.embedded.simulated_dps import build_answer, load_tcic, submitted_ids
from dps_assets.embedded.warehouse import TCIC_FILE
from dps_assets.resources import build_resources
from dps_assets.resources.local_files import FROM_DPS, TO_DPS, run_stamp

QUARTER = FiscalQuarter(2026, 4)
SENDING = [sending.dps_export, sending.dps_export_files, sending.dps_submission]
RECEIVING = [receiving.dps_results, receiving.dps_counts, receiving.sa_98, receiving.county_region_lookup,
             reports.runaway_event_matches, *reports.REPORT_ASSETS.values(), report_delivery.dps_report_delivery]
CHECKS = [receiving_checks.dps_counts_reconcile, receiving_checks.counties_have_regions,
          receiving_checks.dps_person_ids_were_submitted, receiving_checks.dps_entries_in_window]
PERSONAL_FRAMES = ("dps_export", "dps_export_rejected", "dps_results", "sa_98", "runaway_event_matches")


class Round:
    """One quarter's folders (archive, logs, work, DAGSTER_HOME) and resources, and the SFTP
    server's folders emptied."""

    def __init__(self, stack: BenchStack, name: str):
        self.stack, self.folder = stack, stack.base / "rounds" / name
        for sub in ("from_folder", "TO_DFPS", "processed"):
            shutil.rmtree(stack.sftp_root / sub, ignore_errors=True)
            (stack.sftp_root / sub).mkdir(mode=0o700)
        config = load_config(stack.config_path)
        self.config = config.model_copy(update={"directories": DirectoriesConfig(
            archive_root=str(self.folder / "archive"), log_root=str(self.folder / "logs"),
            work_root=str(self.folder / "work"))})
        self.resources = build_resources(self.config)

    def instance(self) -> DagsterInstance:
        home = prepare_dagster_home(self.folder / "dagster_home")
        instance = DagsterInstance.from_config(str(home))
        partitions = sending.dps_export.partitions_def
        if isinstance(partitions, DynamicPartitionsDefinition):  # keyed by label, added as quarters close
            instance.add_dynamic_partitions(partitions.name, [QUARTER.partition_key])
        return instance

    def answer(self, entries: pd.DataFrame) -> None:
        """DPS's part (not timed): take the request, write its two files complete."""
        request = self.stack.sftp_root / "from_folder" / "End_txt_file.txt"
        ids = submitted_ids(request.read_bytes())
        request.unlink()
        answer = build_answer(ids, entries, QUARTER)
        mtime = int(time.time()) + 1
        for name, data in (("Dfps-missing-person-results.txt", answer.results),
                           ("Dfps-missing-person-counts.txt", answer.counts)):
            path = self.stack.sftp_root / "TO_DFPS" / name
            write_private(path, data)
            os.utime(path, (mtime, mtime))


# --- through Dagster ---------------------------------------------------------------------------

def dagster_send(round_: Round, instance: DagsterInstance) -> None:
    result = materialize(SENDING, partition_key=QUARTER.partition_key, resources=round_.resources,
                         instance=instance)
    assert result.success


def dagster_receive(round_: Round, instance: DagsterInstance) -> None:
    result = materialize(SENDING + RECEIVING + CHECKS, partition_key=QUARTER.partition_key,
                         resources=round_.resources, instance=instance,
                         selection=AssetSelection.assets(*RECEIVING))
    assert result.success


# --- the same functions called directly --------------------------------------------------------

class Direct:
    """The steps' work without Dagster: the resources' methods and the pure functions, in the
    steps' order, with what a step hands the next kept in memory."""

    def __init__(self, round_: Round):
        self.round = round_
        live = {name: r.process_config_and_initialize() if hasattr(r, "process_config_and_initialize") else r
                for name, r in round_.resources.items()}
        self.warehouse, self.sftp, self.files = live["warehouse"], live["sftp"], live["local_files"]
        self.rules, self.mailer = live["exchange_rules"], live["mailer"]
        self.stamp = run_stamp("direct0" + "0" * 25, datetime.now(UTC))

    def send(self) -> None:
        q, rules = QUARTER, self.rules
        rows = self.warehouse.conservatorship(q.window_start, q.window_end)
        split = wrangle_export(rows, q.window_end, rules.code_maps, rules.text_layout.length_limits())
        split = with_report_counties(split, build_region_lookup(self.warehouse.county_regions()))
        sent = validate(EXPORT_SCHEMA, split.sent, "dps_export")
        rejected = validate(EXPORT_REJECTED_SCHEMA, split.rejected, "dps_export_rejected")
        Counter(r for cell in rejected["REASON"] for r in cell.split("; "))
        Counter(sent["SEX"]), Counter(sent["RACE"])
        folder = self.files.work_folder(TO_DPS, q.tag, self.stamp)
        text = render_text_file(sent, rules.text_layout)
        text_sha256 = hashlib.sha256(text).hexdigest()
        text_path = write_private(folder / rules.text_file_name, text)
        workbook = folder / rules.workbook_file_name
        build_export_workbook(workbook, sent, rejected, about=[
            ("Partition", q.label), ("Window start", q.window_start), ("Window end", q.window_end),
            ("Rows sent", len(sent)), ("Rows rejected", len(rejected)), ("Text file", rules.text_file_name),
            ("Text file SHA-256", text_sha256),
            created_item(datetime.now(UTC))])
        hashlib.sha256(workbook.read_bytes()).hexdigest()
        with self.sftp.session() as session:
            session.upload_atomically(text_path, self.sftp.from_folder, rules.text_file_name)
        self.files.archive_files(TO_DPS, q.tag, self.stamp, [text_path, workbook])
        self.rows_sent = len(sent)

    def receive(self) -> None:
        q, rules, files = QUARTER, self.rules, self.files
        folder = files.work_folder(FROM_DPS, q.tag, self.stamp)
        fetched = {}
        for name in (rules.results_file_name, rules.counts_file_name):
            with self.sftp.session() as session:
                remote = session.stat(f"{self.sftp.to_dfps_folder.rstrip('/')}/{name}")
                sha = session.download(remote, folder / name)
            fetched[name] = (folder / name, remote.path, sha)
        results_path, _, results_sha = fetched[rules.results_file_name]
        counts_path, _, counts_sha = fetched[rules.counts_file_name]
        results = validate(DPS_RESULTS_SCHEMA, parse_results(results_path.read_bytes(), results_path.name),
                           results_path.name)
        counts = parse_counts(counts_path.read_bytes(), counts_path.name)
        rows = split_sa_98_rows(self.warehouse.sa_98(q.fiscal_year_start, q.fiscal_year_end))
        sa_98 = calendar_days(validate(SA_98_SCHEMA, rows.usable, "sa_98"), SA_98_DATE_COLUMNS)
        receiving_checks.sa_98_rows_result(rows.set_aside)
        lookup = validate(COUNTY_REGION_SCHEMA, build_region_lookup(self.warehouse.county_regions()), "lookup")
        # The checks.
        assert reconcile(counts, results, self.rows_sent).holds
        unmapped_counties(sa_98["CNTY_NAME"], lookup), unmapped_counties(results["AGENCY_COUNTY"], lookup)
        sent_file = files.latest_archived(TO_DPS, q.tag, rules.text_file_name)
        set(results["DFPS_PERSON_ID"]) - submitted_person_ids(sent_file.read_bytes(), rules.text_layout)
        # The matching and the reports.
        match = match_entries(results, sa_98, q.window_start, q.window_end, rules.match_tolerance_days)
        summary = matching_summary(match)
        inputs = {"sa_98": sa_98, "county_region_lookup": lookup, "runaway_event_matches": match}
        written = []
        for kind in REPORTS:
            frame = kind.frame(quarter=q, **{name: inputs[name] for name in kind.inputs})
            sheet = Sheet(kind.sheet, frame, chart=kind.chart(frame, q) if kind.chart else None)
            about = About((("Partition", q.label), ("Window start", q.window_start), ("Window end", q.window_end),
                           ("results SHA-256", results_sha), ("counts SHA-256", counts_sha),
                           *((f"Rows: {n}", c) for n, c in kind.about_lines(frame).items()),
                           ("Match tolerance (days)", rules.match_tolerance_days)))
            path = files.archive_report(q.tag, self.stamp, f"{kind.file_stem}_{q.tag}.xlsx",
                                        partial(write_workbook, sheets=[sheet], about=about))
            hashlib.sha256(path.read_bytes()).hexdigest()
            written.append(ReportWorkbook(path=path, rows=len(frame)))
        # The delivery.
        self.mailer.send(report_email(q, self.mailer.sender, self.mailer.recipients, written, summary,
                                      self.mailer.report_email_settings))
        local = [results_path, counts_path]
        files.archive_files(FROM_DPS, q.tag, self.stamp, local)
        for path in local:
            path.unlink()
        with self.sftp.session() as session:
            for _, remote_path, _ in fetched.values():
                session.move(remote_path, self.sftp.processed_folder, f"{q.tag}_{self.stamp}_{Path(remote_path).name}")
        files.remove_working_copies(q.tag, q.partition_key, list(PERSONAL_FRAMES))


class Clock:
    """Wall time, and this process's CPU time: the CPU figure leaves out waiting (for the disk
    to sync SQLite's commits, for the other processes on a shared machine), so it is steadier."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def one_round(stack: BenchStack, entries: pd.DataFrame, name: str,
              through_dagster: bool) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds of each half of one quarter."""
    round_ = Round(stack, name)
    if through_dagster:
        with round_.instance() as instance:
            clock = Clock()
            dagster_send(round_, instance)
            sending = clock.read()
            round_.answer(entries)
            clock = Clock()
            dagster_receive(round_, instance)
            return {"sending": sending, "receiving": clock.read()}
    direct = Direct(round_)
    clock = Clock()
    direct.send()
    sending = clock.read()
    round_.answer(entries)
    clock = Clock()
    direct.receive()
    return {"sending": sending, "receiving": clock.read()}


def report(times: dict[bool, list[dict[str, tuple[float, float]]]]) -> None:
    print(f"{'':22}{'Dagster':>9}{'direct':>9}{'ratio':>7}   {'CPU: Dagster':>12}{'direct':>8}{'ratio':>7}"
          "   wall spread Dagster / direct (s)")
    def pick(runs, halves, clock):
        return [sum(run[half][clock] for half in halves) for run in runs]

    for label, halves in (("sending half", ("sending",)), ("receiving half", ("receiving",)),
                          ("full quarter", ("sending", "receiving"))):
        wall_d, wall_a = pick(times[True], halves, 0), pick(times[False], halves, 0)
        cpu_d, cpu_a = median(pick(times[True], halves, 1)), median(pick(times[False], halves, 1))
        print(f"{label:<22}{median(wall_d):9.2f}{median(wall_a):9.2f}{median(wall_d) / median(wall_a):7.2f}"
              f"   {cpu_d:12.2f}{cpu_a:8.2f}{cpu_d / cpu_a:7.2f}   {spread(wall_d)} / {spread(wall_a)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = demo volume, 10 = ten times it")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="write a cProfile of one more Dagster receiving run here")
    args = parser.parse_args()
    print(f"machine: {machine()}; scale {args.scale:g}; medians of {args.repeat}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-quarter-") as base, \
            bench_stack(Path(base) / "stack", args.scale) as stack:
        entries = load_tcic(stack.data / TCIC_FILE)
        # One of each first, not counted: imports, first calls, the OS's file cache.
        one_round(stack, entries, "warm-dagster", True)
        one_round(stack, entries, "warm-direct", False)
        times: dict[bool, list[dict[str, tuple[float, float]]]] = {True: [], False: []}
        for i in range(args.repeat):
            for through_dagster in (True, False):  # interleaved, so both see the same noise
                times[through_dagster].append(one_round(stack, entries, f"{i}-{through_dagster}", through_dagster))
        report(times)
        print(f"peak RSS {peak_rss_mib():.0f} MiB (this process: Dagster's in-process runs and the anchor)")
        if args.profile:
            round_ = Round(stack, "profiled")
            with round_.instance() as instance:
                dagster_send(round_, instance)
                round_.answer(entries)
                profiler = cProfile.Profile()
                profiler.runcall(dagster_receive, round_, instance)
                profiler.dump_stats(str(args.profile))
            print(f"cProfile of a Dagster receiving run: {args.profile}")


if __name__ == "__main__":
    main()
