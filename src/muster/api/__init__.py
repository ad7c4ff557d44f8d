"""The REST API and dashboard over the CMDB."""
