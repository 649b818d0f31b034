"""Django settings for every worker: the core base and the domains. No API apps, no URLs.

Kept outside apps.api so that booting a worker never imports the API layer.
"""

from apps.core.settings.base import *  # noqa: F403
from apps.core.settings.base import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "apps.domains.lectures", "apps.domains.ai", "apps.support.messaging"]
