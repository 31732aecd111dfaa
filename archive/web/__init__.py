"""``news-archive serve``: a read-only local web app to search and read an archive (Starlette, Jinja2, uvicorn)."""

from .app import create_app

__all__ = ["create_app"]
