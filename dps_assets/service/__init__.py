"""How the exchange runs as systemd units (deploy/systemd): the credentials each unit is given
become the environment of that process alone (credentials; in the container image, the mounted
Secret does, by the image's entry point: container), a command by hand runs as a unit's
process would (as_service), the installer lays the site out (installer, deploy/install), and the
health check restarts a hung unit and alerts when one stays down (health, with its checks in
health_checks). The credentials, as_service and the installer use only the standard library: they
run before, or without, the rest of the exchange."""
