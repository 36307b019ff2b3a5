"""The four processes of a site that deploy/install wrote under a folder (`--root`), started as
support/dagster_service.py starts the checkout's, but from what the install put there: the units
and drop-ins of `<root>/etc/systemd/system`, the environment files and credential files of
`<root>/etc/dps-exchange`, the virtualenv of `<root>/opt/dps-exchange/.venv` (ExecStart=
unchanged but for the root and the ports), its working directory, DAGSTER_HOME and dagster.yaml.

A unit's host paths (/opt/dps-exchange, /etc/dps-exchange, /var/lib/dps-exchange, in its lines and
in the variables of its environment files) are read under the root, as the installer and
dps-as-service read them (dps_assets/service/units.py)."""

from __future__ import annotations

import shlex
from pathlib import Path

from dps_assets.config.schema import load_config
from dps_assets.service.units import CREDENTIALS, ETC, OPT, UNIT_DIR, environment_file, rooted_value, under
from dps_assets_tests.support.dagster_service import UNIT_OF, DagsterService
from dps_assets_tests.support.servers import free_port
from dps_assets_tests.support.systemd_units import Site, process_start, unit_settings


class InstalledService(DagsterService):
    """`scratch` holds what the test adds, outside the installed tree: the workspace file with the
    test's free ports, the processes' credential directories ($CREDENTIALS_DIRECTORY)."""

    def __init__(self, root: Path, scratch: Path):
        self.root, self.scratch = root, scratch
        self.units = under(root, UNIT_DIR)
        self.cwd = under(root, OPT)
        etc = under(root, ETC)
        self.site = Site(
            environment_files={f"{ETC}/{path.name}": {name: rooted_value(root, value)
                                                     for name, value in environment_file(path).items()}
                               for path in etc.glob("*.env")},
            credential_files={f"{CREDENTIALS}/{path.name}": path.read_text(encoding="utf-8").removesuffix("\n")
                              for path in under(root, CREDENTIALS).iterdir()})
        self.drop_ins: dict[str, str] = {}  # the installed ones, beside the units
        code = process_start(UNIT_OF["code"], self.site, units=self.units)
        self.env = {**code.environment, **code.credentials}
        self.home = Path(self.env["DAGSTER_HOME"])
        self.ports = {name: str(free_port()) for name in ("code", "webserver", "readonly")}
        self.workspace = scratch / "workspace.yaml"
        self.workspace.write_text((self.cwd / "deploy" / "workspace.yaml").read_text(encoding="utf-8")
                                  .replace("port: 4266", f"port: {self.ports['code']}"))
        secret_names = load_config(self.env["DPS_CONFIG"]).secret_variables()
        self.exchange_secrets = {name: self.env[name] for name in secret_names}
        readonly = process_start(UNIT_OF["readonly"], self.site, units=self.units)
        self.readonly_role = (readonly.environment["DAGSTER_PG_USER"], readonly.credentials["DAGSTER_PG_PASSWORD"])
        self.processes = {}
        self.output = {name: [] for name in UNIT_OF}
        self._readonly_role_made = True  # the database host's step and `deploy/install --finish` did it

    def unit_command(self, unit: str) -> list[str]:
        """The installed unit's `ExecStart` as it is, bar the test's root, workspace and ports."""
        line = unit_settings(unit, self.units)["ExecStart"]
        line = line.replace(f"{OPT}/deploy/workspace.yaml", str(self.workspace))
        return shlex.split(self.free_ports(line.replace(OPT, str(self.cwd))))
