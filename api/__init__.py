"""The HTTP API: thin routes over the workflow services."""
