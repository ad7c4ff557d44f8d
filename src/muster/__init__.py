"""Muster: what IT equipment each site has, in one CMDB, and what each site still needs."""

__version__ = "0.1.0"
