"""dps_config.yml: its schema (schema, with the sections export_layout and sql in their own
modules on a shared base, section), how the file is read (file), value types (values)."""
