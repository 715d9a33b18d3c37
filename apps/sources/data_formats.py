"""``docs/data-formats.md``, written from the dataset descriptors (``manage.py data_formats_doc``).

The page's general sections are ``data_formats_intro.md``; each dataset's section is generated from its
descriptor, so the documented format is the one the import checks. A test fails when the committed page
is not what this writes.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .catalogue import DATE_FORMAT_LABELS
from .descriptors import default_descriptors

INTRO = Path(__file__).with_name("data_formats_intro.md")
DOC = Path(__file__).resolve().parents[2] / "docs" / "data-formats.md"
BAD_ROWS_TEXT = {"reject": "a bad row refuses the file", "quarantine": "bad rows are quarantined, the rest loaded"}


def data_formats_markdown(descriptors: list[dict] | None = None) -> str:
    descriptors = default_descriptors() if descriptors is None else descriptors
    by_format = defaultdict(list)
    for d in descriptors:
        by_format[d["date_format"]].append(f"`{d['code']}`")
    dates = "\n".join(f"- **{DATE_FORMAT_LABELS[f]}** (`{f}`): {', '.join(codes)}"
                      for f, codes in sorted(by_format.items(), key=lambda item: -len(item[1])))
    parts = [INTRO.read_text(encoding="utf-8").replace("{{dates_summary}}", dates).rstrip() + "\n",
             "## Datasets\n", f"{len(descriptors)} datasets. **\\*** marks a required column; `Ours ← Theirs` "
             "gives the agency's own header for a column.\n"]
    for d in descriptors:
        parts.append(_dataset(d))
    return "\n".join(parts)


def _dataset(d: dict) -> str:
    lines = [f"### `{d['code']}`: {d['name']}\n"]
    facts = [f"Provider {d['provider']}", f"fact kind `{d['fact_kind']}`", f"section `{d['section']}`",
             f"cadence {d.get('cadence', 'monthly')}", f"dates {DATE_FORMAT_LABELS[d['date_format']]}",
             BAD_ROWS_TEXT[d.get("bad_rows", "reject")]]
    if not d.get("validated", True):
        facts.append("**not validated**")
    lines.append("; ".join(facts) + ".\n")
    if d.get("description"):
        lines.append(d["description"] + "\n")
    columns = []
    for f in d["schema"]["fields"]:
        text = f"`{f['name']}`" + ("**\\***" if f.get("constraints", {}).get("required") else "")
        if f.get("agency_header"):
            text += f" ← `{f['agency_header']}`"
        columns.append(text)
    lines.append("Columns: " + ", ".join(columns) + "\n")
    codes = [(f["name"], f["constraints"]["enum"]) for f in d["schema"]["fields"]
             if f.get("constraints", {}).get("enum") and f["name"] != "sex"]
    for name, enum in codes:
        lines.append(f"`{name}` codes: " + ", ".join(f"`{c}`" for c in enum) + "\n")
    if d.get("event_types"):
        events = [f"`{e['code']}`" + (f" → `{e['indicator']}`" if e.get("indicator") and e["indicator"] != e["code"]
                                      else "" if e.get("indicator") else " (no indicator)")
                  for e in d["event_types"]]
        lines.append("`event_type` codes: " + ", ".join(events) + "\n")
    return "\n".join(lines)


def data_formats_write(path: Path = DOC) -> bool:
    """Write the page; True when it changed."""
    text = data_formats_markdown()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True
