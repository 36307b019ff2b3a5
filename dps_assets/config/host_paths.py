"""The files and folders a configuration needs on the host, for the installer (deploy/install),
which reads them with the installed virtualenv's Python before anything else runs:

    python -m dps_assets.config.host_paths /etc/dps-exchange/dps_config.yml

prints JSON: the folders the runs write (`directories.*`), the SSH key's and known_hosts' files,
the CA bundles it names, and the secrets' variables. A configuration that does not load prints
the loader's own error (file, key, what is wrong) and exits 2."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from dps_assets.config.schema import ConfigError, ExchangeConfig, load_config


def host_paths(config: ExchangeConfig) -> dict[str, object]:
    directories = config.directories
    return {
        "folders": [directories.archive_root, directories.log_root, directories.work_root],
        "private_key_file": config.sftp.private_key_file,
        "known_hosts_file": config.sftp.known_hosts_file,
        "ca_files": [path for path in (config.email.ca_file, config.sharepoint.ca_file) if path],
        "sftp_host": config.sftp.host,
        "sftp_port": config.sftp.port,
        "secrets": config.secret_variables(),
    }


def main(argv: Sequence[str] | None = None) -> None:
    [path] = list(sys.argv[1:] if argv is None else argv)
    try:
        config = load_config(path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
    print(json.dumps(host_paths(config)))


if __name__ == "__main__":
    main()
