"""The operator REST API under ``/api/`` (a Chalice blueprint) and the services behind it."""
