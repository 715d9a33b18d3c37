"""A small gazetteer: a converted house with flats 4, 4A and 4B, a block, and houses on two streets."""

from __future__ import annotations

import io

import pytest

from apps.gazetteer.services import gazetteer_import

HEADER = "uprn,parent_uprn,sub_building,building_name,building_number,street,locality,town,postcode,easting,northing\n"
ROWS = [
    "100,,,,10,Murphy Avenue,Easton,Bristol,BS5 6AB,360000,173000",
    "101,100,Flat 4,,10,Murphy Avenue,Easton,Bristol,BS5 6AB,,",
    "102,100,Flat 4A,,10,Murphy Avenue,Easton,Bristol,BS5 6AB,,",
    "103,100,Flat 4B,,10,Murphy Avenue,Easton,Bristol,BS5 6AB,,",
    "110,,,,12,Murphy Avenue,Easton,Bristol,BS5 6AB,,",
    "111,,,,21,Murphy Avenue,Easton,Bristol,BS5 6AD,,",
    "200,,,Heron Court,,Church Road,Redland,Bristol,BS6 7UH,,",
    "201,200,Flat 1,Heron Court,,Church Road,Redland,Bristol,BS6 7UH,,",
    "202,200,Flat 2,Heron Court,,Church Road,Redland,Bristol,BS6 7UH,,",
    "300,,,,9,Church Road,Redland,Bristol,BS6 7UJ,,",
]


def gazetteer_csv(rows=ROWS, header=HEADER) -> bytes:
    return (header + "\n".join(rows) + "\n").encode()


@pytest.fixture
def gazetteer(db):
    return gazetteer_import(path_or_file=io.BytesIO(gazetteer_csv()), filename="llpg.csv")
