"""Reads of programme frameworks (reference data, no personal data): the list and one framework in full."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from .frameworks import measure_describe
from .models import Framework, FrameworkHeadline, FrameworkNeed, IndicatorDefinition


def frameworks_all() -> QuerySet[Framework]:
    return Framework.objects.annotate(
        headline_count=Count("headlines", distinct=True), need_count=Count("headlines__needs", distinct=True)
    ).order_by("order", "code")


@dataclass(frozen=True)
class NeedShown:
    need: FrameworkNeed
    indicators: list[IndicatorDefinition]
    measure: str  # the measure and its parameters in words


@dataclass(frozen=True)
class FrameworkShown:
    framework: Framework
    headlines: list[tuple[FrameworkHeadline, list[NeedShown]]]

    @property
    def need_count(self) -> int:
        return sum(len(needs) for _, needs in self.headlines)


def framework_shown(*, code: str) -> FrameworkShown:
    """One framework with every headline, need, indicator and outcome measure; 404 for an unknown code."""
    framework = Framework.objects.filter(code=code).first()
    if framework is None:
        raise Http404("Page not found")
    needs = Prefetch("needs", queryset=FrameworkNeed.objects.order_by("order", "code").prefetch_related(
        Prefetch("indicators", queryset=IndicatorDefinition.objects.select_related("category"))))
    headlines = framework.headlines.order_by("order", "code").prefetch_related(needs)
    return FrameworkShown(framework=framework, headlines=[
        (headline, [NeedShown(need=n, indicators=list(n.indicators.all()),
                              measure=measure_describe(n.outcome_measure, n.outcome_params))
                    for n in headline.needs.all()])
        for headline in headlines
    ])
