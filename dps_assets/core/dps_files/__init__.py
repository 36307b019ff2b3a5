"""The two files DPS returns (spec §4): reading and reconciling them (reading), the layout rules
one line or one value at a time (layout_rules), the results file read in bulk (results_reader,
over the byte scans of results_scan), and a step's work shared between the machine's cores
(parallel)."""
