"""Flask-MonitoringDashboard at /dashboard, on only when an operator configures it.

Settings come from `fmd_config.cfg` (named by DASHBOARD_CONFIG); the user name, password and the
dashboard's database come from the environment (FMD_USERNAME, FMD_PASSWORD, FMD_DATABASE), never
from the repository.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask

log = logging.getLogger(__name__)


def init_dashboard(app: Flask) -> bool:
    """Bind the dashboard to the app when configured; answer whether it is on."""
    config_file = app.config["DASHBOARD_CONFIG"]
    username = os.environ.get("FMD_USERNAME", "")
    password = os.environ.get("FMD_PASSWORD", "")
    if not config_file:
        return False
    if not (username and password):
        log.warning("DASHBOARD_CONFIG is set but FMD_USERNAME/FMD_PASSWORD are not: dashboard off")
        return False
    if not Path(config_file).is_file():
        log.warning("dashboard config %s does not exist: dashboard off", config_file)
        return False
    import flask_monitoringdashboard as dashboard

    dashboard.config.init_from(file=config_file)
    dashboard.config.username = username
    dashboard.config.password = password
    dashboard.config.database_name = os.environ.get("FMD_DATABASE") or (
        f"sqlite:///{Path(app.config['DATA_DIR']) / 'dashboard.db'}"
    )
    dashboard.config.security_token = os.environ.get("FMD_SECURITY_TOKEN") or secrets.token_hex(16)
    dashboard.bind(app)
    log.info("monitoring dashboard at /%s", dashboard.config.link)
    return True
