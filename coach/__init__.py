"""Progress tracker for lifestyle-coaching groups."""

import os

# Piccolo's migration machinery finds its engine through this module.
os.environ.setdefault("PICCOLO_CONF", "coach.piccolo_conf")
