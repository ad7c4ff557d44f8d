"""``/api/v1/inventory``: FusionInventory and GLPI agents use Muster as their server, unchanged."""

from fastapi import APIRouter

router = APIRouter(tags=["inventory"])
