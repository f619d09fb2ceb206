"""The rep's field work: meetings, notes, follow-ups, the ladder, leads, holds, calendar files."""
