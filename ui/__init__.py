"""Qt widgets, item models and dialogs. No SQL or HTTP here: ui/ calls db services."""
