#!/usr/bin/env python3
"""Django's command-line utility for the stand-in business_suite backend."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "business_suite.settings.prod")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
