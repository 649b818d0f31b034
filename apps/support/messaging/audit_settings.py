"""Settings for the audit binary run on its own: the shared base plus the messaging app.
(The API and the messaging worker install the app in their own settings.)"""

from apps.core.settings.base import *  # noqa: F403
from apps.core.settings.base import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "apps.support.messaging"]
