"""How the systemd units start the exchange's processes (deploy/systemd): the credentials each
unit is given become the environment of that process alone."""
