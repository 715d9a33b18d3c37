"""Read a gazetteer CSV whole and check every row before anything is written.

Columns (header names as below, any order; others ignored): ``uprn`` (required), ``parent_uprn``,
``sub_building``, ``building_name``, ``building_number``, ``street`` (required), ``locality``,
``town`` (required), ``postcode``, ``easting``, ``northing`` (optional, British National Grid
metres, both or neither). A row needs a building name or number (BS7666's primary addressable
object). A flat without ``parent_uprn`` gets the UPRN of the entry for its building (same name,
number, street and postcode, no sub-building) when the file has one.

Problems name row, column and reason, never the value. No database access.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field

from apps.common.identifiers import uprn_normalise
from apps.sources.normalise import postcode_normalise
from apps.sources.problems import ProblemLog

COLUMNS = ("uprn", "parent_uprn", "sub_building", "building_name", "building_number", "street", "locality", "town",
           "postcode", "easting", "northing")
REQUIRED = ("uprn", "street", "town")
LIMITS = {"sub_building": 100, "building_name": 100, "building_number": 20, "street": 150, "locality": 100,
          "town": 100}


@dataclass
class ParsedGazetteer:
    rows: list[dict] = field(default_factory=list)
    problems: ProblemLog = field(default_factory=ProblemLog)
    checksum: str = ""


def gazetteer_read(binary, *, progress=None, every: int = 50_000) -> ParsedGazetteer:
    """Parse and check a gazetteer file (a binary file object). ``progress("checked", n)`` every ``every`` rows."""
    result = ParsedGazetteer()
    problems = result.problems
    digest = hashlib.sha256()

    def chunks():
        for block in iter(lambda: binary.read(1 << 20), b""):
            digest.update(block)
            yield block

    text = io.TextIOWrapper(_Joined(chunks()), encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(text)
        header = [h.strip().lower() for h in next(reader, [])]
        missing = [c for c in REQUIRED if c not in header]
        for column in missing:
            problems.add(0, column, "required column missing from the header")
        if missing:
            return result
        at = {c: header.index(c) for c in COLUMNS if c in header}
        seen: dict[str, int] = {}
        for row_number, row in enumerate(reader, start=2):
            if progress and (row_number - 1) % every == 0:
                progress("checked", row_number - 1)
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.add(row_number, "", f"has {len(row)} fields, the header has {len(header)}")
                continue
            values = {c: row[i].strip() for c, i in at.items()}
            parsed = _row(row_number, values, problems)
            if parsed is None:
                continue
            if parsed["uprn"] in seen:
                problems.add(row_number, "uprn", f"the same UPRN is on row {seen[parsed['uprn']]}")
                continue
            seen[parsed["uprn"]] = row_number
            parsed["_row"] = row_number
            result.rows.append(parsed)
    except UnicodeDecodeError:
        problems.add(None, "", "the file is not UTF-8 text")
    except csv.Error as exc:
        problems.add(None, "", f"not a readable CSV file ({exc})")
    _parents(result)
    result.checksum = digest.hexdigest()
    return result


def _row(row_number: int, values: dict, problems: ProblemLog) -> dict | None:
    before = problems.total
    out = {c: values.get(c, "") for c in COLUMNS}
    for column in REQUIRED:
        if not out[column]:
            problems.add(row_number, column, "required and empty")
    for column in ("uprn", "parent_uprn"):
        if out[column]:
            try:
                out[column] = uprn_normalise(out[column])
            except ValueError as exc:
                problems.add(row_number, column, str(exc))
    if out["postcode"]:
        try:
            out["postcode"] = postcode_normalise(out["postcode"])
        except ValueError as exc:
            problems.add(row_number, "postcode", str(exc))
    if not out["building_name"] and not out["building_number"]:
        problems.add(row_number, "building_number", "a property needs a building name or number")
    for column, limit in LIMITS.items():
        if len(out[column]) > limit:
            problems.add(row_number, column, f"longer than {limit} characters")
    for column in ("easting", "northing"):
        if out[column]:
            try:
                out[column] = float(out[column])
            except ValueError:
                problems.add(row_number, column, "not a number")
        else:
            out[column] = None
    if (out["easting"] is None) != (out["northing"] is None) and problems.total == before:
        problems.add(row_number, "northing" if out["northing"] is None else "easting",
                     "coordinates need both easting and northing")
    if out["parent_uprn"] and out["parent_uprn"] == out["uprn"]:
        problems.add(row_number, "parent_uprn", "a property cannot be its own parent")
    return out if problems.total == before else None


def _parents(result: ParsedGazetteer) -> None:
    """Every parent UPRN names a row of the file; a flat without one gets its building's entry, if any."""
    uprns = {r["uprn"] for r in result.rows}
    buildings = {(r["building_name"].upper(), r["building_number"].upper(), r["street"].upper(), r["postcode"]): r["uprn"]
                 for r in result.rows if not r["sub_building"]}
    for r in result.rows:
        if r["parent_uprn"]:
            if r["parent_uprn"] not in uprns:
                result.problems.add(r["_row"], "parent_uprn", "no row of the file has this UPRN")
        elif r["sub_building"]:
            r["parent_uprn"] = buildings.get(
                (r["building_name"].upper(), r["building_number"].upper(), r["street"].upper(), r["postcode"]), "")


class _Joined(io.RawIOBase):
    """A readable stream over an iterator of byte blocks (so the checksum is taken as the file is read)."""

    def __init__(self, blocks):
        self._blocks = iter(blocks)
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            try:
                self._left = next(self._blocks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._left))
        buffer[:n] = self._left[:n]
        self._left = self._left[n:]
        return n

