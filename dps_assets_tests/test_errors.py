"""What of a failure may reach log files and alert emails."""

import duckdb
import pytest

from dps_assets.core.errors import chain_failure_text, exchange_error_names, failure_text, redact_literals
from dps_assets.resources.database import DatabaseError, WarehouseResource


def test_our_errors_are_repeated_by_their_first_line():
    assert {"DpsFileError", "SftpError", "DatabaseError", "ConfigError"} <= exchange_error_names()
    message = "Dfps-missing-person-results.txt, line 6, column MISSING_DATE: bad date\nmore detail"
    assert failure_text("DpsFileError", message) == (
        "DpsFileError: Dfps-missing-person-results.txt, line 6, column MISSING_DATE: bad date")
    assert failure_text("ConnectionRefusedError", "[Errno 111] Connection refused") == (
        "ConnectionRefusedError: [Errno 111] Connection refused")


def test_anyone_elses_message_is_left_out_because_it_may_quote_data():
    text = failure_text("ConversionException", "Could not convert string 'MARIA' to INT32")
    assert "MARIA" not in text and text.startswith("ConversionException (its message may quote data")


def test_the_outermost_error_of_ours_explains_a_chain():
    chain = [("DagsterExecutionStepExecutionError", 'Error occurred while executing op "dps_results"'),
             ("DpsFileError", "results.txt, line 2, column DOB: not a date"),
             ("ValueError", "time data '2010-13-01' does not match format")]
    assert chain_failure_text(chain) == "DpsFileError: results.txt, line 2, column DOB: not a date"
    assert chain_failure_text(chain[:1] + chain[2:]).startswith("ValueError (its message may quote data")
    assert chain_failure_text([]) == "failed"


def test_sql_literals_are_blanked_and_identifiers_kept():
    assert redact_literals('ORA-01722 near \'JOSÉ\' in "CAPS"."PERSON"') == 'ORA-01722 near \'…\' in "CAPS"."PERSON"'


def test_a_driver_error_quoting_a_value_reaches_nobody(tmp_path):
    path = tmp_path / "caps.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table people as select 'MARIA' as first_name")
    warehouse = WarehouseResource(driver="duckdb", duckdb_path=str(path), export_sql="select 1",
                                  sa_98_sql="select 1", county_region_sql="select 1")
    with pytest.raises(DatabaseError) as raised:
        warehouse.query("export", "select cast(first_name as integer) from caps.people", {})
    assert "MARIA" not in str(raised.value) and "'…'" in str(raised.value)
    assert str(raised.value).startswith("query 'export' failed: ConversionException: ")
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
