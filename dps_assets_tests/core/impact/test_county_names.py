"""County names compared as spec §5 says: folded like person names, a trailing word COUNTY
dropped after a space or a hyphen, only A-Z kept."""

import pytest

from dps_assets.core.impact.names import county_key


@pytest.mark.parametrize("spelling, key", [
    ("Travis County", "TRAVIS"), ("Travis-County", "TRAVIS"), ("TRAVIS COUNTY ", "TRAVIS"),
    ("travis - county", "TRAVIS"), ("SAN SABÁ-COUNTY", "SANSABA"), ("De Witt", "DEWITT"),
    ("DeWitt County", "DEWITT"), ("Doña Ana", "DONAANA"),
    ("TravisCounty", "TRAVISCOUNTY"),  # no space or hyphen before COUNTY: not the suffix
])
def test_county_spellings_fold_to_one_key(spelling, key):
    assert county_key(spelling) == key
