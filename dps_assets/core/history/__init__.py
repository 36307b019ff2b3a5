"""The history across quarters: every delivered quarter's figures (counts only, never a row about
a child), kept by quarter so that a quarter delivered again replaces its own figures. What a
quarter's figures are, from its delivered reports (figures); the table of quarters and how it is
kept on disk (store); the report workbooks' sheets read back (archived_reports); and what the
analysts get, a workbook and a CSV for Power BI (outputs)."""
