"""A plausible, clearly fictional archive for the demo district (``flask seed-demo``), so that the
archive's pages, registers and rounds have something to show in ``make run``.

Every name is drawn from a short list of common ones; every mobile is 1700000xxxx, a range the demo
uses alone; no ID numbers.  The same households come out every time (a fixed random seed), and a
database that holds households already gets none.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Building, Household, LawfulBasis, Member, Residence, Room, Staff, Tag, Visit
from ..models.base import utcnow
from ..models.sealed import lookup
from . import workdays

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林罗高"
GIVEN = ["秀英", "桂兰", "建国", "志强", "海燕", "丽娟", "国华", "玉梅", "振东", "淑珍", "文斌", "春梅",
         "晓东", "红霞", "子涵", "雨桐", "浩然", "欣怡", "宇轩", "梓萱"]
FINDINGS = ["身体状况良好，家中无安全隐患。", "老人腿脚不便，需要送药上门。", "楼道扶手松动，已报修。",
            "子女每周探望，生活能自理。", "冬季取暖正常，已提醒用电安全。", "希望社区组织健康讲座。"]
ROOMS_PER_BUILDING = 6


def seed_archive(staff: dict[str, Staff]) -> int:
    """Households for the demo's buildings; returns how many were made (0 when there were some)."""
    if db.session.scalar(select(Household.id).limit(1)) is not None:
        return 0
    rng = random.Random(20261206)
    tags = {tag.code: tag for tag in db.session.scalars(select(Tag))}
    today = workdays.local_date(utcnow())
    made = 0
    serial = 0
    for building in db.session.scalars(select(Building).where(Building.active.is_(True)).order_by(Building.id)):
        visitor = staff.get(building.community.code)
        for n in range(ROOMS_PER_BUILDING):
            room = Room(building_id=building.id, unit=1, number=f"{n // 2 + 1}0{n % 2 + 1}", floor=n // 2 + 1)
            db.session.add(room)
            db.session.flush()
            moved_in = today - timedelta(days=rng.randint(200, 8000))
            household = Household(community_id=building.community_id, grid_id=building.grid_id,
                                  building_id=building.id, room_id=room.id, basis=LawfulBasis.CONSENT,
                                  basis_on=today - timedelta(days=rng.randint(10, 300)),
                                  basis_detail="纸质同意书存社区档案柜（演示数据）")
            size = rng.choice([1, 1, 2, 2, 3, 4])
            surname = rng.choice(SURNAMES)
            for position in range(size):
                serial += 1
                head_age = rng.randint(35, 92)
                age = head_age if position == 0 else (rng.randint(head_age - 5, head_age + 3) if position == 1
                                                     else rng.randint(3, max(4, head_age - 22)))
                chosen = _tags_for(rng, age, size)
                mobile = f"1700000{serial:04d}" if age >= 16 else ""
                member = Member(
                    position=position, name=(surname if position != 1 else rng.choice(SURNAMES)) + rng.choice(GIVEN),
                    relation=["head", "spouse"][position] if position < 2 else "child",
                    birth_date=f"{today.year - age}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    birth_year=today.year - age, mobile=mobile, mobile_lookup=lookup(mobile) if mobile else None,
                    consultation_texts=bool(mobile) and serial % 2 == 0,
                    sensitive_tags=",".join(code for code in chosen if tags[code].sensitive),
                    tags=[tags[code] for code in chosen if not tags[code].sensitive], moved_in=moved_in)
                household.members.append(member)
            household.residences.append(Residence(room_id=room.id, moved_in=moved_in))
            for _visit in range(rng.choice([0, 1, 1, 2])):
                due = today + timedelta(days=rng.randint(-10, 20)) if rng.random() < 0.3 else None
                household.visits.append(Visit(staff_id=visitor.id if visitor else None,
                                              visited_on=today - timedelta(days=rng.randint(3, 90)),
                                              found=rng.choice(FINDINGS), follow_up_due=due))
            db.session.add(household)
            made += 1
    db.session.flush()
    _seed_consultation(today)
    return made


def _seed_consultation(today) -> None:
    """A consultation under discussion for the first community's first building (民议), so the pages of
    居民议事 are alive in the demo."""
    import secrets
    from datetime import datetime, time

    from ..models import Comment, Consultation, ConsultationOption, ConsultationScope, ConsultationState, OptionKind

    building = db.session.scalar(select(Building).where(Building.active.is_(True)).order_by(Building.id))
    if building is None:
        return
    start = datetime.combine(today - timedelta(days=1), time(9), workdays.LOCAL_TZ)
    consultation = Consultation(
        token=secrets.token_urlsafe(16), community_id=building.community_id, scope=ConsultationScope.BUILDINGS,
        buildings=[building], title=f"{building.name_zh}楼道照明改造（演示）", state=ConsultationState.OPEN,
        matter="拟将楼道灯更换为声控节能灯，费用由公共维修资金列支，约 3,200 元。是否同意？（演示数据）",
        discussion_from=start, discussion_to=start + timedelta(days=7), vote_from=start + timedelta(days=7),
        vote_to=start + timedelta(days=14), meeting_at=start + timedelta(days=6, hours=10),
        meeting_place="社区党群服务中心二楼会议室", turnout_num=2, turnout_den=3, agree_num=2, agree_den=3,
        published_at=start, options=[ConsultationOption(position=0, label="同意", kind=OptionKind.FOR),
                                     ConsultationOption(position=1, label="", kind=OptionKind.AGAINST),
                                     ConsultationOption(position=2, label="", kind=OptionKind.ABSTAIN)])
    db.session.add(consultation)
    db.session.flush()
    db.session.add(Comment(consultation_id=consultation.id, author_label=f"{building.name_zh} 李*", body="支持，晚上回家太黑了。"))


def _tags_for(rng: random.Random, age: int, size: int) -> list[str]:
    chosen = []
    if age >= 80:
        chosen.append("aged_80")
    if age >= 65 and size == 1 and rng.random() < 0.7:
        chosen.append("lives_alone")
    if age < 18:
        chosen.append("minor")
    for code, chance in (("disability", 0.06), ("chronic_illness", 0.12), ("dibao", 0.05), ("veteran", 0.05),
                         ("migrant", 0.08)):
        if age >= 18 and rng.random() < chance:
            chosen.append(code)
    return chosen
