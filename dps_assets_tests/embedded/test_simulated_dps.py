"""The simulated DPS answers the way the contract says DPS does."""


import pytest

from dps_assets.core.dps_files.reading import parse_counts, parse_results, reconcile
from dps_assets.core.exchange.quarters import FiscalQuarter
from dps_assets.embedded.simulated_dps import build_answer, infer_quarter, load_tcic, submitted_ids
from dps_assets_tests.conftest import TODAY


def population(warehouse, quarter) -> list[int]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as caps (read_only)")
    rows = con.execute("select distinct person_id from caps.cvs_episode where cvs_start <= ? and "
                       "(cvs_end is null or cvs_end >= ?) order by 1",
                       [quarter.window_end, quarter.window_start]).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize("quarter", [FiscalQuarter(2026, 4), FiscalQuarter(2026, 2)])
def test_the_requested_quarter_is_recognised(embedded_data, quarter):
    ids = population(embedded_data / "caps.duckdb", quarter)[5:]  # a few rejected rows missing
    assert infer_quarter(ids, embedded_data / "caps.duckdb", TODAY) == quarter


def test_the_answer_parses_and_reconciles(embedded_data):
    quarter = FiscalQuarter(2026, 4)
    ids = population(embedded_data / "caps.duckdb", quarter)
    request = ("DFPS_PERSON_ID|LAST_NAME\r\n" + "".join(f"{i}|X\r\n" for i in ids)).encode()
    assert submitted_ids(request) == ids
    answer = build_answer(ids, load_tcic(embedded_data / "tcic.duckdb"), quarter)
    assert answer.results.startswith(b"\xef\xbb\xbf")
    results = parse_results(answer.results, "results")
    counts = parse_counts(answer.counts, "counts")
    assert reconcile(counts, results, len(ids)).holds
    outside = ~results["MISSING_DATE"].dt.date.between(quarter.window_start, quarter.window_end)
    assert 0 < outside.sum() <= max(1, len(results) // 20)
    assert results["NIC"].is_monotonic_increasing
    assert set(results["DFPS_PERSON_ID"]) <= set(ids)


def test_corrupted_counts_do_not_reconcile(embedded_data):
    quarter = FiscalQuarter(2026, 4)
    ids = population(embedded_data / "caps.duckdb", quarter)
    answer = build_answer(ids, load_tcic(embedded_data / "tcic.duckdb"), quarter, corrupt_counts=True)
    results = parse_results(answer.results, "results")
    assert not reconcile(parse_counts(answer.counts, "counts"), results, len(ids)).holds
