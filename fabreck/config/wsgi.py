import gc
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver
from django.utils import translation

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fabreck.config.settings")

application = get_wsgi_application()

# Load what Django would load on a worker's first requests: the URLconf (and with it every
# view and API module) and each language's translations. A fresh worker then answers its
# first visitor as fast as its thousandth (not half a second later), and all of it joins
# the frozen generation below.
get_resolver().url_patterns  # noqa: B018  (the property imports the URLconf)
for code, _name in settings.LANGUAGES:
    with translation.override(code):
        pass

# Everything loaded so far (Django, the apps, their modules) lives as long as the process:
# move it out of the garbage collector's generations, so that its full collections stop
# walking hundreds of thousands of objects that are never garbage.
gc.freeze()
