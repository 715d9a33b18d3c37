from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticMiddleware(WhiteNoiseMiddleware):
    """Whitenoise, plus GOV.UK Frontend's fonts and images at /assets/ where its CSS expects them."""

    def __init__(self, get_response=None, settings_=None):
        super().__init__(get_response)
        assets = settings.NODE_MODULES / "govuk-frontend" / "dist" / "govuk" / "assets"
        if assets.is_dir():
            self.add_files(str(assets), prefix="assets/")
