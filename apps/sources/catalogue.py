"""The 35 source datasets and their import format.

This module is the single definition of each dataset's CSV columns: the
import validator, the synthetic generator and ``docs/data-formats.md`` all read
it. ``reference.sources_reference_load`` copies the descriptive fields into ``Dataset`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Identity columns every extract may carry (which are required is per dataset).
# Every extract carries the first eight; the last four identifiers only when the
# dataset lists them in ``DatasetSpec.identifiers``.
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

SEX_CODES = ("M", "F", "U")  # U: not known or not stated
SEN_STATUS_CODES = ("N", "K", "E")  # no SEN, SEN support, education health and care plan
SEN_TYPE_CODES = ("SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD", "OTH", "NSA")
EXCLUSION_TYPE_CODES = ("FIXED", "PERMANENT")  # FIXED: suspension
EXCLUSION_REASON_CODES = ("PA", "PP", "VA", "VP", "BU", "RA", "SM", "DA", "DM", "TH", "PD", "OT")
NEET_ACTIVITY_CODES = ("EET", "NEET", "NOT-KNOWN")

# Columns whose non-empty values must come from a fixed list, in any dataset that has them.
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
    fact_kind: str  # event | attendance | enrolment | exclusion | residence | custody | sen
    validated: bool = True
    cadence: str = "monthly"
    trust_rank: int = 50
    retention_days: int = 6 * 365
    description: str = ""
    identifiers: tuple[str, ...] = ()  # optional identifier columns this agency sends
    fact_columns: tuple[str, ...] = ()
    required: tuple[str, ...] = ("source_key", "surname")
    event_types: tuple[str, ...] = field(default_factory=tuple)  # event_type codes an event row may carry
    date_format: str = ISO_DATE  # strftime format of every date column in this extract
    bad_rows: str = "reject"  # "reject": a bad row refuses the file; "quarantine": load the good rows, keep the bad aside

    @property
    def columns(self) -> tuple[str, ...]:
        """The extract's header, in order: identity columns, the identifiers it sends, then its facts."""
        identifiers = tuple(c for c in IDENTIFIER_COLUMNS if c in self.identifiers)
        return BASE_IDENTITY_COLUMNS + identifiers + self.fact_columns


_POLICE = (1, 5, 9, 10, 11, 12)
_EVENT = ("event_date", "event_type", "reference")
_EVENT_REQUIRED = ("source_key", "surname", "event_date", "event_type")
_RESIDENCE_REQUIRED = ("source_key", "surname", "address", "postcode", "date_from")

DATASETS: tuple[DatasetSpec, ...] = (
    # Avon and Somerset Constabulary: dates as dd/mm/yyyy
    DatasetSpec("asc-asb-incidents", "Police ASB incidents", "ASC", "asb", "asb", _POLICE, "event",
                cadence="weekly", trust_rank=40, fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("person-committed-asb",), date_format=UK_DATE),
    DatasetSpec("asc-asb-team-subjects", "Subjects managed by the ASB team", "ASC", "asb", "asb", (1, 5, 7, 9, 10, 11, 12), "event",
                trust_rank=40, fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("subject-managed-by-asb-team",), date_format=UK_DATE),
    DatasetSpec("asc-offenders", "Police offender records", "ASC", "crime", "crime", _POLICE, "event",
                cadence="weekly", trust_rank=30, identifiers=("ni_number",), fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("person-committed-offence",), date_format=UK_DATE),
    DatasetSpec("asc-custody-releases", "Prison custody and release dates", "ASC", "crime", "crime", (1, 5, 7, 9, 10), "custody",
                trust_rank=30, identifiers=("ni_number",), fact_columns=("custody_start", "expected_release", "establishment"),
                required=("source_key", "surname", "custody_start"), date_format=UK_DATE),
    DatasetSpec("asc-orders-breaches", "Breaches of orders and injunctions", "ASC", "crime", "crime", (5, 7, 9, 10), "event",
                trust_rank=40, fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("breach-of-order-or-injunction",), date_format=UK_DATE),
    DatasetSpec("asc-youth-outcomes", "Youth cautions and restorative justice", "ASC", "crime", "crime", (5, 7, 9, 10), "event",
                trust_rank=40, fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("youth-caution-or-restorative-justice",), date_format=UK_DATE),
    DatasetSpec("asc-domestic-abuse", "Domestic abuse incidents", "ASC", "domestic-abuse", "domestic-abuse", (1, 4, 7, 9, 10, 11, 12), "event",
                cadence="weekly", trust_rank=40, fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("victim-of-dva", "perpetrator-of-dva", "involved-in-domestic-incident"), date_format=UK_DATE),
    DatasetSpec("asc-drugs-alcohol", "Drugs and alcohol incidents", "ASC", "substance-misuse", "substance-misuse", (1, 4, 7, 9, 10, 11, 12), "event",
                trust_rank=40, fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("drugs-and-alcohol-incident",), date_format=UK_DATE),
    DatasetSpec("asc-missing-persons", "Missing person reports", "ASC", "missing", "missing", (1, 2, 4, 6, 8, 9, 10, 11, 12), "event",
                cadence="weekly", trust_rank=40, fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("person-reported-missing",), date_format=UK_DATE),
    DatasetSpec("asc-exploitation-flags", "Exploitation (CSE/CCE) intelligence flags", "ASC", "risk-models", "risk-models", (1, 2, 4, 6, 7, 8, 9, 10, 11, 12), "event",
                trust_rank=40, fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("cse-flag", "cce-flag", "county-lines-link"), date_format=UK_DATE),
    # Bristol City Council
    DatasetSpec("bcc-asb-cases", "Council ASB cases", "BCC", "asb", "asb", _POLICE, "event",
                fact_columns=_EVENT, required=_EVENT_REQUIRED, event_types=("person-committed-asb",)),
    DatasetSpec("bcc-youth-offending", "Youth Offending Team caseload", "BCC", "crime", "crime", (5, 7, 9, 10), "event",
                fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("person-committed-offence", "youth-caution-or-restorative-justice")),
    DatasetSpec("bcc-substance-support", "Drug and alcohol support services", "BCC", "substance-misuse", "substance-misuse", (1, 7, 9, 10, 11, 12), "event",
                identifiers=("nhs_number",), fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("accessed-drug-or-alcohol-support",)),
    DatasetSpec("bcc-maternity-births", "Births to young parents", "BCC", "health", "health", (1, 2, 4, 6, 8, 9, 10, 11, 12), "event",
                identifiers=("nhs_number",), fact_columns=_EVENT, required=_EVENT_REQUIRED, event_types=("birth-of-child",),
                description="One row per birth, about the parent (mother or father) aged under 20 at the birth."),
    DatasetSpec("bcc-mental-health", "Mental health concerns", "BCC", "health", "health", (1, 7, 9, 10, 11, 12), "event",
                identifiers=("nhs_number",), fact_columns=_EVENT, required=_EVENT_REQUIRED, event_types=("mental-health-concern",)),
    DatasetSpec("bcc-neet-tracking", "Young people NEET tracking", "BCC", "financial-exclusion", "financial-exclusion", (1, 4, 6, 9, 10, 11, 12), "event",
                identifiers=("upn",), fact_columns=_EVENT + ("activity",), required=_EVENT_REQUIRED + ("activity",),
                event_types=("neet-status",),
                description="Activity of 16-18 year olds: activity EET (in education, employment or training), NEET or NOT-KNOWN."),
    DatasetSpec("bcc-benefit-cap", "Households affected by the benefit cap", "BCC", "financial-exclusion", "financial-exclusion", (1, 9, 10, 13), "event",
                identifiers=("ni_number",), fact_columns=_EVENT, required=_EVENT_REQUIRED, event_types=("adult-benefit-cap",)),
    DatasetSpec("bcc-rent-arrears", "Council tenants in rent arrears", "BCC", "financial-exclusion", "financial-exclusion", (1, 9, 10, 13), "event",
                identifiers=("uprn",), fact_columns=_EVENT, required=_EVENT_REQUIRED, event_types=("person-in-rent-arrears",)),
    DatasetSpec("bcc-housing-benefit", "Housing benefit and council tax reduction claims", "BCC", "financial-exclusion", "financial-exclusion", (1, 9, 10, 13), "residence",
                identifiers=("ni_number", "uprn"), trust_rank=20, fact_columns=("date_from", "date_to"), required=_RESIDENCE_REQUIRED),
    DatasetSpec("bcc-council-tax", "Council tax accounts", "BCC", "financial-exclusion", "financial-exclusion", (1, 9, 10, 13), "residence",
                identifiers=("uprn",), trust_rank=20, fact_columns=("date_from", "date_to"), required=_RESIDENCE_REQUIRED),
    DatasetSpec("bcc-housing-tenancies", "Council housing tenancies", "BCC", "service-involvement", "service-involvement", (1, 2, 3, 4, 6, 8, 9, 10, 11, 12), "residence",
                identifiers=("uprn", "ni_number"), trust_rank=20, fact_columns=("date_from", "date_to"), required=_RESIDENCE_REQUIRED),
    DatasetSpec("bcc-social-care", "Open to Families in Focus or social care", "BCC", "service-involvement", "service-involvement", (1, 2, 4, 6, 8, 9, 10, 11, 12), "event",
                identifiers=("nhs_number",), trust_rank=25, fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("open-to-families-in-focus-or-social-care",)),
    DatasetSpec("bcc-looked-after", "Children looked after", "BCC", "service-involvement", "service-involvement", (1, 2, 4, 6, 8, 9, 10, 11, 12), "event",
                identifiers=("nhs_number", "upn"), trust_rank=25, fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("child-looked-after",)),
    DatasetSpec("bcc-children-in-need", "Children in need", "BCC", "service-involvement", "service-involvement", (1, 2, 4, 6, 8, 9, 10, 11, 12), "event",
                identifiers=("nhs_number", "upn"), trust_rank=25, fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("child-in-need",)),
    DatasetSpec("bcc-child-protection", "Child protection plans", "BCC", "service-involvement", "service-involvement", (1, 2, 4, 6, 8, 9, 10, 11, 12), "event",
                identifiers=("nhs_number", "upn"), trust_rank=25, fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("child-protection-plan",)),
    DatasetSpec("bcc-homeless-prevention", "Homeless prevention support", "BCC", "service-involvement", "service-involvement", (1, 2, 3, 4, 6, 8, 9, 10, 11, 12), "event",
                fact_columns=_EVENT, required=_EVENT_REQUIRED, event_types=("accessed-homeless-prevention-support",)),
    # Department for Work and Pensions
    DatasetSpec("dwp-out-of-work-benefits", "Out-of-work benefit claimants", "DWP", "financial-exclusion", "financial-exclusion", (1, 9, 10, 13), "event",
                identifiers=("ni_number",), trust_rank=15, fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("out-of-work-benefits",)),
    # Department for Education / EYES (schools)
    DatasetSpec("dfe-school-census", "School census: enrolments", "DFE", "school", "school", (1, 4, 5, 8, 9, 10, 11, 12), "enrolment",
                cadence="termly", identifiers=("upn",), trust_rank=10, required=("source_key", "surname", "upn", "school_urn", "date_from"),
                fact_columns=("school_urn", "school_name", "date_from", "date_to")),
    DatasetSpec("dfe-sen", "Special educational needs", "DFE", "school", "school", (1, 4, 5, 8, 9, 10, 11, 12), "sen",
                cadence="termly", identifiers=("upn",), trust_rank=10, fact_columns=("sen_status", "sen_type", "recorded_on"),
                required=("source_key", "surname", "sen_status", "recorded_on")),
    DatasetSpec("dfe-attendance", "XVault live feed from schools (12 months)", "DFE", "school", "school", (1, 4, 5, 8, 9, 10, 11, 12), "attendance",
                validated=False, cadence="daily", identifiers=("upn",), trust_rank=60,
                required=("source_key", "surname", "school_urn", "month", "sessions_attended", "sessions_possible"),
                fact_columns=("school_urn", "school_name", "month", "sessions_attended", "sessions_possible"),
                description="XVault live feed from the schools system covering 12 months [not validated]"),
    DatasetSpec("dfe-exclusions", "Exclusions and suspensions", "DFE", "school", "school", (1, 4, 5, 8, 9, 10, 11, 12), "exclusion",
                cadence="termly", identifiers=("upn",), trust_rank=10,
                fact_columns=("school_urn", "school_name", "exclusion_type", "start_date", "sessions", "reason"),
                required=("source_key", "surname", "school_urn", "exclusion_type", "start_date")),
    DatasetSpec("dfe-pru-placements", "Pupil referral unit and alternative provision placements", "DFE", "school", "school", (1, 4, 5, 8, 9, 10, 11, 12), "enrolment",
                cadence="termly", identifiers=("upn",), trust_rank=10, fact_columns=("school_urn", "school_name", "date_from", "date_to"),
                required=("source_key", "surname", "school_urn", "date_from")),
    DatasetSpec("dfe-free-school-meals", "Free school meals eligibility", "DFE", "financial-exclusion", "financial-exclusion", (1, 9, 10, 11, 12, 13), "event",
                cadence="termly", identifiers=("upn",), trust_rank=10, fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("child-free-school-meals",)),
    # Early Help Module: dates as dd/mm/yyyy
    DatasetSpec("ehm-referrals", "Other professional referrals", "EHM", "service-involvement", "service-involvement", (1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12), "event",
                cadence="weekly", trust_rank=35, fact_columns=_EVENT, required=_EVENT_REQUIRED,
                event_types=("ehm-referral-crime", "ehm-referral-domestic-abuse", "ehm-referral-health",
                             "ehm-referral-financial", "ehm-referral-school", "ehm-referral-service"),
                date_format=UK_DATE),
    DatasetSpec("ehm-episodes", "Early help episodes and lead professionals", "EHM", "service-involvement", "service-involvement", (2, 8, 9, 10), "event",
                cadence="weekly", trust_rank=35, fact_columns=_EVENT + ("lead_professional", "closed_on"), required=_EVENT_REQUIRED,
                event_types=("early-help-episode",), date_format=UK_DATE),
)

DATASETS_BY_CODE = {spec.code: spec for spec in DATASETS}
assert len(DATASETS) == 35, len(DATASETS)  # noqa: S101 - the catalogue promises 35 datasets
