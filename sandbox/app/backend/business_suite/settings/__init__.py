"""Settings of the stand-in RevisBaliCRM backend, split like the real app's: `base` (this package's
default, as `business_suite.settings`) and `prod` (what the image sets: business_suite.settings.prod)."""

from .base import *  # noqa: F403
