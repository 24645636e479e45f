"""What gunicorn serves (`deepcell_label.wsgi:app`, with --preload): the app, warmed up once in the
main process before the request workers are forked from it (see services/warmup.py); at the
first start, the admin account is made (app.first_start)."""

from __future__ import annotations

from .app import create_app, first_start
from .services.warmup import warm_up

app = create_app()
first_start(app)
with app.app_context():
    warm_up()
