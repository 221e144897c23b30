"""Alembic environment: always run from storage/migrate.py on a connection the app opened."""

from alembic import context
from sqlmodel import SQLModel

from storage import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.migrate import include_name

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite alters a table by copying it; batch mode does that for us
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
