"""Demo territories in the local store (the rows themselves come from sync.demo)."""
