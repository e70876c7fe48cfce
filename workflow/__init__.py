"""The workflow rules and the services that apply them, shared by the API and the flows."""
