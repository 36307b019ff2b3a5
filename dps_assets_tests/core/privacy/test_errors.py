"""What of a failure may reach log files and alert emails."""

import errno
import socket

import duckdb
import pytest
from xlsxwriter.exceptions import FileCreateError

import dps_assets.config.schema  # defines ConfigError
import dps_assets.core.dps_files.reading  # defines DpsFileError
import dps_assets.resources.sftp  # defines SftpError
from dps_assets.core.privacy.errors import (
    chain_failure_text,
    exchange_error_names,
    failure_text,
    os_error_in,
    os_reason,
    redact_literals,
)
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


@pytest.mark.parametrize("message, redacted", [
    ("ORA-01722: invalid number near 'JOSÉ'", "ORA-01722: invalid number near '…'"),
    ("Could not convert string 'O'BRIEN' to INT32", "Could not convert string '…' to INT32"),
    ('Conversion Error: date field value out of range: "1990-02-30"',
     'Conversion Error: date field value out of range: "…"'),
    ("Conversion Error: invalid date field format: \"SMITH\", expected format is (%Y-%m-%d)",
     "Conversion Error: invalid date field format: \"…\", expected format is (%Y-%m-%d)"),
    ("value 'MARIA is open to the end", "value '…'"),
    ("Could not parse string using format\n1990-02-30 is the value", "Could not parse string using format"),
    ("ORA-12170: TNS:Connect timeout occurred", "ORA-12170: TNS:Connect timeout occurred"),
])
def test_quoted_text_and_later_lines_are_blanked(message, redacted):
    assert redact_literals(message) == redacted


@pytest.mark.parametrize("query, driver_error", [
    ("select cast(first_name as integer) from caps.people", "ConversionException"),  # '…' quotes
    ("select cast(birth as date) from caps.people", "ConversionException"),          # "…" quotes
    ("select strptime(birth, '%Y%m%d') from caps.people", "InvalidInputException"),  # a later line
])
def test_a_driver_error_quoting_a_value_reaches_nobody(tmp_path, query, driver_error):
    path = tmp_path / "caps.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table people as select 'O''BRIEN' as first_name, '1990-02-30' as birth")
    warehouse = WarehouseResource(driver="duckdb", duckdb_path=str(path), fetch_batch_rows=100, export_sql="select 1",
                                  sa_98_sql="select 1", county_region_sql="select 1")
    with pytest.raises(DatabaseError) as raised:
        warehouse.query("sa_98", query, {})
    text = str(raised.value)
    assert text.startswith(f"query 'sa_98' failed: {driver_error}: "), text
    assert "BRIEN" not in text and "1990" not in text and "02-30" not in text, text
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_an_unreachable_oracle_is_one_of_our_errors_naming_the_dsn():
    # The real driver in thin mode, against a loopback port where nothing listens.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    warehouse = WarehouseResource(driver="oracle", dsn=f"127.0.0.1:{port}/CAPS", user="dps_reader",
                                  password="not-logged", fetch_batch_rows=100, export_sql="select 1 from dual",
                                  sa_98_sql="select 1 from dual", county_region_sql="select 1 from dual")
    with pytest.raises(DatabaseError) as raised:
        warehouse.query("county_region", "select cnty_name from caps.cnty_reg_tableau", {})
    text = str(raised.value)
    assert text.startswith(f"cannot connect to Oracle at 127.0.0.1:{port}/CAPS as dps_reader: ")
    assert "DPY-" in text and "not-logged" not in text
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


@pytest.mark.parametrize("error_class", [DatabaseError, dps_assets.config.schema.ConfigError,
                                         dps_assets.resources.sftp.SftpError])
def test_every_message_of_ours_is_capped_when_made(error_class):
    long_line = error_class("query 'export' failed: " + "x" * 1_000_000)
    text = str(long_line)
    assert len(text) < 450 and text.endswith("… (999623 more characters)"), text[-60:]
    many_lines = str(error_class("\n".join(f"problem {i}" for i in range(1000))))
    assert many_lines.splitlines()[:2] == ["problem 0", "problem 1"]
    assert len(many_lines.splitlines()) == 41 and many_lines.endswith("… and 960 more line(s)")
    assert str(error_class("short\nmessage")) == "short\nmessage"


def test_a_megabyte_field_in_a_dps_file_is_not_quoted_whole():
    # A 1 MB value in a DPS file once became a 1,000,353-character log line.
    data = b"MEASURE|COUNT\r\nRECORDS_RECEIVED|" + b"x" * 1_000_000 + b"\r\n"
    with pytest.raises(dps_assets.core.dps_files.reading.DpsFileError) as raised:
        dps_assets.core.dps_files.reading.parse_counts(data, "Dfps-missing-person-counts.txt")
    text = str(raised.value)
    assert len(text) < 450 and text.startswith("Dfps-missing-person-counts.txt, line 2, column COUNT")
    assert len(failure_text("DpsFileError", text)) < 450


def test_an_operating_system_error_is_repeated_capped():
    error = FileNotFoundError(2, "No such file or directory", "/archive/" + "d" * 1_000_000)
    text = failure_text(type(error).__name__, str(error))
    assert text.startswith("FileNotFoundError: [Errno 2] No such file or directory: '/archive/ddd")
    assert len(text) < 450 and "more characters)" in text


def test_the_operating_systems_error_is_found_however_a_library_wrapped_it():
    full = OSError(errno.ENOSPC, "No space left on device")
    assert os_error_in(full) is full
    assert os_error_in(FileCreateError(full)) is full  # XlsxWriter keeps it as its argument
    try:
        try:
            raise full
        except OSError as exc:
            raise ValueError("PLANTEDNAME") from exc  # as openpyxl or pandas might
    except ValueError as wrapped:
        assert os_error_in(wrapped) is full
    try:
        try:
            raise full
        except OSError:
            raise KeyError("PLANTEDNAME")  # noqa: B904 - raised while handling it: its context, the case under test
    except KeyError as handling:
        assert os_error_in(handling) is full
    assert os_error_in(ValueError("PLANTEDNAME")) is None
    assert os_error_in(OSError("no errno")) is None


@pytest.mark.parametrize("code, reason", [
    (errno.ENOSPC, "disk full (ENOSPC)"),
    (errno.EDQUOT, "disk full: quota exceeded (EDQUOT)"),
    (errno.EACCES, "permission denied (EACCES)"),
    (errno.EPERM, "permission denied (EPERM)"),
    (errno.EIO, "Input/output error (EIO)"),
])
def test_an_operating_system_error_is_said_in_our_words_never_in_its_own_message(code, reason):
    # Whoever raised it wrote its message (a library may put a value there): only its code counts.
    assert os_reason(OSError(code, "PLANTEDNAME 2010-03-04", "/archive/end_export.xlsx")) == reason
