"""Notices to customers and staff: templates, the Apprise sender and the notice ledger."""
