"""Qt item models fed with the store's frozen rows."""
