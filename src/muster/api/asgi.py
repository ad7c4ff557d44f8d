"""The app for ASGI servers that import it by name: the CMDB from MUSTER_DATABASE_URL.

Each worker imports this module once. The objects the app holds by then
(modules, models, routes and schemas: some 200,000) live as long as the
worker, so they are moved out of the cyclic garbage collector's sight
(``gc.freeze``): every full collection went through all of them, stalling
each request in flight for about 100 ms.
"""

import gc

from muster.api.app import create_app
from muster.cmdb.db import Database

app = create_app(Database())
gc.collect()
gc.freeze()
