"""The simulated DPS: the state police's side of the exchange, on the embedded SFTP server's tree.

It works on the server's folders directly (it is DPS's own machine): when `End_txt_file.txt`
appears in `from_folder` it takes it (moves it into its own folder), works out which quarter was
asked for, and after a delay writes its answer into `TO_DFPS` the way a real server fills files:
in chunks, not atomically, so the pipeline's sensor must wait for the files to settle.

The answer comes from the TCIC store generated with the warehouse, so its discrepancies are the
store's controlled ones (episodes never reported, entries without an IMPACT event, several
agencies for one episode, unmapped counties), plus a few entries dated before the window.

    python -m dps_assets.embedded.simulated_dps --root DIR --state DIR --warehouse caps.duckdb \\
        --tcic tcic.duckdb [--delay-s 5] [--write-pause-s 0.2] [--today YYYY-MM-DD] [--corrupt-counts]

Prints `READY pid=<pid>` when watching; logs counts (never names) to stderr."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.embedded.process import ReadyProcess, start_ready_process

REQUEST_NAME = "End_txt_file.txt"
RESULTS_NAME = "Dfps-missing-person-results.txt"
COUNTS_NAME = "Dfps-missing-person-counts.txt"
RESULTS_HEADER = ("DFPS_PERSON_ID", "NIC", "LAST_NAME", "FIRST_NAME", "DOB", "SEX", "RACE", "MKE",
                  "ORI", "AGENCY_COUNTY", "ENTRY_DATE", "MISSING_DATE", "CLEAR_DATE")
QUARTERS_CONSIDERED = 12
OUTSIDE_WINDOW_SHARE = 0.02
_CHUNK = 4096


@dataclass(frozen=True)
class Answer:
    quarter: FiscalQuarter
    results: bytes
    counts: bytes
    entries: int
    outside_window: int


def submitted_ids(request: bytes) -> list[int]:
    """The DFPS_PERSON_IDs of a submitted file (header first, `|`-delimited)."""
    lines = [line for line in request.decode("ascii").splitlines() if line.strip()]
    return [int(line.split("|", 1)[0]) for line in lines[1:]]


def infer_quarter(ids: Sequence[int], warehouse: Path, today: date) -> FiscalQuarter:
    """The request does not name its quarter. Of the last closed quarters, pick the one whose
    population (children in conservatorship in its window) overlaps the submitted ids most."""
    wanted = set(ids)
    quarter = FiscalQuarter.latest_closed(today)
    candidates = []
    for _ in range(QUARTERS_CONSIDERED):
        candidates.append(quarter)
        quarter = quarter.previous()
    con = duckdb.connect()
    try:
        con.execute(f"attach '{warehouse}' as caps (read_only)")
        best, best_score = candidates[0], -1.0
        for candidate in candidates:
            population = {row[0] for row in con.execute(
                "select distinct person_id from caps.cvs_episode where cvs_start <= ? "
                "and (cvs_end is null or cvs_end >= ?)",
                [candidate.window_end, candidate.window_start]).fetchall()}
            score = len(wanted & population) / max(len(wanted | population), 1)
            if score > best_score:
                best, best_score = candidate, score
        return best
    finally:
        con.close()


def load_tcic(tcic: Path) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        con.execute(f"attach '{tcic}' as tcic (read_only)")
        frame = con.execute("select * from tcic.missing_person_entry").fetchdf()
    finally:
        con.close()
    frame.columns = [c.upper() for c in frame.columns]
    for column in ("DOB", "ENTRY_DATE", "MISSING_DATE", "CLEAR_DATE"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def build_answer(ids: Sequence[int], entries: pd.DataFrame, quarter: FiscalQuarter,
                 corrupt_counts: bool = False) -> Answer:
    """DPS's two files for a request: the submitted children's entries dated in the window, a
    few dated shortly before it, sorted by NIC; the counts of what was received and found."""
    mine = entries[entries["DFPS_PERSON_ID"].isin(set(ids))]
    start, end = pd.Timestamp(quarter.window_start), pd.Timestamp(quarter.window_end)
    inside = mine[mine["MISSING_DATE"].between(start, end)]
    before = mine[(mine["MISSING_DATE"] < start) & (mine["MISSING_DATE"] >= start - pd.Timedelta(days=92))]
    extra = before.sort_values("NIC").head(max(1, round(len(inside) * OUTSIDE_WINDOW_SHARE)) if len(before) else 0)
    answer = pd.concat([inside, extra]).sort_values("NIC")
    lines = ["|".join(RESULTS_HEADER)]
    for row in zip(*(answer[c] for c in RESULTS_HEADER), strict=True):
        lines.append("|".join(_field(value) for value in row))
    results = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
    persons = int(answer["DFPS_PERSON_ID"].nunique()) + (1 if corrupt_counts else 0)
    counts = ("MEASURE|COUNT\r\n"
              f"RECORDS_RECEIVED|{len(ids)}\r\n"
              f"PERSONS_MATCHED|{persons}\r\n"
              f"MISSING_PERSON_ENTRIES|{len(answer)}\r\n"
              "SEARCH_RUN_SECONDS|42\r\n").encode()
    return Answer(quarter, results, counts, len(answer), len(extra))


def _field(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return ""
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.strftime("%Y%m%d")
    return str(value)


def write_slowly(path: Path, data: bytes, pause_s: float) -> None:
    """Fill the file the way a server does: a chunk at a time, visible while it grows."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as sink:
        for offset in range(0, len(data), _CHUNK):
            sink.write(data[offset:offset + _CHUNK])
            sink.flush()
            if pause_s:
                time.sleep(pause_s)


@dataclass(frozen=True)
class Settings:
    root: Path
    state: Path
    warehouse: Path
    tcic: Path
    from_folder: str = "from_folder"
    to_folder: str = "TO_DFPS"
    delay_s: float = 5
    write_pause_s: float = 0.2
    poll_s: float = 0.5
    today: date | None = None
    corrupt_counts: bool = False


def log(message: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S} simulated DPS: {message}", file=sys.stderr, flush=True)


def answer_one(settings: Settings, request: Path, entries: pd.DataFrame) -> None:
    received = settings.state / "received"
    received.mkdir(mode=0o700, parents=True, exist_ok=True)
    taken = received / f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}_{REQUEST_NAME}"
    os.replace(request, taken)  # DPS takes the request out of the shared folder
    ids = submitted_ids(taken.read_bytes())
    quarter = infer_quarter(ids, settings.warehouse, settings.today or date.today())
    answer = build_answer(ids, entries, quarter, settings.corrupt_counts)
    log(f"received {len(ids)} children; searching for {quarter.label}; "
        f"{answer.entries} entries ({answer.outside_window} before the window); answering in {settings.delay_s:g} s")
    time.sleep(settings.delay_s)  # DPS takes its time (about two hours for real)
    target = settings.root / settings.to_folder
    write_slowly(target / RESULTS_NAME, answer.results, settings.write_pause_s)
    write_slowly(target / COUNTS_NAME, answer.counts, settings.write_pause_s)
    log(f"answered {quarter.label}: {len(answer.results)} + {len(answer.counts)} bytes written")


def watch(settings: Settings, stop: threading.Event) -> None:
    entries = load_tcic(settings.tcic)
    request = settings.root / settings.from_folder / REQUEST_NAME
    print(f"READY pid={os.getpid()}", flush=True)
    while not stop.is_set():
        if request.exists():
            try:
                answer_one(settings, request, entries)
            except Exception as exc:  # noqa: BLE001 - a bad request must not kill DPS; say so and go on
                log(f"could not answer: {type(exc).__name__}: {exc}")
        stop.wait(settings.poll_s)


def start_simulated_dps(*, root: Path, state: Path, warehouse: Path, tcic: Path, delay_s: float = 5,
                        write_pause_s: float = 0.2, today: date | None = None,
                        corrupt_counts: bool = False) -> ReadyProcess:
    argv: list[str | os.PathLike[str]] = [
        sys.executable, "-m", "dps_assets.embedded.simulated_dps", "--root", root, "--state", state,
        "--warehouse", warehouse, "--tcic", tcic, "--delay-s", str(delay_s), "--write-pause-s", str(write_pause_s)]
    if today:
        argv += ["--today", today.isoformat()]
    if corrupt_counts:
        argv.append("--corrupt-counts")
    return start_ready_process(argv, name="simulated DPS", timeout_s=60)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--tcic", type=Path, required=True)
    parser.add_argument("--from-folder", default="from_folder")
    parser.add_argument("--to-folder", default="TO_DFPS")
    parser.add_argument("--delay-s", type=float, default=5)
    parser.add_argument("--write-pause-s", type=float, default=0.2)
    parser.add_argument("--poll-s", type=float, default=0.5)
    parser.add_argument("--today", type=date.fromisoformat)
    parser.add_argument("--corrupt-counts", action="store_true")
    args = parser.parse_args(argv)
    os.umask(0o077)
    settings = Settings(args.root, args.state, args.warehouse, args.tcic, args.from_folder, args.to_folder,
                        args.delay_s, args.write_pause_s, args.poll_s, args.today, args.corrupt_counts)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    watch(settings, stop)


if __name__ == "__main__":
    main()
