"""Data that drives code: icons, the Mackay 66 definition, demo seeds."""
