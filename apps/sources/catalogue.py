"""What every dataset has in common: the identity columns, the column types, the fact kinds, the date formats.

A dataset's own definition (its columns, codes, event types, provider, section...)
is data, not code: a descriptor (``descriptors.py``), kept in the database and
edited on the datasets page; the defaults are the files of ``fixtures/datasets/``.
``DatasetSpec`` is the form the import, the projection and the generator read,
built from a descriptor by ``descriptors.spec_from_descriptor`` (from the database
by ``specs.dataset_spec``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Identity columns an extract may carry (which are required is per dataset).
IDENTITY_COLUMNS = (
    "source_key",
    "forename",
    "middle_names",
    "surname",
    "date_of_birth",
    "sex",
    "address",
    "postcode",
    "uprn",
    "nhs_number",
    "upn",
    "ni_number",
)
BASE_IDENTITY_COLUMNS = IDENTITY_COLUMNS[:8]
IDENTIFIER_COLUMNS = IDENTITY_COLUMNS[8:]

ISO_DATE = "%Y-%m-%d"
UK_DATE = "%d/%m/%Y"  # the police and Early Help Module extracts write dates this way
MONTH_FORMAT = "%Y-%m"  # dfe-attendance ``month``
# The date formats a dataset may declare (one per extract).
DATE_FORMATS = (ISO_DATE, UK_DATE, "%m/%d/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
DATE_FORMAT_LABELS = {
    ISO_DATE: "yyyy-mm-dd", UK_DATE: "dd/mm/yyyy", "%m/%d/%Y": "mm/dd/yyyy (US)", "%d-%m-%Y": "dd-mm-yyyy",
    "%d.%m.%Y": "dd.mm.yyyy", "%Y/%m/%d": "yyyy/mm/dd", MONTH_FORMAT: "yyyy-mm",
}
FACT_KINDS = ("event", "attendance", "enrolment", "exclusion", "residence", "custody", "sen")

# The type of every column the import and the projection know by name; a dataset may add columns of its own
# (text, whole numbers or dates), which are kept in the row's fact.
KNOWN_COLUMN_TYPES: dict[str, str] = {
    **{c: "string" for c in IDENTITY_COLUMNS},
    "date_of_birth": "date",
    **{c: "date" for c in ("event_date", "date_from", "date_to", "custody_start", "expected_release", "recorded_on",
                           "start_date", "closed_on")},
    "month": "yearmonth",
    **{c: "integer" for c in ("sessions_attended", "sessions_possible", "sessions")},
    **{c: "string" for c in ("event_type", "reference", "activity", "lead_professional", "establishment",
                             "school_urn", "school_name", "sen_status", "sen_type", "exclusion_type", "reason")},
}

SEX_CODES = ("M", "F", "U")  # U: not known or not stated
SEN_STATUS_CODES = ("N", "K", "E")  # no SEN, SEN support, education health and care plan
SEN_TYPE_CODES = ("SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD", "OTH", "NSA")
EXCLUSION_TYPE_CODES = ("FIXED", "PERMANENT")  # FIXED: suspension
EXCLUSION_REASON_CODES = ("PA", "PP", "VA", "VP", "BU", "RA", "SM", "DA", "DM", "TH", "PD", "OT")
NEET_ACTIVITY_CODES = ("EET", "NEET", "NOT-KNOWN")

# The code lists of the default descriptors (a descriptor carries its own, ``constraints.enum``).
CODE_LISTS: dict[str, tuple[str, ...]] = {
    "sex": SEX_CODES,
    "sen_status": SEN_STATUS_CODES,
    "sen_type": SEN_TYPE_CODES,
    "exclusion_type": EXCLUSION_TYPE_CODES,
    "reason": EXCLUSION_REASON_CODES,
    "activity": NEET_ACTIVITY_CODES,
}


@dataclass(frozen=True)
class DatasetSpec:
    code: str
    name: str
    provider: str  # Organisation code
    category: str  # indicator category code (fixtures/reference.json)
    section: str  # section code that decides who may see its facts
    gateways: tuple[int, ...]
    fact_kind: str  # one of FACT_KINDS
    validated: bool = True
    cadence: str = "monthly"
    trust_rank: int = 50
    retention_days: int = 6 * 365
    description: str = ""
    identifiers: tuple[str, ...] = ()  # optional identifier columns this agency sends
    fact_columns: tuple[str, ...] = ()
    required: tuple[str, ...] = ("source_key", "surname")
    event_types: tuple[str, ...] = field(default_factory=tuple)  # event_type codes an event row may carry (lower case)
    date_format: str = ISO_DATE  # strftime format of every date column in this extract
    bad_rows: str = "reject"  # reject | quarantine: what a row with a problem does to its file
    header: tuple[str, ...] = ()  # the columns in order; () for identity columns, identifiers, then facts
    agency_headers: dict[str, str] = field(default_factory=dict)  # our column -> the agency's header for it
    code_lists: dict[str, tuple[str, ...]] = field(default_factory=dict)  # column -> allowed codes
    column_types: dict[str, str] = field(default_factory=dict)  # column -> string | integer | date | yearmonth
    event_indicators: dict[str, str | None] = field(default_factory=dict)  # event type -> indicator (or fact) code
    version: int = 1

    @property
    def columns(self) -> tuple[str, ...]:
        """The extract's columns, in order."""
        if self.header:
            return self.header
        identifiers = tuple(c for c in IDENTIFIER_COLUMNS if c in self.identifiers)
        return BASE_IDENTITY_COLUMNS + identifiers + self.fact_columns

    @property
    def header_map(self) -> dict[str, str]:
        """The agency's header name (lower case) -> our column name."""
        return {header.strip().lower(): column for column, header in self.agency_headers.items()}

    def columns_of_type(self, column_type: str) -> frozenset[str]:
        return frozenset(c for c, t in self.column_types.items() if t == column_type)

    def indicator_of(self, event_type: str) -> str:
        """The event type (or fact) code a row's ``event_type`` records: the descriptor's mapping, else itself."""
        return self.event_indicators.get(event_type) or event_type
