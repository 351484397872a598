"""ACD: the routing engine, its service and live queue statistics."""
