"""The demo district: Baoji's Weibin district, two streets, three communities (realistic, invented)."""

from __future__ import annotations

from .services.administration import STANDARD_GRID_LADDER

DISTRICT = ("WB", "渭滨区", "Weibin District")

STREETS = [
    ("JE", "经二路街道", "Jing'er Road Subdistrict"),
    ("QJ", "清姜街道", "Qingjiang Subdistrict"),
]

# community code (also the ticket prefix), street, zh, en, grids: {grid code: (zh, en, [buildings])}
COMMUNITIES = [
    ("HQ", "JE", "红旗路社区", "Hongqi Road Community", {
        "G1": ("第一网格", "Grid 1", ["1号楼", "2号楼", "3号楼"]),
        "G2": ("第二网格", "Grid 2", ["4号楼", "5号楼", "6号楼"]),
        "G3": ("第三网格", "Grid 3", ["红旗小区A座", "红旗小区B座"]),
    }),
    ("XJ", "JE", "新建路社区", "Xinjian Road Community", {
        "G1": ("第一网格", "Grid 1", ["1号楼", "2号楼"]),
        "G2": ("第二网格", "Grid 2", ["3号楼", "4号楼", "商住楼"]),
    }),
    ("QY", "QJ", "清姜苑社区", "Qingjiangyuan Community", {
        "G1": ("东区网格", "East Grid", ["东1栋", "东2栋", "东3栋"]),
        "G2": ("西区网格", "West Grid", ["西1栋", "西2栋"]),
    }),
]

CATEGORIES = [
    ("certificates", "证明与登记", "Certificates and registration"),
    ("social", "社会保障", "Social security"),
    ("elderly", "为老助残", "Help for the elderly and disabled"),
    ("neighbourhood", "环境与邻里", "Neighbourhood and environment"),
]

# code, category, zh, en, summary zh/en, materials zh/en, flags, deadline days, guidance zh/en
SERVICES = [
    dict(code="residence-permit", category="certificates", name_zh="居住证申领", name_en="Residence permit application",
         summary_zh="外来人员在本社区居住满半年，可申领居住证。",
         summary_en="People from elsewhere who have lived here for six months can apply for a residence permit.",
         materials_zh="居民身份证原件及复印件\n近期一寸免冠照片两张\n租房合同或房产证明复印件",
         materials_en="ID card and a copy\nTwo recent passport photos\nCopy of the tenancy agreement or property certificate",
         needs_paperwork=True, needs_id_number=True, deadline_days=10),
    dict(code="floating-registration", category="certificates", name_zh="流动人口居住登记", name_en="Registration of temporary residents",
         summary_zh="新搬入本社区的外来人员登记居住信息。", summary_en="Register where you live when you move into the community.",
         materials_zh="居民身份证原件", materials_en="ID card",
         needs_id_number=True, deadline_days=3),
    dict(code="birth-registration", category="certificates", name_zh="生育登记服务", name_en="Birth registration service",
         summary_zh="办理一孩、二孩、三孩生育登记。", summary_en="Register the birth of a first, second or third child.",
         materials_zh="夫妻双方身份证复印件\n户口簿复印件\n结婚证复印件",
         materials_en="Copies of both parents' ID cards\nCopy of the household register\nCopy of the marriage certificate",
         needs_paperwork=True, needs_id_number=True, deadline_days=5),
    dict(code="no-criminal-record", category="certificates", name_zh="无犯罪记录证明", name_en="Certificate of no criminal record",
         guidance_only=True,
         guidance_zh="社区不再出具此类证明。请携带身份证到户籍所在地或居住地派出所办理，也可在“陕西公安”政务服务平台网上申请。",
         guidance_en="The community no longer issues this certificate. Apply at the police station where your household is registered or where you live, with your ID card, or online on the Shaanxi public security service platform."),
    dict(code="kinship-proof", category="certificates", name_zh="亲属关系证明", name_en="Proof of family relationship",
         guidance_only=True,
         guidance_zh="社区不再出具亲属关系证明。户口簿能证明的，请直接使用户口簿；不能证明的，请到派出所查询户籍档案或到公证处办理公证。",
         guidance_en="The community no longer issues proof of family relationships. Where the household register shows it, use the register; otherwise ask the police station for the household records, or a notary office for a notarised certificate."),
    dict(code="marital-status", category="certificates", name_zh="婚姻状况证明", name_en="Certificate of marital status",
         guidance_only=True,
         guidance_zh="社区不再出具婚姻状况证明。请携带身份证到区民政局婚姻登记处查询个人婚姻登记记录。",
         guidance_en="The community no longer issues this certificate. Ask the marriage registry of the district civil affairs bureau for your marriage registration record, with your ID card."),
    dict(code="medical-insurance", category="social", name_zh="城乡居民医保参保登记", name_en="Resident medical insurance enrolment",
         summary_zh="未参加职工医保的居民参加城乡居民基本医疗保险。",
         summary_en="Join the basic medical insurance for residents if you have no employee insurance.",
         materials_zh="居民身份证复印件\n户口簿复印件", materials_en="Copy of the ID card\nCopy of the household register",
         needs_paperwork=True, needs_id_number=True, deadline_days=5),
    dict(code="senior-allowance", category="social", name_zh="高龄津贴申请", name_en="Old-age allowance",
         summary_zh="80周岁以上老人申领高龄津贴。", summary_en="Residents aged 80 and over can claim the old-age allowance.",
         materials_zh="老人身份证复印件\n户口簿复印件\n银行卡复印件",
         materials_en="Copy of the ID card\nCopy of the household register\nCopy of the bank card",
         needs_paperwork=True, needs_id_number=True, volunteer_eligible=True, deadline_days=10),
    dict(code="minimum-allowance", category="social", name_zh="最低生活保障申请", name_en="Minimum living allowance (dibao)",
         summary_zh="家庭人均收入低于当地低保标准的居民申请低保。",
         summary_en="For households whose income per person is below the local minimum.",
         materials_zh="申请书\n家庭成员身份证、户口簿复印件\n收入证明",
         materials_en="Written application\nCopies of the family's ID cards and household register\nProof of income",
         needs_paperwork=True, needs_id_number=True, deadline_days=15),
    dict(code="disability-card", category="social", name_zh="残疾人证办理协助", name_en="Help applying for a disability card",
         summary_zh="社区协助申请残疾人证及评定预约。", summary_en="The community helps with the application and the assessment appointment.",
         materials_zh="身份证复印件\n近期两寸照片三张\n医院诊断材料",
         materials_en="Copy of the ID card\nThree recent photos\nMedical records",
         needs_paperwork=True, needs_id_number=True, volunteer_eligible=True, deadline_days=10),
    dict(code="home-visit", category="elderly", name_zh="居家养老上门服务预约", name_en="Home visit for an elderly resident",
         summary_zh="独居、行动不便老人预约志愿者上门探访、代办。",
         summary_en="Volunteers visit elderly residents who live alone or cannot easily go out, and run errands.",
         volunteer_eligible=True, deadline_days=2),
    dict(code="meal-service", category="elderly", name_zh="老年助餐登记", name_en="Meals for elderly residents",
         summary_zh="登记社区老年食堂助餐或送餐上门服务。", summary_en="Sign up for the community canteen or meals delivered home.",
         volunteer_eligible=True, deadline_days=3),
    dict(code="facility-repair", category="neighbourhood", name_zh="公共设施报修", name_en="Repair of shared facilities",
         summary_zh="楼道灯、单元门、健身器材等公共设施损坏报修。",
         summary_en="Report broken stairwell lights, building doors, fitness equipment and the like.",
         deadline_days=3),
    dict(code="sanitation", category="neighbourhood", name_zh="环境卫生问题反映", name_en="Rubbish and cleanliness",
         summary_zh="垃圾清运不及时、楼道堆放杂物等问题。",
         summary_en="Rubbish not collected, things piled up in stairwells and similar problems.",
         deadline_days=2),
    dict(code="mediation", category="neighbourhood", name_zh="邻里纠纷调解", name_en="Mediation between neighbours",
         summary_zh="由社区人民调解委员会调解邻里矛盾。", summary_en="The community mediation committee helps settle disputes between neighbours.",
         deadline_days=5),
    dict(code="proposal", category="neighbourhood", name_zh="提出社区建议（民事民提）",
         name_en="Propose something for the community",
         summary_zh="为社区公共事务提建议，如加装电梯、增设充电桩、改造小广场。社区组织居民议事、作出决定并公开办理结果。",
         summary_en="Propose something for everyone, such as a lift, charging points or a new square. The community "
                    "puts it to the residents' discussion, decides, and shows you what was done.",
         is_proposal=True, deadline_days=15),
]

# The grid ladder (五级网格): the standard one a new installation starts with.
GRID_LEVELS = STANDARD_GRID_LADDER

# username, display name, role, community code (None: the district), grid posts [(grid code, level code)]
STAFF = [
    ("admin-district", "区级管理员", "district_admin", None, []),
    ("admin-hq", "红旗路社区管理员", "community_admin", "HQ", []),
    ("staff-hq", "王社工", "community_staff", "HQ", []),
    ("grid-hq1", "李网格员", "grid_worker", "HQ", [("G1", "worker")]),
    ("grid-hq2", "陈网格长", "grid_worker", "HQ", [("G2", "leader"), ("G3", "leader")]),
    ("volunteer-hq", "赵志愿者", "volunteer", "HQ", []),
    ("staff-xj", "刘社工", "community_staff", "XJ", []),
    ("building-hq4", "孙楼栋长", "grid_worker", "HQ", []),
]

# Building posts (楼栋长): username, community code, building code, level code.
BUILDING_POSTS = [("building-hq4", "HQ", "B04", "building-head")]

# A locker terminal's cabinet: door number → size (all on lock board 1, lock = door number).
COMPARTMENTS = {n: ("S" if n <= 4 else "M" if n <= 10 else "L") for n in range(1, 13)}
