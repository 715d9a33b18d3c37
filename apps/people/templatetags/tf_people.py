from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()

BADGE_COLOURS = {
    "CRIME": "red", "ASB": "orange", "DA": "pink", "HEALTH": "turquoise",
    "INCOME": "yellow", "SCHOOL": "blue", "SUPPORT": "purple", "MISSING": "grey",
}


@register.simple_tag
def badges(codes):
    """GOV.UK tags for badge codes, already filtered to the sections the user may see."""
    if not codes:
        return ""
    return format_html(
        '<ul class="tf-badges govuk-list">{}</ul>',
        format_html_join("", '<li><strong class="govuk-tag govuk-tag--{}">{}</strong></li>',
                         ((BADGE_COLOURS.get(c, "grey"), c) for c in codes)),
    )


@register.filter
def age_on(person, day):
    age = person.age_on(day)
    return "" if age is None else f"{age} year{'s' if age != 1 else ''}"


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def attendance_chart(months):
    """An inline SVG bar chart of attendance percentage per month (oldest left) with the 90% line.

    Server-rendered, so it needs no script and prints; the table beside it carries the same figures.
    """
    rows = [m for m in sorted(months, key=lambda m: m.month) if m.sessions_possible]
    if not rows:
        return ""
    width, height, left, bottom, top = 720, 220, 40, 40, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    bar_w = plot_w / len(rows)

    def y(pct):
        return top + plot_h * (1 - pct / 100)

    bars = []
    for i, m in enumerate(rows):
        pct = m.percentage
        x = left + i * bar_w
        colour = "#d4351c" if pct < 90 else "#00703c"
        bars.append(format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}%</title></rect>'
            '<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#0b0c0c">{}</text>',
            f"{x + 2:.1f}", f"{y(pct):.1f}", f"{max(bar_w - 4, 1):.1f}", f"{plot_h * pct / 100:.1f}", colour,
            m.month.strftime("%B %Y"), f"{pct:.1f}", f"{x + bar_w / 2:.1f}", height - bottom + 14, m.month.strftime("%b %y"),
        ))
    ticks = format_html_join("", '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#0b0c0c">{}%</text>',
                             ((left - 4, f"{y(p) + 4:.1f}", p) for p in (0, 50, 100)))
    return format_html(
        '<svg role="img" aria-labelledby="att-title att-desc" viewBox="0 0 {w} {h}" width="100%" class="tf-chart" font-family="GDS Transport, arial, sans-serif">'
        '<title id="att-title">Attendance by month</title>'
        '<desc id="att-desc">Bar chart of monthly attendance percentage from {first} to {last}; red bars are below the 90% persistent-absence line.</desc>'
        '{ticks}{bars}'
        '<line x1="{left}" x2="{right}" y1="{y90}" y2="{y90}" stroke="#0b0c0c" stroke-width="2" stroke-dasharray="6 4"/>'
        '<text x="{right}" y="{y90t}" font-size="12" text-anchor="end" fill="#0b0c0c">90% persistent absence line</text>'
        '</svg>',
        w=width, h=height, first=rows[0].month.strftime("%B %Y"), last=rows[-1].month.strftime("%B %Y"), ticks=ticks,
        bars=format_html_join("", "{}", ((b,) for b in bars)), left=left, right=width - 10, y90=f"{y(90):.1f}", y90t=f"{y(90) - 4:.1f}",
    )
