"""Run the generator: truth, events, one extract per dataset descriptor, ground truth and manifest."""

from __future__ import annotations

import csv
import hashlib
import json
import time
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path

from apps.sources.descriptors import DESCRIPTOR_DIR, default_specs

from .events import EventBuilder
from .extracts import ExtractWriter, KeyRegistry, dataset_rows
from .geography import GAZETTEER_COLUMNS
from .noise import NoiseRates
from .population import SCALES, Population

DEFAULT_AS_OF = date(2025, 7, 31)  # the extract date: the end of an academic year
GROUND_TRUTH_DIR = "ground_truth"
GAZETTEER_FILE = "gazetteer.csv"  # the council's LLPG for the city, beside the extracts (manage.py import_gazetteer)


def generate(*, out: Path, scale: str = "small", seed: int = 42, people: int | None = None,
             rates: NoiseRates | None = None, as_of: date = DEFAULT_AS_OF, progress=None,
             datasets_dir: Path = DESCRIPTOR_DIR) -> dict:
    """Write the extracts into ``out`` and return the manifest (also written to ``out/manifest.json``).

    One extract per descriptor of ``datasets_dir`` (the default datasets unless told): its columns in its
    order, under the agency's own header names, its dates in its format.

    The same seed, scale, people, rates and as_of give byte-identical CSV files;
    only ``manifest.json`` differs, by its timing fields.
    """
    started = time.perf_counter()
    rates = rates or NoiseRates()
    report = progress or (lambda stage, **counts: None)
    preset = SCALES[scale]
    target_people = people or preset.people
    target_families = round(preset.families * target_people / preset.people)
    out = Path(out)
    truth_dir = out / GROUND_TRUTH_DIR
    truth_dir.mkdir(parents=True, exist_ok=True)

    population = Population(seed=seed, people=target_people, families=target_families, as_of=as_of,
                            progress=report).build()
    with (out / GAZETTEER_FILE).open("w", encoding="utf-8", newline="") as handle:
        gazetteer = csv.writer(handle, lineterminator="\n")
        gazetteer.writerow(GAZETTEER_COLUMNS)
        gazetteer.writerows(population.addresses.gazetteer_rows(seed))
    report("gazetteer", file=GAZETTEER_FILE)
    events = EventBuilder(population).build()
    report("events", rows=sum(len(v) for v in events.events.values()) + len(events.custody))

    keys = KeyRegistry(population.rng)
    datasets: dict[str, dict] = {}
    with (truth_dir / "records.csv").open("w", encoding="utf-8", newline="") as handle:
        truth_writer = csv.writer(handle, lineterminator="\n")
        truth_writer.writerow(("dataset", "source_key", "person_id", "noise", "uprn"))
        for spec in default_specs(datasets_dir).values():
            writer = ExtractWriter(spec=spec, out_dir=out, seed=seed, rates=rates, keys=keys,
                                   truth_writer=truth_writer, population=population)
            count = writer.write(dataset_rows(writer, events))
            datasets[spec.code] = {"file": writer.path.name, "rows": count.rows, "records": count.records}
            report("dataset", dataset=spec.code, rows=count.rows, records=count.records)
    _write_truth(truth_dir, population)
    report("ground truth", people=len(population.people))

    for entry in datasets.values():
        entry["sha256"] = _sha256(out / entry["file"])
    manifest = {
        "generator": "apps.sources.synth",
        "seed": seed,
        "scale": scale,
        "as_of": as_of.isoformat(),
        "people": len(population.people),
        "households": len(population.households),
        "families": sum(h.is_family for h in population.households),
        "schools": len(population.schools),
        "pupils": sum(1 for p in population.people if p.attendance_rate is not None),
        "rows_total": sum(d["rows"] for d in datasets.values()),
        "noise_rates": asdict(rates),
        "datasets": datasets,
        "gazetteer": {"file": GAZETTEER_FILE, "sha256": _sha256(out / GAZETTEER_FILE)},
        "ground_truth": sorted(p.name for p in truth_dir.iterdir()),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_seconds": round(time.perf_counter() - started, 2),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_truth(truth_dir: Path, pop: Population) -> None:
    """people.csv, households.csv, addresses.csv, schools.csv and neet_cohort.csv: for evaluation only."""
    current_household = {}
    for household in pop.households:
        for membership in household.members:
            if membership.date_to is None:
                current_household[membership.person.index] = household.id
    with (truth_dir / "people.csv").open("w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle, lineterminator="\n")
        w.writerow(("person_id", "forename", "middle_names", "surname", "previous_surname", "sex", "date_of_birth",
                    "ethnicity", "nhs_number", "ni_number", "upn", "household_id", "trouble", "disengagement",
                    "known_as"))
        for p in pop.people:
            w.writerow((p.id, p.forename, p.middle_names, p.surname, p.previous_surname, p.sex,
                        p.date_of_birth.isoformat(), p.ethnicity, p.nhs_number, p.ni_number, p.upn,
                        current_household.get(p.index, ""), f"{p.trouble:.3f}", f"{p.disengagement:.3f}",
                        p.middle_names.split(" ", 1)[0] if p.known_by_middle_name else ""))
    with (truth_dir / "households.csv").open("w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle, lineterminator="\n")
        w.writerow(("household_id", "is_family", "person_id", "role", "date_from", "date_to", "trouble",
                    "council_tenant", "workless"))
        for h in pop.households:
            for m in h.members:
                w.writerow((h.id, int(h.is_family), m.person.id, m.role, m.date_from.isoformat(),
                            m.date_to.isoformat() if m.date_to else "", f"{h.trouble:.3f}", int(h.council_tenant),
                            int(h.workless)))
    with (truth_dir / "addresses.csv").open("w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle, lineterminator="\n")
        w.writerow(("person_id", "uprn", "sub_building", "building_name", "number", "street", "locality", "town",
                    "postcode", "area", "date_from", "date_to"))
        for p in pop.people:
            for a, begin, end in p.spells:
                w.writerow((p.id, a.uprn, a.sub_building, a.building_name, a.number, a.street, a.locality, "Bristol",
                            a.postcode, a.area, begin.isoformat(), end.isoformat() if end else ""))
    with (truth_dir / "schools.csv").open("w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle, lineterminator="\n")
        w.writerow(("urn", "la_establishment", "name", "phase", "district", "area"))
        for s in pop.schools:
            w.writerow((s.urn, f"801{s.establishment}", s.name, s.phase, s.district, s.area))
    with (truth_dir / "neet_cohort.csv").open("w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle, lineterminator="\n")
        w.writerow(("person_id", "date_of_birth", "academic_age", "activity_16", "activity_17", "activity_18",
                    "sen", "fixed_exclusions", "permanently_excluded", "trouble", "disengagement"))
        for p in pop.people:
            if p.activity:
                w.writerow((p.id, p.date_of_birth.isoformat(), pop.academic_age(p), p.activity.get(16, ""),
                            p.activity.get(17, ""), p.activity.get(18, ""), p.sen[-1][0] if p.sen else "N",
                            sum(e.kind == "FIXED" for e in p.exclusions), int("permanently-excluded" in p.flags),
                            f"{p.trouble:.3f}", f"{p.disengagement:.3f}"))
