"""Alembic environment: runs migrations on the connection the application hands in."""

from alembic import context

config = context.config
connectable = config.attributes["connectable"]
target_metadata = config.attributes["metadata"]

with connectable.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
