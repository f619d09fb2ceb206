"""The server's routes by area, each added to the app's router over the services it needs."""
