import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fabreck.config.settings")

application = get_wsgi_application()

# Everything loaded so far (Django, the apps, their modules) lives as long as the process:
# move it out of the garbage collector's generations, so that its full collections stop
# walking hundreds of thousands of objects that are never garbage.
gc.freeze()
