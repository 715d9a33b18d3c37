"""Aggregate figures for analysts: counts, never people."""

from django.shortcuts import render

from apps.accounts import access as acl

from .selectors import SMALL_CELL, family_figures_by_area, refresh_runs_recent


@acl.require_capability(acl.INSIGHTS_VIEW)
def insights(request):
    badges, figures = family_figures_by_area(viewer=request.viewer)
    return render(request, "indicators/insights.html", {
        "badges": badges, "figures": figures, "small_cell": SMALL_CELL, "last_refresh": refresh_runs_recent(limit=1).first(),
    })
