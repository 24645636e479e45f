"""What gunicorn serves (`deepcell_label.wsgi:app`, with --preload): the app, warmed up once in the
main process before the request workers are forked from it (see services/warmup.py)."""

from __future__ import annotations

from .app import create_app
from .services.warmup import warm_up

app = create_app()
with app.app_context():
    warm_up()
