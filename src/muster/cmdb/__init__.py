"""The CMDB: the Observation contract, normalisation, identity, history, storage.

This package imports nothing else of Muster. Its submodules are imported
explicitly (``muster.cmdb.observation`` and so on) so that the host agent can
use the Observation schema without pulling in SQLAlchemy.
"""
