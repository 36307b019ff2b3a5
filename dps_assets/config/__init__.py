"""dps_config.yml: its schema (schema), how the file is read (file), value types (values)."""
