import pytest

from dps_assets.resources.database import DatabaseError, WarehouseResource, bind_names, duckdb_bind_syntax


def test_oracle_binds_become_duckdb_binds_outside_quotes():
    sql = "select ':not_a_bind', \"x:y\" from t where a <= :window_end and b::date >= :window_start"
    assert duckdb_bind_syntax(sql) == (
        "select ':not_a_bind', \"x:y\" from t where a <= $window_end and b::date >= $window_start")
    assert bind_names(sql) == {"window_end", "window_start"}


def test_a_bind_in_a_comment_is_no_bind():
    sql = "select 1 -- :window_start\nfrom t where a <= :window_end /* and b >= :window_start */"
    assert bind_names(sql) == {"window_end"}
    assert duckdb_bind_syntax(sql) == sql.replace("<= :window_end", "<= $window_end")


def test_binds_must_match_the_query():
    warehouse = WarehouseResource(driver="duckdb", duckdb_path="/nonexistent", fetch_batch_rows=100,
                                  export_sql="select :a", sa_98_sql="select 1", county_region_sql="select 1")
    with pytest.raises(DatabaseError, match=r"uses binds \['a'\] but was given \['b'\]"):
        warehouse.query("export", "select :a", {"b": 1})
