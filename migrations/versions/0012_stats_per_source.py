"""daily statistics are kept per source; a total a source did not give is NULL

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 09:00:00

Volumes and times come from the phone system, CSAT and NPS often from a survey tool whose
file has no contact counts. Unique per agent, day and channel, a survey file's import
replaced the phone system's figures of that day (issue 18). Unique per agent, day, channel
and source, each source's rows stand beside the others' and a re-import replaces only its
own. Every stored triple was unique, so every quadruple is: the upgrade cannot fail, and
existing rows keep their source. The totals become nullable (NULL: not given by the source,
so that AHT without handle time is "no data", not 0); existing rows keep their values. The
downgrade fails if an agent-day now has rows from two sources, and turns NULLs into 0.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

TOTALS = (
    'contacts_handled', 'handle_seconds', 'talk_seconds', 'hold_seconds', 'acw_seconds',
    'logged_in_seconds', 'csat_responses', 'csat_positive', 'nps_responses', 'nps_promoters',
    'nps_detractors', 'fcr_eligible', 'fcr_resolved', 'transfers',
)


def upgrade():
    with op.batch_alter_table('agent_daily_stat', schema=None) as batch_op:
        batch_op.drop_constraint('uq_agent_daily_stat_agent_id', type_='unique')
        batch_op.create_unique_constraint(
            'uq_agent_daily_stat_agent_id', ['agent_id', 'day', 'channel', 'source']
        )
        for name in TOTALS:
            batch_op.alter_column(name, existing_type=sa.Integer(), nullable=True)


def downgrade():
    table = sa.table('agent_daily_stat', *(sa.column(name, sa.Integer()) for name in TOTALS))
    for name in TOTALS:
        op.execute(table.update().where(table.c[name].is_(None)).values({name: 0}))
    with op.batch_alter_table('agent_daily_stat', schema=None) as batch_op:
        for name in TOTALS:
            batch_op.alter_column(name, existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('uq_agent_daily_stat_agent_id', type_='unique')
        batch_op.create_unique_constraint(
            'uq_agent_daily_stat_agent_id', ['agent_id', 'day', 'channel']
        )
