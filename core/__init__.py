"""Ground floor: settings, database, models, migrations, crypto and the pure domain rules. Imports nothing of ours."""
