"""The case page's tabs: (tab key, label, URL name taking the case's pk). One line per casework page."""

CASE_TABS = [
    ("case", "Case", "casework:case"),
    ("progress", "Progress", "casework:case_progress"),
]
