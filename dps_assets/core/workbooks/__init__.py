"""The Excel workbooks, whatever frames they hold: the writer (writer), what a value becomes in a
cell (excel_values), a column's cells decided once (columns), rows written a block at a time (rows),
how a workbook looks and prints (layout), and a sheet's chart (chart)."""
