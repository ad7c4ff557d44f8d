"""Gap and inventory reports: pure functions from CMDB frames to report frames."""
