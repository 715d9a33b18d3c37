"""What every page in the browser tests must pass: axe-core clean, and no sideways scroll at 320 CSS pixels."""

from __future__ import annotations

from pathlib import Path

from tests.browser.axe import axe_violations

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
REFLOW_WIDTH = 320  # WCAG 2.2 success criterion 1.4.10: 1280 px at 400% zoom
DESKTOP = {"width": 1280, "height": 720}

# The elements that stick out past the right edge of the viewport, innermost first, to say what to fix.
_OVERFLOWING = """() => {
  const width = document.scrollingElement.clientWidth;
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 0.5 && e.getClientRects().length)
    .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > width + 0.5))
    .slice(0, 8)
    .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${[...e.classList].join('.')} right=${Math.round(e.getBoundingClientRect().right)}`);
}"""


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def shot_narrow(page, name):
    """A screenshot at 320 px wide, to see the reflowed layout."""
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": 640})
    try:
        shot(page, name)
    finally:
        page.set_viewport_size(DESKTOP)


def assert_accessible(page):
    violations = axe_violations(page)
    assert violations == [], "\n".join(
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: {[n['target'] for n in v['nodes'][:3]]})" for v in violations
    )


def assert_reflows(page):
    """At 320 px wide the page scrolls only downwards: the document is no wider than the viewport."""
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": 640})
    try:
        scroll_width, client_width = page.evaluate(
            "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
        )
        assert scroll_width <= client_width, (page.url, scroll_width, client_width, page.evaluate(_OVERFLOWING))
    finally:
        page.set_viewport_size(DESKTOP)


def check_page(page, screenshot: str | None = None):
    """axe-clean, no sideways scroll at 320 px, and a screenshot at desktop width."""
    assert_accessible(page)
    assert_reflows(page)
    if screenshot:
        shot(page, screenshot)
