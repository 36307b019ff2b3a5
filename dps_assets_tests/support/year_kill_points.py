"""Where the year test kills the exchange, each point reached by waiting for something the test
can observe (a file event on DPS's server, a run's message in the event log, a lock or a pool
slot the test holds), never by sleeping.

A kill point belongs to one half of a quarter. `prepare` puts in place what must be there before
that half's run can reach the point (a watch, a slowed link, a held lock, DPS paused); `crash`
launches or finds the run, kills, and returns the `Crash`; after the deployment has measured its
recovery, `finish` does what the operator does (by default: re-execute the run) and returns the
run that completed the half. `release` lets go of whatever is still held, also after a failure."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import ExitStack

from dps_assets.config.schema import load_config
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.core.reconciliation.emails import report_subject as email_subject
from dps_assets.embedded.simulated_dps import REQUEST_NAME, RESULTS_NAME
from dps_assets.embedded.stack import DEMO_CONFIG
from dps_assets.instance.critical_section import DPS_FOLDER, REPORT_DELIVERY
from dps_assets.instance.ledger import latest_email_record, latest_metadata, recorded_submissions
from dps_assets_tests.support.folder_watch import FolderWatch
from dps_assets_tests.support.frozen_event_log import frozen_event_log
from dps_assets_tests.support.year_deployment import Crash, YearDeployment, wait_for

SENDING, RECEIVING = "sending", "receiving"
SUBMISSION, DELIVERY = "dps_submission", "dps_report_delivery"
WAITING_FOR_FOLDER = "waiting for the dps folder lock"  # what a guarded step logs while the test holds its lock
WAITING_FOR_DELIVERY = "waiting for the report delivery lock"
PARTIAL_UPLOAD = re.compile(rf"\.{re.escape(REQUEST_NAME)}\.[0-9a-f]{{12}}\.partial")
UPLOAD_RATE = 32_000  # bytes/s up while an upload is to be cut: the request (~110 kB) takes ~3.5 s
DOWNLOAD_RATE = 2_000  # bytes/s down while DPS's results are fetched: ~14 kB take ~7 s
Launch = Callable[[], str]


class KillPoint:
    name = ""
    half = SENDING

    def __init__(self) -> None:
        self._held = ExitStack()
        self.refused: list[str] = []  # runs that failed on purpose on the way (a guard refusing)

    def prepare(self, dep: YearDeployment, quarter: FiscalQuarter) -> None:
        pass

    def crash(self, dep: YearDeployment, quarter: FiscalQuarter, launch: Launch) -> Crash:
        raise NotImplementedError

    def finish(self, dep: YearDeployment, quarter: FiscalQuarter, crash: Crash) -> str:
        run_id = dep.reexecute(crash.run_id)
        dep.wait_success(run_id)
        return run_id

    def release(self) -> None:
        self._held.close()


def submissions_of(dep: YearDeployment, quarter: FiscalQuarter) -> list:
    return [s for s in recorded_submissions(dep.instance) if s.quarter == quarter]


def report_subject(quarter: FiscalQuarter) -> str:
    """The reports' email's subject (core.emails.report_email), with the demo configuration's
    prefix, which the deployment's configuration keeps."""
    return email_subject(quarter, load_config(DEMO_CONFIG).email.subject_prefix)


class MidUpload(KillPoint):
    """The worker dies while DPS's request is half written under its temporary name."""

    name = "mid-upload"

    def prepare(self, dep, quarter):
        self.watch = self._held.enter_context(FolderWatch(dep.from_folder, also=("MODIFY",)))

    def crash(self, dep, quarter, launch):
        dep.link.up_rate = UPLOAD_RATE
        try:
            run_id = launch()
            partial = dep.wait_for_event(self.watch, "MODIFY", PARTIAL_UPLOAD, run_id)  # bytes are landing
            killed_at = dep.kill_worker(run_id)
        finally:
            dep.link.up_rate = None
        assert (dep.from_folder / partial).exists()  # the cut upload, for the next upload to sweep
        assert not (dep.from_folder / REQUEST_NAME).exists()  # never renamed into place
        assert submissions_of(dep, quarter) == []
        return Crash(self.name, quarter, run_id, killed_at)


class AfterTheRename(KillPoint):
    """The worker dies after the server renamed the request into place and before the run
    recorded the upload: the test holds the event log's table so the record cannot be written,
    and DPS is paused so the request is still there when the run is re-executed."""

    name = "after the rename"

    def prepare(self, dep, quarter):
        self._held.enter_context(dep.dps_paused())  # until finish: DPS takes no request
        self.watch = self._held.enter_context(FolderWatch(dep.from_folder))

    def crash(self, dep, quarter, launch):
        with ExitStack() as folder_held:
            folder_held.enter_context(dep.holding(DPS_FOLDER))
            run_id = launch()
            dep.wait_in_step(run_id, SUBMISSION, WAITING_FOR_FOLDER)  # its last event before the upload
            with frozen_event_log() as frozen:
                folder_held.close()  # the run checks, uploads, renames, and waits to write its record
                dep.wait_for_event(self.watch, "MOVED_TO", REQUEST_NAME, run_id)
                killed_at = dep.kill_worker(run_id)
                frozen.drop_writes_waiting()  # the dead worker's record never reaches the table
        assert (dep.from_folder / REQUEST_NAME).exists()
        assert submissions_of(dep, quarter) == []
        return Crash(self.name, quarter, run_id, killed_at)

    def finish(self, dep, quarter, crash):
        run_id = super().finish(dep, quarter, crash)
        uploads = [e for e in self.watch.events() if e[1] == REQUEST_NAME and e[0] in ("CREATE", "MOVED_TO")]
        assert uploads == [], uploads  # the re-execution found DPS's copy and sent nothing
        assert len(submissions_of(dep, quarter)) == 1
        _, recorded = latest_metadata(dep.instance, SUBMISSION, quarter.partition_key)
        assert (recorded["uploaded"], recorded.get("reconciled_from_server")) == (False, True), recorded
        self.release()  # DPS takes the request and answers
        return run_id


class MidFetch(KillPoint):
    """The worker of the sensor's receiving run dies while DPS's results file is crossing."""

    name, half = "mid-fetch", RECEIVING

    def prepare(self, dep, quarter):
        self.watch = self._held.enter_context(FolderWatch(dep.to_dfps, also=("ACCESS",)))
        dep.link.down_rate = DOWNLOAD_RATE
        self._held.callback(setattr, dep.link, "down_rate", None)

    def crash(self, dep, quarter, launch):
        run_id = launch()
        dep.wait_for_event(self.watch, "ACCESS", RESULTS_NAME, run_id)  # the server is reading it out
        killed_at = dep.kill_worker(run_id)
        self.release()
        assert "dps_results" not in dep.materialized_in(run_id)
        return Crash(self.name, quarter, run_id, killed_at)


class MidEmailAfterData(KillPoint):
    """The worker dies after the relay has the reports' email and before its 250 (the relay holds
    its answer to DATA). The email arrived; the run never learnt it, its intent stands alone. The
    re-execution sends nothing and fails (EmailNotConfirmedError, alerted); the operator finds
    the Message-ID in the recipients' mailbox and re-runs the receiving half with email_arrived
    (force_email would send it twice)."""

    name, half = "mid-email after DATA", RECEIVING

    def prepare(self, dep, quarter):
        dep.relay.hold()
        self._held.callback(dep.relay.release)

    def crash(self, dep, quarter, launch):
        run_id = launch()
        dep.relay.wait_for_message(timeout_s=300)  # in the mailbox; the 250 held back
        held = dep.emails()[-1]
        assert held["Subject"] == report_subject(quarter), held["Subject"]
        killed_at = dep.kill_worker(run_id)
        self.release()  # the relay answers 250 to a worker that is gone
        self.message_id = held["Message-ID"]
        intent = latest_email_record(dep.instance, quarter.partition_key)
        assert (intent.message_id, intent.confirmed, intent.run_id) == (self.message_id, False, run_id)
        return Crash(self.name, quarter, run_id, killed_at)

    def finish(self, dep, quarter, crash):
        refused = dep.reexecute(crash.run_id)
        assert dep.service.wait_for_run(refused, 600) == "FAILURE"
        self.refused.append(refused)
        [alert] = wait_for(f"the alert for run {refused}", lambda: dep.alerts_for(refused), 120)
        assert f"Look for Message-ID {self.message_id}" in " ".join(alert["lines"]), alert
        assert [m["Message-ID"] for m in dep.emails() if m["Subject"] == report_subject(quarter)] == [self.message_id]
        arrived = {"ops": {DELIVERY: {"config": {"email_arrived": self.message_id}}}}
        run_id = dep.submit("receive_from_dps", quarter, run_config=arrived)  # found in the mailbox
        dep.wait_success(run_id)
        return run_id


class BetweenSteps(KillPoint):
    """The worker dies after dps_export_files and before dps_submission starts: a second run of
    the quarter holds the DPS-folder pool's one slot (the test holds it inside the step), so the
    killed run's next step waits for the pool. The holder then uploads, once."""

    name = "between steps"

    def crash(self, dep, quarter, launch):
        with dep.holding(DPS_FOLDER):
            self.holder = launch()
            dep.wait_in_step(self.holder, SUBMISSION, WAITING_FOR_FOLDER)
            run_id = dep.submit("send_to_dps", quarter)
            dep.wait_in_step(run_id, SUBMISSION, f"blocked by limit for pool {DPS_FOLDER}")
            killed_at = dep.kill_worker(run_id)
        assert "dps_export_files" in dep.materialized_in(run_id) and SUBMISSION not in dep.steps_started(run_id)
        return Crash(self.name, quarter, run_id, killed_at)

    def finish(self, dep, quarter, crash):
        dep.wait_success(self.holder)  # nothing to re-execute: the holder sends the quarter
        return self.holder


class HeldInDelivery(KillPoint):
    """The sensor's receiving run is killed while dps_report_delivery waits for the lock the
    test holds; `kill` says what dies with it."""

    half = RECEIVING

    def prepare(self, dep, quarter):
        self._held.enter_context(dep.holding(REPORT_DELIVERY))

    def crash(self, dep, quarter, launch):
        run_id = launch()
        dep.wait_in_step(run_id, DELIVERY, WAITING_FOR_DELIVERY)
        back_at = self.kill(dep, run_id)
        self.release()
        return Crash(self.name, quarter, run_id, back_at)

    def kill(self, dep: YearDeployment, run_id: str) -> float:
        return dep.kill_worker(run_id)


class Worker(HeldInDelivery):
    name = "a worker"


class CodeServer(HeldInDelivery):
    name = "the code server"

    def kill(self, dep, run_id):
        dep.service.kill("code")
        dep.service.start_process("code")  # systemd's Restart=
        return time.monotonic()


class EveryProcess(KillPoint):
    """Every process of the service at once (a host losing power, the units' control groups
    killed) while the sending run waits inside dps_submission; then the service starts again."""

    name = "every process"

    def crash(self, dep, quarter, launch):
        with dep.holding(DPS_FOLDER):
            run_id = launch()
            dep.wait_in_step(run_id, SUBMISSION, WAITING_FOR_FOLDER)
            dep.service.kill("daemon", "readonly", "webserver", "code")
            dep.service.start()
            back_at = time.monotonic()
        return Crash(self.name, quarter, run_id, back_at)
