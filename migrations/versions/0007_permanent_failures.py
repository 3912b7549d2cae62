"""webhook deliveries count their attempts and keep why they failed; alerts keep why their email was not sent

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:00:00

A delivery that cannot be applied (a number too large for its column, JSON nested too
deep, a body that is not JSON) was retried by RQ and the recovery sweep without end.
Each attempt is now counted on its row; one that cannot succeed, or that has failed too
often, is recorded as failed with the reason and never retried. An alert email that
cannot be sent keeps the reason, for the dashboard.
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("failure", sa.Text(), nullable=True))
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_failed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("send_error", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("send_error")
        batch_op.drop_column("send_failed_at")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_column("failure")
        batch_op.drop_column("attempts")
