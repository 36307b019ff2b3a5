"""The `health:` section: what the service's health check (`python -m dps_assets.service.health`,
started every minute by dps-exchange-health.timer) checks, how it restarts a unit that fails, and
when it alerts the operators. The defaults are the shipped units' (deploy/systemd/): a site that
keeps their ports sets nothing here."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from dps_assets.config.section import Section

UnitName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9@._-]*\.service$")]
UNIT_PLACEHOLDER = "{unit}"


class HealthUnitConfig(Section):
    # The systemd unit, and the check that tells whether its process serves:
    # code_server: `dagster api grpc-health-check` at `address` (host:port);
    # daemon: `dagster-daemon liveness-check` (every daemon's heartbeat in the instance is recent);
    # webserver: its `/server_info` page at `address` (the URL it listens on, not the proxy's).
    unit: UnitName
    check: Literal["code_server", "daemon", "webserver"]
    address: str | None = None

    @model_validator(mode="after")
    def _address_fits_the_check(self) -> HealthUnitConfig:
        if self.check == "daemon":
            if self.address is not None:
                raise ValueError("check 'daemon' takes no address: it reads the daemon's heartbeats in the instance")
        elif self.check == "code_server":
            host, colon, port = (self.address or "").rpartition(":")
            if not (colon and host and port.isdigit() and 0 < int(port) < 65536):
                raise ValueError("check 'code_server' needs address host:port (the code server's gRPC port)")
        else:
            parts = urlsplit(self.address or "")
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("check 'webserver' needs address http://host:port (the port the webserver listens on)")
        return self


# The shipped units, their ports as their ExecStart lines and deploy/workspace.yaml give them.
SHIPPED_UNITS = (
    HealthUnitConfig(unit="dps-exchange-code.service", check="code_server", address="127.0.0.1:4266"),
    HealthUnitConfig(unit="dps-exchange-daemon.service", check="daemon"),
    HealthUnitConfig(unit="dps-exchange-webserver.service", check="webserver", address="http://127.0.0.1:3000"),
    HealthUnitConfig(unit="dps-exchange-webserver-readonly.service", check="webserver",
                     address="http://127.0.0.1:3001"),
)


class HealthConfig(Section):
    units: tuple[HealthUnitConfig, ...] = SHIPPED_UNITS
    # Failed checks of a unit in a row (each minute) before the operators are alerted, once, and
    # once more when it passes again. Each failed check restarts the unit (but see restart_grace_s).
    failures_before_alert: int = Field(default=3, ge=1)
    # A check that has not answered by then has failed (a hung process answers nothing).
    check_timeout_s: int = Field(default=30, ge=1, le=300)
    # The daemon heartbeats every 30 s; one whose last heartbeat is older than 30 s plus this is hung.
    daemon_heartbeat_tolerance_s: int = Field(default=120, ge=1)
    # After restarting a unit, the next restart waits this long: a code server takes a while to
    # load, and one stopping lets its runs finish first (up to its TimeoutStopSec).
    restart_grace_s: int = Field(default=150, ge=0)
    # How a unit is restarted, `{unit}` standing for its name. The health check runs as the
    # service's user: deploy/polkit/ lets that user restart these units and nothing else.
    restart_command: tuple[str, ...] = ("systemctl", "restart", "--no-block", UNIT_PLACEHOLDER)

    @field_validator("units")
    @classmethod
    def _each_unit_once(cls, units: tuple[HealthUnitConfig, ...]) -> tuple[HealthUnitConfig, ...]:
        names = [unit.unit for unit in units]
        if len(set(names)) != len(names):
            raise ValueError("each unit may be listed once")
        return units

    @field_validator("restart_command")
    @classmethod
    def _names_the_unit(cls, command: tuple[str, ...]) -> tuple[str, ...]:
        if not command or UNIT_PLACEHOLDER not in command:
            raise ValueError(f"must be a command with one argument {UNIT_PLACEHOLDER} (the unit restarted)")
        return command
