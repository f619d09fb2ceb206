"""Fieldbrief's test suite; packages mirror the source tree."""
