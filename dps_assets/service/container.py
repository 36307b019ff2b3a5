"""The container image's entry point (deploy/image/Containerfile): what the systemd units' own
settings and `credentials.py` do for a process on the host, for a process in a pod.

Kubernetes starts the image with the Helm chart's `args` (the code server: `dagster api grpc -h
0.0.0.0 -p 4266 ...`; each run's pod: the run launcher's `dagster api execute_run ...`), so this

- sets the umask to 077: children's records pass through the process (the units' `UMask=0077`);
- makes each file of `$CREDENTIALS_DIRECTORY` (the image sets `/run/secrets/dps-exchange`, where
  deploy/helm/values.yaml mounts the exchange's Secret) an environment variable of the same name,
  with the rules of `credentials.py`; Kubernetes' own `..data` entries are passed over;
- finds the command on the image's PATH (the chart names `dagster`, not its path) and replaces
  itself with it, so the signals tini forwards reach Dagster itself.

Only the standard library: this runs before anything else of the exchange is imported."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence

from dps_assets.service.credentials import CredentialError, environment_with_credentials

USAGE = "usage: python -m dps_assets.service.container COMMAND [ARGUMENT ...]"
PRIVATE_UMASK = 0o077


def main(argv: Sequence[str] | None = None) -> None:
    command = list(sys.argv[1:] if argv is None else argv)
    if not command:
        sys.exit(USAGE)
    os.umask(PRIVATE_UMASK)
    try:
        environment = environment_with_credentials(os.environ)
    except (CredentialError, OSError) as exc:
        sys.exit(f"dps_assets.service.container: {exc}")
    program = shutil.which(command[0], path=environment.get("PATH"))
    if program is None:
        sys.exit(f"dps_assets.service.container: {command[0]}: no such program on PATH")
    os.execve(program, command, environment)


if __name__ == "__main__":
    main()
