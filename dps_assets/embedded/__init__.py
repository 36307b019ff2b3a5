"""The embedded stack: real local servers standing in for Oracle, DPS's SFTP server, DPS and the SMTP relay."""
