"""IMPACT's rows as the warehouse gives them: a row's values read one at a time (warehouse_values),
people's and counties' names normalised (names), the runaway events the matching can use (sa_98_rows),
and the county -> region lookup with the regions the reports show (regions)."""
