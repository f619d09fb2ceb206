"""Mackay 66 profiles: the definition, answer values, the profile book, its report."""
