"""The ASGI entry point for uvicorn: `coach.asgi:app`."""

from coach.app import create_app

app = create_app()
