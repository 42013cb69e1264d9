"""Production settings, except static files are not hashed into a manifest.

Used by ``run.py`` only when ``collectstatic`` fails under the production
settings (a vendored file referencing a missing source map makes the
manifest storage's post-processing fail); the pages then still serve the
same files through WhiteNoise.
"""

from ndl_ill.settings.production import *  # noqa: F403
from ndl_ill.settings.production import STORAGES

STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}
