"""The list of children sent to DPS (spec §3): the conservatorship query's rows turned into the
rows sent and the rows not sent (wrangling), `End_txt_file.txt` in DPS's layout (text_file), and
`end_export.xlsx` (workbook)."""
