"""The app for ASGI servers that import it by name: the CMDB from MUSTER_DATABASE_URL."""

from muster.api.app import create_app
from muster.cmdb.db import Database

app = create_app(Database())
