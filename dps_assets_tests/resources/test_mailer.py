"""Mail by role: the resource `mailer` is whichever `Mailer` the email section's `transport`
names (the SMTP relay today), and what sends mail uses only the `Mailer` interface, so another
mail system is one more implementation. The SMTP relay itself: test_smtp_mailer.py."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from dagster import build_run_status_sensor_context, job, op

from dps_assets.automation.alert_sensors import build_run_failure_alert
from dps_assets.config.schema import ConfigError, load_config
from dps_assets.resources import MAILERS, build_resources
from dps_assets.resources.local_files import LocalFilesResource
from dps_assets.resources.mailer import Mailer
from dps_assets.resources.operator_alerts import OperatorAlertsResource
from dps_assets.resources.smtp_mailer import SmtpMailer

REPO = Path(__file__).resolve().parents[2]


class FolderMailer(Mailer):
    """A second mail system, as small as one can be: each message becomes a file in a folder."""

    folder: str

    @property
    def where(self) -> str:
        return f"folder {self.folder}"

    def send(self, message: EmailMessage, before_handover: Callable[[], None] | None = None) -> None:
        if "From" not in message:
            message["From"] = self.sender
        if before_handover is not None:
            before_handover()
        count = len(list(Path(self.folder).iterdir()))
        Path(self.folder, f"{count:03d}.eml").write_bytes(bytes(message))


def demo_with(tmp_path: Path, **email: object) -> Path:
    data = yaml.safe_load((REPO / "dps_config.demo.yml").read_text())
    data["email"].update(email)
    path = tmp_path / "dps_config.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_the_mailer_is_the_one_the_transport_names_smtp_by_default(tmp_path):
    resources = build_resources(load_config(REPO / "dps_config.demo.yml"))
    assert "smtp" not in resources and type(resources["mailer"]) is SmtpMailer
    assert load_config(REPO / "dps_config.yml").email.transport == "smtp"
    named = build_resources(load_config(demo_with(tmp_path, transport="smtp")))["mailer"]
    assert type(named) is SmtpMailer and named.where == "smtp://127.0.0.1:2525 (plain)"
    assert set(MAILERS) == {"smtp"}


def test_an_unknown_transport_is_refused_naming_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"email\.transport: Input should be 'smtp'"):
        load_config(demo_with(tmp_path, transport="graph"))


def test_a_mailer_says_where_and_how_it_sends():
    addresses = dict(sender="a@b.invalid", recipients=["c@d.invalid"], operators=["e@f.invalid"])
    with pytest.raises(TypeError, match="abstract"):
        Mailer(**addresses)

    class HalfMailer(Mailer):
        @property
        def where(self) -> str:
            return "nowhere"

    with pytest.raises(TypeError, match="abstract.*send"):
        HalfMailer(**addresses)


@op
def fails() -> None:
    raise RuntimeError("the step broke")


@job
def failing_job():
    fails()


def test_the_failure_alert_needs_only_a_mailer(tmp_path, dagster_instance):
    result = failing_job.execute_in_process(instance=dagster_instance, raise_on_error=False)
    assert not result.success
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    mailer = FolderMailer(folder=str(outbox), sender="dps-exchange@test.invalid",
                          recipients=["analysts@test.invalid"], operators=["operators@test.invalid"],
                          subject_prefix=None, confidentiality_notice="CONFIDENTIAL")
    local_files = LocalFilesResource(archive_root=str(tmp_path / "archive"), log_root=str(tmp_path / "logs"),
                                     work_root=str(tmp_path / "work"))
    context = build_run_status_sensor_context(
        sensor_name="run_failure_alert", dagster_event=result.get_run_failure_event(),
        dagster_instance=dagster_instance, dagster_run=result.dagster_run,
        resources={"mailer": mailer, "local_files": local_files,
                   "operator_alerts": OperatorAlertsResource(
                       ui_base_url="http://127.0.0.1:3000", webhook_url=None, sensor_failures_before_alert=3,
                       alert_file=str(tmp_path / "logs" / "alerts.log"))},
    ).for_run_failure()
    build_run_failure_alert(running=True)(context)

    [sent] = sorted(outbox.iterdir())
    alert = message_from_bytes(sent.read_bytes(), policy=policy.default)
    assert (alert["From"], alert["To"]) == ("dps-exchange@test.invalid", "operators@test.invalid")
    assert alert["Subject"] == "[DPS exchange] failing_job failed for no quarter"
    body = alert.get_content()
    assert f"(run {result.run_id})" in body and "Step fails: RuntimeError" in body
