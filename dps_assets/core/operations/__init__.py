"""What the operators are told and what is cleared away: what an alert says and when the SFTP
sensor's trouble becomes one (alerts), why a run failed when none of its steps did (run_end), and
which archived runs and log files have outlived their retention (retention)."""
