"""The data store: engine, sessions, the declarative base and the packaged migrations."""
