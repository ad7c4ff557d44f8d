"""The ``muster`` console command."""

import os

# The first pydantic model built makes pydantic read every installed package's
# metadata, looking for plugins: a sixteenth of `muster agent run`'s time, for
# plugins Muster does not use. Set PYDANTIC_DISABLE_PLUGINS to an empty value
# to have them loaded.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
