from django.conf import settings
from django.utils.cache import add_never_cache_headers
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticMiddleware(WhiteNoiseMiddleware):
    """Whitenoise, plus GOV.UK Frontend's fonts and images at /assets/ where its CSS expects them."""

    def __init__(self, get_response=None, settings_=None):
        super().__init__(get_response)
        assets = settings.NODE_MODULES / "govuk-frontend" / "dist" / "govuk" / "assets"
        if assets.is_dir():
            self.add_files(str(assets), prefix="assets/")


class NoStoreMiddleware:
    """Nothing Django answers is kept by a browser or a proxy: pages, fragments, API and CSV
    responses carry personal data, so every one is ``Cache-Control: no-store`` (Django's
    never-cache set: ``max-age=0, no-cache, no-store, must-revalidate, private``) with
    ``Pragma: no-cache`` for HTTP/1.0 caches. Static files never get here: ``StaticMiddleware``
    answers them first, with their own long-lived caching.

    One rule for every response, signed in or not, rather than a judgement per view: a page
    that forgets to opt in cannot leak, and the sign-in page loses nothing by not being cached.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        response["Pragma"] = "no-cache"
        return response
