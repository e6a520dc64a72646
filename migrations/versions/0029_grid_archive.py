"""the grid's archive (一户一档 · 一楼一册): rooms, households, members, tags, visits, tickets linked by
hand, building posts (楼栋长) and the buildings' places on the grid plan; the district's first tag list

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 19:36:30.488231

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

# (code, 中文, English, sensitive: PIPL art. 28 — health, financial hardship, minors, and what marks
# a person out for watching — sealed wherever a member carries it)
TAGS = [
    ("lives_alone", "独居老人", "Elderly, living alone", False),
    ("empty_nest", "空巢老人", "Elderly, children away", False),
    ("aged_80", "高龄", "Aged 80 or over", False),
    ("disability", "残疾", "Disability", True),
    ("chronic_illness", "慢性病", "Chronic illness", True),
    ("dibao", "低保", "Minimum living allowance (低保)", True),
    ("minor", "未成年人", "Minor", True),
    ("veteran", "退役军人", "Veteran", False),
    ("migrant", "流动人口", "Non-local resident", False),
    ("watch", "重点关注", "Special attention", True),
]


def upgrade():
    op.create_table('archive_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_tags')),
    sa.UniqueConstraint('code', name=op.f('uq_archive_tags_code'))
    )
    op.create_table('rooms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.SmallInteger(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('floor', sa.SmallInteger(), nullable=True),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_rooms_building_id_buildings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rooms')),
    sa.UniqueConstraint('building_id', 'unit', 'number', name=op.f('uq_rooms_building_id_unit_number'))
    )
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rooms_building_id'), ['building_id'], unique=False)

    op.create_table('staff_buildings',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('level_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_staff_buildings_building_id_buildings')),
    sa.ForeignKeyConstraint(['level_id'], ['grid_levels.id'], name=op.f('fk_staff_buildings_level_id_grid_levels')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_buildings_staff_id_staff')),
    sa.PrimaryKeyConstraint('staff_id', 'building_id', name=op.f('pk_staff_buildings'))
    )
    with op.batch_alter_table('staff_buildings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_buildings_building_id'), ['building_id'], unique=False)

    op.create_table('households',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('basis', sa.Enum('consent', 'legal_duty', name='lawfulbasis', native_enum=False, length=16), nullable=True),
    sa.Column('basis_detail', sa.String(length=200), nullable=False),
    sa.Column('basis_on', sa.Date(), nullable=True),
    sa.Column('basis_staff_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['basis_staff_id'], ['staff.id'], name=op.f('fk_households_basis_staff_id_staff')),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_households_building_id_buildings')),
    sa.ForeignKeyConstraint(['community_id'], ['areas.id'], name=op.f('fk_households_community_id_areas')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_households_grid_id_grids')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_households_room_id_rooms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_households'))
    )
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_households_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_households_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_households_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_households_room_id'), ['room_id'], unique=False)

    op.create_table('household_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('relation', sa.String(length=16), nullable=False),
    sa.Column('birth_date', sa.String(length=160), nullable=False),
    sa.Column('birth_year', sa.SmallInteger(), nullable=True),
    sa.Column('mobile', sa.String(length=160), nullable=False),
    sa.Column('mobile_lookup', sa.String(length=32), nullable=True),
    sa.Column('id_number', sa.String(length=160), nullable=False),
    sa.Column('id_number_lookup', sa.String(length=32), nullable=True),
    sa.Column('sensitive_tags', sa.Text(), nullable=False),
    sa.Column('moved_in', sa.Date(), nullable=True),
    sa.Column('moved_out', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_household_members_household_id_households')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_members'))
    )
    with op.batch_alter_table('household_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_household_members_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_household_members_id_number_lookup'), ['id_number_lookup'], unique=False)
        batch_op.create_index(batch_op.f('ix_household_members_mobile_lookup'), ['mobile_lookup'], unique=False)

    op.create_table('household_ticket_links',
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('linked', sa.Boolean(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_household_ticket_links_household_id_households')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_household_ticket_links_staff_id_staff')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_household_ticket_links_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('household_id', 'ticket_id', name=op.f('pk_household_ticket_links'))
    )
    with op.batch_alter_table('household_ticket_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_household_ticket_links_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('household_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('found', sa.Text(), nullable=False),
    sa.Column('follow_up_due', sa.Date(), nullable=True),
    sa.Column('follow_up_done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_household_visits_household_id_households')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_household_visits_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_visits'))
    )
    with op.batch_alter_table('household_visits', schema=None) as batch_op:
        batch_op.create_index('ix_household_visits_due', ['follow_up_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_household_visits_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_household_visits_staff_id'), ['staff_id'], unique=False)

    op.create_table('residences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('moved_in', sa.Date(), nullable=False),
    sa.Column('moved_out', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_residences_household_id_households')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff.id'], name=op.f('fk_residences_recorded_by_id_staff')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_residences_room_id_rooms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residences'))
    )
    with op.batch_alter_table('residences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residences_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_residences_room_id'), ['room_id'], unique=False)

    op.create_table('member_tags',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['household_members.id'], name=op.f('fk_member_tags_member_id_household_members')),
    sa.ForeignKeyConstraint(['tag_id'], ['archive_tags.id'], name=op.f('fk_member_tags_tag_id_archive_tags')),
    sa.PrimaryKeyConstraint('member_id', 'tag_id', name=op.f('pk_member_tags'))
    )
    with op.batch_alter_table('member_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_tags_tag_id'), ['tag_id'], unique=False)

    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_x', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('plan_y', sa.Integer(), nullable=True))



    tags = sa.table('archive_tags', sa.column('code', sa.String), sa.column('name_zh', sa.String),
                    sa.column('name_en', sa.String), sa.column('sensitive', sa.Boolean),
                    sa.column('position', sa.Integer), sa.column('active', sa.Boolean))
    op.bulk_insert(tags, [{'code': code, 'name_zh': zh, 'name_en': en, 'sensitive': sensitive, 'position': n,
                           'active': True} for n, (code, zh, en, sensitive) in enumerate(TAGS)])


def downgrade():
    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.drop_column('plan_y')
        batch_op.drop_column('plan_x')

    with op.batch_alter_table('member_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_tags_tag_id'))

    op.drop_table('member_tags')
    with op.batch_alter_table('residences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residences_room_id'))
        batch_op.drop_index(batch_op.f('ix_residences_household_id'))

    op.drop_table('residences')
    with op.batch_alter_table('household_visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_visits_staff_id'))
        batch_op.drop_index(batch_op.f('ix_household_visits_household_id'))
        batch_op.drop_index('ix_household_visits_due')

    op.drop_table('household_visits')
    with op.batch_alter_table('household_ticket_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_ticket_links_ticket_id'))

    op.drop_table('household_ticket_links')
    with op.batch_alter_table('household_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_members_mobile_lookup'))
        batch_op.drop_index(batch_op.f('ix_household_members_id_number_lookup'))
        batch_op.drop_index(batch_op.f('ix_household_members_household_id'))

    op.drop_table('household_members')
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_households_room_id'))
        batch_op.drop_index(batch_op.f('ix_households_grid_id'))
        batch_op.drop_index(batch_op.f('ix_households_community_id'))
        batch_op.drop_index(batch_op.f('ix_households_building_id'))

    op.drop_table('households')
    with op.batch_alter_table('staff_buildings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_buildings_building_id'))

    op.drop_table('staff_buildings')
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rooms_building_id'))

    op.drop_table('rooms')
    op.drop_table('archive_tags')
