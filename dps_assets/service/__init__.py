"""How the exchange runs as systemd units (deploy/systemd): the credentials each unit is given
become the environment of that process alone (credentials), a command by hand runs as a unit's
process would (as_service), and the installer lays the site out (installer, deploy/install).
Only the standard library: these run before, or without, the rest of the exchange."""
