"""Piccolo's configuration: the engine comes from the same settings as the app."""

from piccolo.conf.apps import AppRegistry

from coach.db import make_engine
from coach.settings import load_settings

DB = make_engine(load_settings().database)

APP_REGISTRY = AppRegistry(apps=["coach.piccolo_app"])
