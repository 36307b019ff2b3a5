"""The quarterly reports, one module each: a module here defines `REPORT = ReportKind(...)`
(`assets.report_registry`), and that is all it takes to add a report. `REPORTS` lists them in
the order the email gives them; the report assets and the delivery are built from it."""

import sys

from dps_assets.assets.report_registry import reports_in

REPORTS = reports_in(sys.modules[__name__])
