"""event_topics carry their event's seq, indexed by (topic, seq), for replay by page

A resuming subscriber reads one topic after a cursor. Joined to `events` and ordered by
`events.seq`, that read had no index giving the order: SQLite read and sorted every event
of the topic for each page (a replay of 10,000 events read 10,000 rows fifty times). With
the seq on the topic row, a page is a range of the (topic, seq) index. The relay copies
the seq when it stamps the event, in the same transaction; existing rows are filled here.
The (topic, event_id) index had no other reader and goes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 21:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('event_topics', sa.Column('seq', sa.BigInteger(), nullable=True))
    op.execute('UPDATE event_topics SET seq = (SELECT events.seq FROM events WHERE events.id = event_topics.event_id)')
    op.drop_index('ix_event_topics_topic', table_name='event_topics')
    op.create_index('ix_event_topics_topic_seq', 'event_topics', ['topic', 'seq'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ANALYZE event_topics')  # a new column has no statistics until autovacuum


def downgrade() -> None:
    op.drop_index('ix_event_topics_topic_seq', table_name='event_topics')
    op.create_index('ix_event_topics_topic', 'event_topics', ['topic', 'event_id'], unique=False)
    with op.batch_alter_table('event_topics', schema=None) as batch_op:
        batch_op.drop_column('seq')
