"""A date format that loses part of a date, and a query that lacks the binds a run gives it, are
refused when the configuration loads, naming the file and the key, not when a quarter runs."""

from datetime import date
from pathlib import Path

import pytest

from dps_assets.config.schema import load_config
from dps_assets.config.sql import GIVEN_BINDS, bind_names
from dps_assets_tests.config.test_config_values import loads, refusal

REPO = Path(__file__).resolve().parents[2]
WHOLE_DATES = ("export_layout.date_format: Value error, must write the year (%Y, 4 digits), the month (%m) "
               "and the day (%d) once each")


@pytest.mark.parametrize("date_format", ["%d/%m", "%m%d", "%Y%m", "%y%m%d", "%Y%m%d%Y", "%Y-%m-%d %H:%M",
                                         "%d %B %Y", "%Y%m%d%", "%Y%m%%d", "%C%y%m%d", "%Y%m%e", "%-m/%-d/%Y"])
def test_a_date_format_that_loses_the_year_month_or_day_is_refused(tmp_path, date_format):
    assert WHOLE_DATES in refusal(tmp_path, "export_layout", "date_format", date_format)


@pytest.mark.parametrize("date_format", ["%Y%m%dé", "%Y\t%m%d"])
def test_a_date_format_is_printable_ascii(tmp_path, date_format):
    text = refusal(tmp_path, "export_layout", "date_format", date_format)
    assert "export_layout.date_format: Value error, must be printable ASCII" in text


def test_a_date_format_that_writes_the_delimiter_is_refused(tmp_path):
    text = refusal(tmp_path, "export_layout", "date_format", "%Y|%m|%d")
    assert "export_layout: Value error, date_format writes the delimiter" in text


@pytest.mark.parametrize("date_format, written", [("%Y%m%d", "20010203"), ("%m/%d/%Y", "02/03/2001"),
                                                  ("%d.%m.%Y", "03.02.2001"), ("%Y-%m-%d", "2001-02-03"),
                                                  ("DOB %Y%%%m%d", "DOB 2001%0203")])
def test_a_date_format_with_year_month_and_day_loads(tmp_path, date_format, written):
    config = loads(tmp_path, "export_layout", "date_format", date_format)
    assert date(2001, 2, 3).strftime(config.export_layout.date_format) == written


EXPORT = """select person_id, first_name, middle_name, last_name, dob, sex, race, cnty_name, cvs_start, cvs_end
  from caps.person join caps.cvs_episode using (person_id)
 where cvs_start <= {end} and cvs_end >= {start}"""


@pytest.mark.parametrize("key, sql, missing", [
    ("export", EXPORT.format(start="date '2025-01-01'", end=":window_end"), ":window_start"),
    ("export", EXPORT.format(start=":window_start", end="':window_end'"), ":window_end"),  # a literal
    ("export", EXPORT.format(start=":window_start -- :window_end", end="sysdate"), ":window_end"),  # a comment
    ("export", EXPORT.format(start="/* :window_start */ sysdate", end="sysdate"), ":window_start, :window_end"),
    ("export", EXPORT.format(start=":WINDOW_START", end=":window_end"), ":window_start"),  # as the driver matches
    ("sa_98", "select * from caps.qtr_dps_cvs_pkg.get_sa_98(:fy_start_dt, sysdate)", ":fy_end_dt"),
])
def test_a_query_that_lacks_a_bind_it_is_given_is_refused(tmp_path, key, sql, missing):
    text = refusal(tmp_path, "sql", key, sql)
    assert f"sql.{key}: Value error, lacks the bind(s) {missing}: the query is given " in text


@pytest.mark.parametrize("key, sql, given", [
    ("export", EXPORT.format(start=":window_start", end=":window_end and :hunter2 = 1"),
     ":window_start and :window_end"),
    ("county_region", "select cnty_name, sub_reg from caps.cnty_reg_tableau where sub_reg = :hunter2",
     "no binds"),
])
def test_a_query_that_uses_a_bind_it_is_not_given_is_refused_without_naming_it(tmp_path, key, sql, given):
    text = refusal(tmp_path, "sql", key, sql)
    assert f"sql.{key}: Value error, uses 1 bind(s) it is not given: the query is given {given}" in text
    assert "hunter2" not in text


def test_the_shipped_queries_use_exactly_the_binds_they_are_given():
    for name in ("dps_config.yml", "dps_config.demo.yml"):
        sql = load_config(REPO / name).sql
        assert {key: bind_names(getattr(sql, key)) for key in GIVEN_BINDS} == {
            key: set(binds) for key, binds in GIVEN_BINDS.items()}
