"""Front-ends of the engine: terminal CLI and Discord bot (answer rendering lives here, not in `index/`)."""
