"""Local territory store: SQLAlchemy models, migrations and the queries the app runs."""
