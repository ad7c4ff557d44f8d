"""The ``muster`` console command."""
