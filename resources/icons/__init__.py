"""SVG icons, loaded with importlib.resources."""
