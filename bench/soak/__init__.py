"""`make soak`: kills, copies and network faults, trial after trial, against real processes."""
