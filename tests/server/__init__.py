"""Server tests over real HTTP on loopback."""
