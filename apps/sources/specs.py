"""The one way to read a dataset's definition: ``DatasetSpec`` built from its ``Dataset`` row's descriptor.

The import, the projection and the indicator selectors read datasets only through here, so what the
custodian changed on the datasets page is what they use. (The synthetic generator, which runs without
a database, reads the descriptor files: ``descriptors.default_specs``.)
"""

from __future__ import annotations

from .catalogue import DatasetSpec
from .descriptors import spec_from_descriptor
from .models import Dataset


def dataset_spec(code: str) -> DatasetSpec | None:
    """The spec of dataset ``code``; None when there is no such dataset or it has no definition yet."""
    descriptor = Dataset.objects.filter(code=code).values_list("descriptor", flat=True).first()
    return spec_from_descriptor(descriptor) if descriptor else None


def dataset_specs() -> dict[str, DatasetSpec]:
    """code -> spec of every defined dataset, in code order."""
    return {code: spec_from_descriptor(descriptor)
            for code, descriptor in Dataset.objects.order_by("code").values_list("code", "descriptor") if descriptor}


def dataset_specs_by_pk() -> dict[int, DatasetSpec]:
    """Dataset id -> spec, for readers that hold source rows (the projection)."""
    return {pk: spec_from_descriptor(descriptor)
            for pk, descriptor in Dataset.objects.values_list("pk", "descriptor") if descriptor}
