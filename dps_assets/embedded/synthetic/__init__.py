"""Seeded synthetic data for the embedded stack: IMPACT's tables (children in conservatorship,
their episodes and runaway events) and DPS's TCIC missing-person entries derived from them with
controlled, recorded discrepancies.

Everything here is invented. Names are random combinations drawn from lists of common first and
last names; no row describes a real person. Only the Texas counties and their DFPS regions are
real. Pure numpy/pandas; the same seed always gives the same frames.

    agency_data      AgencyData and generate_agency_data: the warehouse's four tables
    episodes         children's CVS episodes (entries into care, re-entries)
    children         the person table: names, dates of birth, sex and race codes, with dirt
    runaway_events   runaway events and their table
    tcic_entries     TcicData and generate_tcic_entries: DPS's entries and their discrepancies
    tcic_fields      how DPS writes an entry: NIC, ORI, MKE, its view of the child
    counties         Texas counties, DFPS regions, spellings, the county lookup table
    names            lists of common names, accent folding, DPS's spelling of a name
    fiscal_calendar  fiscal years and day numbers
    random_draws     seeded generators and weighted picks
"""

