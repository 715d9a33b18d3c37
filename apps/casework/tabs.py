"""The case page's tabs: (tab key, label, URL name taking the case's pk). One line per casework page."""

CASE_TABS = [
    ("case", "Case", "casework:case"),
    ("consent", "Consent", "casework:case_consent"),
    ("team", "Team around the family", "casework:case_team"),
    ("plan", "Assessment and plan", "casework:case_plan"),
    ("progress", "Progress", "casework:case_progress"),
]
