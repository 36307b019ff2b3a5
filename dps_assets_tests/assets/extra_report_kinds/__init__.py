"""A report package of the tests' own, laid out as `dps_assets/assets/report_kinds` is: each
module defines `REPORT = ReportKind(...)`. Nothing in the exchange imports it."""
