"""The rep's local store: engine, models, schema, migrations, the replica."""
