"""The systemd units' own entry points (deploy/systemd): `credentials`, which makes the
credentials each unit is given the environment of that process alone, and `health`, the health
check that restarts a hung unit and alerts when one stays down (with its checks, `health_checks`)."""
