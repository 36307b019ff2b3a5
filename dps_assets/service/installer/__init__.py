"""The exchange's installer (deploy/install): from a checkout to an installed site on a host, as
root, every step a root shell can do; idempotent. Only the standard library: it builds the
virtualenv. `python -m dps_assets.service.installer --help`."""
