"""DPS's entries reconciled with IMPACT's runaway events: the matching (spec §6; matching, with
integer_sort for its keys), the quarterly reports as frames (spec §7; reports), and the emails
that deliver them and alert the operators (emails)."""
