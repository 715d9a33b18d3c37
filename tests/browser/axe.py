"""Run axe-core (installed from npm into node_modules) in a Playwright page."""

from pathlib import Path

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 A and AA, and axe's best practices: among them `region` (all content inside landmarks),
# `landmark-*`, `heading-order` and `page-has-heading-one`. No rule is turned off.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_violations(page) -> list[dict]:
    """Violations (WCAG 2.2 A and AA, best practices) on the current page (empty list when it passes)."""
    # Evaluated, not added as a <script>: the Content-Security-Policy refuses inline scripts.
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return result["violations"]
