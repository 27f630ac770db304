"""Alembic environment: run with the connection ``Store`` hands over (never reads alembic.ini)."""

from alembic import context

from bot.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    from sqlalchemy import create_engine

    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=metadata, version_table="oomlens_alembic_version")
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, version_table="oomlens_alembic_version")
    with context.begin_transaction():
        context.run_migrations()
