"""Dataset descriptors: a dataset's whole definition as one JSON document.

A descriptor is a Frictionless Table Schema (``schema.fields``: name, type,
format, ``constraints.required``, ``constraints.enum`` code lists) plus what
ThinkFamily needs to know about the dataset: provider, section, legal gateways,
retention, validated, cadence, trust rank, fact kind, the event types it may
carry and the indicator each records, its date format, what a bad row does
(``bad_rows``) and, per column, the agency's own header name (``agency_header``).

The defaults (the Bristol datasets) are one file each in ``fixtures/datasets/``,
loaded into ``Dataset.descriptor`` once (``reference.py``); from then on the
database row is the definition, edited on the datasets page. This module needs
no database: the synthetic generator reads the files through it.

``descriptor_errors(descriptor, known=...)`` gives every problem as a sentence
naming where it is (``schema.fields[3].type: ...``); ``spec_from_descriptor``
turns a valid descriptor into the ``DatasetSpec`` the import, the projection and
the generator read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import jsonschema

from .catalogue import (
    BASE_IDENTITY_COLUMNS,
    DATE_FORMATS,
    FACT_KINDS,
    IDENTIFIER_COLUMNS,
    IDENTITY_COLUMNS,
    KNOWN_COLUMN_TYPES,
    MONTH_FORMAT,
    DatasetSpec,
)

DESCRIPTOR_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "datasets"
DESCRIPTOR_PROFILE = "thinkfamily-dataset-1"
CADENCES = ("daily", "weekly", "monthly", "termly", "adhoc")
BAD_ROWS = ("reject", "quarantine")
FIELD_TYPES = ("string", "integer", "date", "yearmonth")
# Facts the projection reads by event type that are not indicators of the catalogue themselves.
FACT_EVENT_TYPES = ("birth-of-child", "neet-status", "cse-flag", "cce-flag", "county-lines-link", "early-help-episode")
# The column a row's fact is "on", per kind: every dataset of that kind has it.
FACT_DATE_COLUMN = {
    "event": "event_date", "attendance": "month", "enrolment": "date_from", "exclusion": "start_date",
    "residence": "date_from", "custody": "custody_start", "sen": "recorded_on",
}
_SLUG = r"^[a-z0-9][a-z0-9-]*$"
_COLUMN = r"^[a-z][a-z0-9_]*$"

SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "ThinkFamily dataset descriptor",
    "type": "object",
    "required": ["profile", "version", "code", "name", "provider", "category", "section", "gateways", "fact_kind",
                 "date_format", "bad_rows", "schema"],
    "additionalProperties": False,
    "properties": {
        "profile": {"const": DESCRIPTOR_PROFILE},
        "version": {"type": "integer", "minimum": 1},
        "code": {"type": "string", "pattern": _SLUG, "maxLength": 60},
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": "string"},
        "provider": {"type": "string", "minLength": 1, "maxLength": 20},
        "category": {"type": "string", "pattern": _SLUG},
        "section": {"type": "string", "pattern": _SLUG},
        "gateways": {"type": "array", "items": {"type": "integer", "minimum": 1}, "uniqueItems": True},
        "retention_days": {"type": "integer", "minimum": 1},
        "validated": {"type": "boolean"},
        "cadence": {"enum": list(CADENCES)},
        "trust_rank": {"type": "integer", "minimum": 0, "maximum": 32767},
        "fact_kind": {"enum": list(FACT_KINDS)},
        "date_format": {"enum": list(DATE_FORMATS)},
        "bad_rows": {"enum": list(BAD_ROWS)},
        "event_types": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code"],
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "minLength": 1, "maxLength": 40},
                    "indicator": {"type": ["string", "null"]},
                },
            },
        },
        "schema": {
            "type": "object",
            "required": ["fields"],
            "additionalProperties": False,
            "properties": {
                "fields": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["name", "type"],
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string", "pattern": _COLUMN, "maxLength": 60},
                            "type": {"enum": list(FIELD_TYPES)},
                            "format": {"type": "string"},
                            "description": {"type": "string"},
                            "agency_header": {"type": "string", "minLength": 1, "maxLength": 100},
                            "constraints": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {
                                    "required": {"type": "boolean"},
                                    "enum": {"type": "array", "items": {"type": "string", "minLength": 1},
                                             "minItems": 1, "uniqueItems": True},
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


class DescriptorError(ValueError):
    """A descriptor that is not valid; ``errors`` lists every problem."""

    def __init__(self, errors: list[str], *, source: str = ""):
        self.errors = errors
        where = f"{source}: " if source else ""
        super().__init__(where + "; ".join(errors))


@dataclass(frozen=True)
class Known:
    """What a descriptor may refer to: organisation codes, section codes, gateway numbers, event-type targets.

    A set left as None is not checked (the generator, which has no database).
    """

    providers: frozenset[str] | None = None
    sections: frozenset[str] | None = None
    gateways: frozenset[int] | None = None
    indicators: frozenset[str] | None = None


def _where(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(descriptor)"


def descriptor_errors(descriptor, *, known: Known | None = None) -> list[str]:
    """Every problem of ``descriptor``, each naming where it is; [] when it is valid."""
    from .validation import excluded_name

    if not isinstance(descriptor, dict):
        return ["the descriptor must be a JSON object"]
    errors = [f"{_where(e.absolute_path)}: {e.message}"
              for e in sorted(_VALIDATOR.iter_errors(descriptor), key=lambda e: list(map(str, e.absolute_path)))]
    if errors:
        return errors  # the checks below read the structure the schema guarantees
    fields = descriptor["schema"]["fields"]
    names = [f["name"] for f in fields]
    kind, date_format = descriptor["fact_kind"], descriptor["date_format"]
    for name in sorted({n for n in names if names.count(n) > 1}):
        errors.append(f"schema.fields: column {name!r} appears more than once")
    headers = [(f.get("agency_header") or f["name"]).strip().lower() for f in fields]
    for header in sorted({h for h in headers if headers.count(h) > 1}):
        errors.append(f"schema.fields: header {header!r} is used by more than one column")
    if excluded_name(descriptor["code"]):
        errors.append("code: names data the information sharing agreement excludes")
    for i, f in enumerate(fields):
        at, name, ftype = f"schema.fields[{i}] ({f['name']})", f["name"], f["type"]
        if excluded_name(name) or excluded_name(f.get("agency_header", "")):
            errors.append(f"{at}: names data the information sharing agreement excludes")
        expected = KNOWN_COLUMN_TYPES.get(name)
        if expected is not None and ftype != expected:
            errors.append(f"{at}.type: {name} is a {expected} column, not {ftype}")
        if ftype == "date" and f.get("format", date_format) != date_format:
            errors.append(f"{at}.format: a date column is in the dataset's date format {date_format}")
        if ftype == "yearmonth" and f.get("format", MONTH_FORMAT) != MONTH_FORMAT:
            errors.append(f"{at}.format: a month column is written {MONTH_FORMAT}")
        if ftype in ("string", "integer") and "format" in f:
            errors.append(f"{at}.format: only date and month columns have a format")
        if f.get("constraints", {}).get("enum") and ftype != "string":
            errors.append(f"{at}.constraints.enum: only a text column has a code list")
    required = {f["name"] for f in fields if f.get("constraints", {}).get("required")}
    if "source_key" not in required:
        errors.append("schema.fields: source_key is required in every dataset (the agency's record key)")
    fact_date = FACT_DATE_COLUMN[kind]
    if fact_date not in names:
        errors.append(f"schema.fields: a {kind} dataset has the column {fact_date}")
    codes = [e["code"].strip().lower() for e in descriptor.get("event_types", [])]
    if kind == "event":
        if "event_type" not in required:
            errors.append("schema.fields: an event dataset has the required column event_type")
        if not codes:
            errors.append("event_types: an event dataset lists at least one event type")
    elif codes:
        errors.append(f"event_types: only an event dataset has event types, not a {kind} dataset")
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        errors.append(f"event_types: {code!r} appears more than once")
    for i, e in enumerate(descriptor.get("event_types", [])):
        if excluded_name(e["code"]):
            errors.append(f"event_types[{i}].code: names data the information sharing agreement excludes")
    if known is not None:
        errors += _reference_errors(descriptor, known)
    return errors


def _reference_errors(descriptor: dict, known: Known) -> list[str]:
    errors = []
    if known.providers is not None and descriptor["provider"] not in known.providers:
        errors.append(f"provider: {descriptor['provider']!r} is not an organisation")
    if known.sections is not None:
        for key in ("section", "category"):
            if descriptor[key] not in known.sections:
                errors.append(f"{key}: {descriptor[key]!r} is not a section")
    if known.gateways is not None:
        for number in descriptor["gateways"]:
            if number not in known.gateways:
                errors.append(f"gateways: {number} is not a legal gateway")
    if known.indicators is not None:
        for i, e in enumerate(descriptor.get("event_types", [])):
            if e.get("indicator") and e["indicator"] not in known.indicators:
                errors.append(f"event_types[{i}].indicator: {e['indicator']!r} is not an event indicator or fact")
    return errors


def descriptor_check(descriptor, *, known: Known | None = None, source: str = "") -> dict:
    """``descriptor`` if valid, else ``DescriptorError`` with every problem."""
    errors = descriptor_errors(descriptor, known=known)
    if errors:
        raise DescriptorError(errors, source=source)
    return descriptor


def descriptor_parse(text: str | bytes, *, known: Known | None = None, source: str = "") -> dict:
    """A descriptor from JSON text, checked; ``DescriptorError`` says what is wrong and where."""
    try:
        descriptor = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DescriptorError([f"not valid JSON ({exc})"], source=source) from None
    return descriptor_check(descriptor, known=known, source=source)


def descriptor_dumps(descriptor: dict) -> str:
    """The file form: two-space indented, keys in the order written, one trailing newline."""
    return json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"


def default_descriptors(directory: Path = DESCRIPTOR_DIR) -> list[dict]:
    """Every descriptor file of ``directory``, checked (no references: no database), in code order."""
    found = []
    for path in sorted(directory.glob("*.json")):
        descriptor = descriptor_parse(path.read_bytes(), source=path.name)
        if path.stem != descriptor["code"]:
            raise DescriptorError([f"the file is named {path.name} but describes {descriptor['code']!r}"],
                                  source=path.name)
        found.append(descriptor)
    return found


def default_specs(directory: Path = DESCRIPTOR_DIR) -> dict[str, DatasetSpec]:
    """code -> ``DatasetSpec`` of every descriptor file: what the generator and database-free code read."""
    return {d["code"]: spec_from_descriptor(d) for d in default_descriptors(directory)}


def spec_from_descriptor(descriptor: dict) -> DatasetSpec:
    fields = descriptor["schema"]["fields"]
    names = tuple(f["name"] for f in fields)
    event_types = descriptor.get("event_types", [])
    return DatasetSpec(
        code=descriptor["code"],
        name=descriptor["name"],
        provider=descriptor["provider"],
        category=descriptor["category"],
        section=descriptor["section"],
        gateways=tuple(descriptor["gateways"]),
        fact_kind=descriptor["fact_kind"],
        validated=descriptor.get("validated", True),
        cadence=descriptor.get("cadence", "monthly"),
        trust_rank=descriptor.get("trust_rank", 50),
        retention_days=descriptor.get("retention_days", 6 * 365),
        description=descriptor.get("description", ""),
        identifiers=tuple(n for n in names if n in IDENTIFIER_COLUMNS),
        fact_columns=tuple(n for n in names if n not in IDENTITY_COLUMNS),
        required=tuple(f["name"] for f in fields if f.get("constraints", {}).get("required")),
        event_types=tuple(e["code"].strip().lower() for e in event_types),
        date_format=descriptor["date_format"],
        bad_rows=descriptor.get("bad_rows", "reject"),
        header=names,
        agency_headers={f["name"]: f["agency_header"] for f in fields if f.get("agency_header")},
        code_lists={f["name"]: tuple(f["constraints"]["enum"]) for f in fields if f.get("constraints", {}).get("enum")},
        column_types={f["name"]: f["type"] for f in fields},
        event_indicators={e["code"].strip().lower(): e.get("indicator") or None for e in event_types},
        version=descriptor["version"],
    )


def descriptor_from_spec(spec: DatasetSpec) -> dict:
    """The descriptor of a ``DatasetSpec`` (how the default files were first written from the Python catalogue)."""
    fields = []
    for name in spec.columns:
        ftype = spec.column_types.get(name) or KNOWN_COLUMN_TYPES.get(name, "string")
        field: dict = {"name": name, "type": ftype}
        if ftype == "date":
            field["format"] = spec.date_format
        elif ftype == "yearmonth":
            field["format"] = MONTH_FORMAT
        if spec.agency_headers.get(name):
            field["agency_header"] = spec.agency_headers[name]
        constraints = {}
        if name in spec.required:
            constraints["required"] = True
        if name in spec.code_lists:
            constraints["enum"] = list(spec.code_lists[name])
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    descriptor = {
        "profile": DESCRIPTOR_PROFILE, "version": spec.version, "code": spec.code, "name": spec.name,
        "description": spec.description, "provider": spec.provider, "category": spec.category,
        "section": spec.section, "gateways": list(spec.gateways), "retention_days": spec.retention_days,
        "validated": spec.validated, "cadence": spec.cadence, "trust_rank": spec.trust_rank,
        "fact_kind": spec.fact_kind, "date_format": spec.date_format, "bad_rows": spec.bad_rows,
    }
    if spec.fact_kind == "event":
        descriptor["event_types"] = [{"code": c, "indicator": spec.event_indicators.get(c, c)} for c in spec.event_types]
    descriptor["schema"] = {"fields": fields}
    return descriptor


def descriptor_changes(old: dict, new: dict) -> list[str]:
    """What changed between two versions of a descriptor, one sentence per change (for the history)."""
    if not old:
        return ["defined"]
    changes = []
    for key in new:
        if key in ("schema", "version") or old.get(key) == new.get(key):
            continue
        if key == "event_types":
            before = {e["code"]: e.get("indicator") for e in old.get(key, [])}
            after = {e["code"]: e.get("indicator") for e in new.get(key, [])}
            changes += [f"event type {c} added" for c in after if c not in before]
            changes += [f"event type {c} removed" for c in before if c not in after]
            changes += [f"event type {c} records {after[c] or 'no indicator'} (was {before[c] or 'none'})"
                        for c in after if c in before and before[c] != after[c]]
        else:
            changes.append(f"{key.replace('_', ' ')}: {_short(old.get(key))} → {_short(new.get(key))}")
    for key in old:
        if key not in new and key not in ("schema", "version"):
            changes.append(f"{key.replace('_', ' ')} removed")
    before = {f["name"]: f for f in old.get("schema", {}).get("fields", [])}
    after = {f["name"]: f for f in new.get("schema", {}).get("fields", [])}
    changes += [f"column {n} added" for n in after if n not in before]
    changes += [f"column {n} removed" for n in before if n not in after]
    for name in after:
        if name in before and before[name] != after[name]:
            what = sorted({k for k in {*before[name], *after[name]} if before[name].get(k) != after[name].get(k)})
            changes.append(f"column {name}: {', '.join(what)} changed")
    if [n for n in before if n in after] != [n for n in after if n in before]:
        changes.append("columns reordered")
    return changes


def _short(value) -> str:
    text = "(none)" if value in (None, "", []) else ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def header_names(spec: DatasetSpec) -> tuple[str, ...]:
    """The header an agency writes: its own name for a column where the dataset has one, else ours."""
    return tuple(spec.agency_headers.get(c, c) for c in spec.columns)


def base_identity_fields() -> list[dict]:
    """The identity columns a new dataset starts with (the page's blank form)."""
    fields = []
    for name in BASE_IDENTITY_COLUMNS:
        field: dict = {"name": name, "type": KNOWN_COLUMN_TYPES[name]}
        if name in ("source_key", "surname"):
            field["constraints"] = {"required": True}
        fields.append(field)
    return fields
