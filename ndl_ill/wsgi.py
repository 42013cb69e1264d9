import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ndl_ill.settings.production")

application = get_wsgi_application()
# Django, the apps and their modules, loaded above, live as long as the
# worker: moved out of the garbage collector's reach, they are no longer
# walked by each full collection, which otherwise paused a request for
# tens of milliseconds every hundred requests or so.
gc.freeze()
