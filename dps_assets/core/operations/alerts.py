"""What an alert to the operators says, and when the SFTP sensor's trouble becomes one.

Every alert names what happened, links the run where there is one, and says in one line what to
do about that kind of failure. Pure: the automation layer sends it through every channel."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The first error class a failure line names -> what the operator does about it.
WHAT_TO_DO = {
    "SftpError": "Check that DPS's SFTP server is reachable and its host key unchanged, then re-execute the run.",
    "HostKeyError": "Do not proceed: confirm DPS's host key fingerprint with DPS by phone before changing known_hosts.",
    "DatabaseError": "Check the IMPACT database (network, password, the query named), then re-execute the run.",
    "DpsFileError": "DPS's file breaks the layout: send DPS the file, line and column named; nothing was emailed.",
    "CountsDisagreeError": "Send DPS the measures named and ask for both files again; the sensor picks them "
                           "up. Nothing was reported or emailed, and DPS's files stay in TO_DFPS.",
    "OutstandingSubmissionError": "Wait for DPS's answer to the quarter named, or re-run with force: true "
                                  "knowing DPS's request for that quarter is then overwritten.",
    "ExportSizeError": "Check the export's row count against the same quarter a year earlier; "
                       "re-run with force: true to send it.",
    "EmailError": "Check the SMTP relay; the reports are in the archive. Re-executing does not email twice.",
    "EmailNotConfirmedError": "Look in the recipients' mailbox for the Message-ID named: if the email arrived, "
                              "re-run with email_arrived set to it; if not, re-run with force_email: true. "
                              "Until then nothing is emailed and DPS's files stay in TO_DFPS.",
    "ArchiveError": "Free disk space on the archive's volume, then re-execute the run.",
    "ConfigError": "Fix the configuration key named, then reload the code location.",
    "worker died": "The run's worker died: re-execute the run from its page once the host is healthy "
                   "(the guards prevent a second upload or email; nothing else needs clearing).",
    "killed": "The run's process was killed: re-execute it from its page; the guards prevent a second upload or email.",
}
DEFAULT_WHAT_TO_DO = "Open the run, read its log, fix the cause and re-execute the run from its page."


def what_to_do(failure_lines: list[str]) -> str:
    """The action for the first failure line whose error class (or `killed`) we know."""
    for line in failure_lines:
        if "worker died" in line:
            return WHAT_TO_DO["worker died"]
        if "was killed" in line:
            return WHAT_TO_DO["killed"]
        for name, action in WHAT_TO_DO.items():
            if f"{name}:" in line or f"{name} " in line:
                return action
    return DEFAULT_WHAT_TO_DO


@dataclass(frozen=True)
class Alert:
    subject: str
    lines: list[str]
    action: str
    link: str | None = None

    def body(self) -> list[str]:
        return [*self.lines, "", f"What to do: {self.action}", *([f"Run: {self.link}"] if self.link else [])]

    def as_text(self) -> str:
        return "\n".join([self.subject, "", *self.body()])

    def as_json_line(self, moment: str, undelivered: list[str]) -> str:
        return json.dumps({"at": moment, "subject": self.subject, "lines": self.lines, "what_to_do": self.action,
                           "link": self.link, "undelivered": undelivered}, sort_keys=True) + "\n"


@dataclass(frozen=True)
class SensorHealth:
    """The SFTP sensor's run of failed ticks, kept in its cursor."""

    failures: int = 0
    alerted: bool = False
    last_problem: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"failures": self.failures, "alerted": self.alerted, "last_problem": self.last_problem}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> SensorHealth:
        data = data or {}
        return cls(int(data.get("failures", 0)), bool(data.get("alerted", False)), str(data.get("last_problem", "")))


@dataclass(frozen=True)
class HealthChange:
    health: SensorHealth
    alert: Alert | None = field(default=None)


def after_tick(health: SensorHealth, problem: str | None, alert_after: int, sensor: str) -> HealthChange:
    """The sensor's health after a tick that failed with `problem` (or succeeded: None). The
    operators are alerted once when `alert_after` ticks in a row have failed, and once more when
    a tick succeeds again after that alert."""
    if problem is None:
        if health.alerted:
            return HealthChange(SensorHealth(), Alert(
                f"{sensor} recovered", [f"{sensor} lists DPS's folder again after {health.failures} failed tick(s)."],
                "Nothing: DPS's answers are picked up again as they arrive."))
        return HealthChange(SensorHealth())
    failures = health.failures + 1
    if failures >= alert_after and not health.alerted:
        return HealthChange(SensorHealth(failures, True, problem), Alert(
            f"{sensor} has failed {failures} times in a row",
            [f"{sensor} cannot list DPS's folder: {problem}",
             "DPS's answer is not picked up while this lasts."],
            "Check that DPS's SFTP server is reachable from this host (network, credentials, host key); "
            "an alert follows when it recovers."))
    return HealthChange(SensorHealth(failures, health.alerted, problem))
