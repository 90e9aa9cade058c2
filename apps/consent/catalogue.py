"""The city's initial data categories and purposes.

The migration 0002_seed_catalogue loads a frozen copy; `services.catalogue_ensure()` (run after every
migrate and every test-database flush, see apps.py) re-creates any that are missing and never overwrites
what the data bureau changed.
"""

CATEGORIES = [
    # code, zh, en, sensitive, epidemic_only
    ("identity.name", "姓名", "Name", False, False),
    ("identity.id_masked", "身份证号（脱敏）", "ID number (masked)", False, False),
    ("identity.phone", "手机号", "Phone number", False, False),
    ("identity.adult", "是否年满18周岁", "Is 18 or over", False, False),
    ("health.colour", "健康码颜色", "Health code colour", True, True),
    ("health.records", "健康档案", "Health records", True, False),
    ("location.whereabouts", "行踪轨迹", "Whereabouts", True, False),
    ("transit.account", "乘车账户", "Transit account", False, False),
    ("medical.visits", "就诊记录", "Medical visits", True, False),
    ("licence.driving", "驾驶证", "Driving licence", False, False),
    ("talent.certification", "人才认定", "Talent certification", False, False),
]

# Purposes that accept each token once (the second scan of one code is a replay).
SINGLE_USE = frozenset({"transit.boarding", "medical.registration"})

PURPOSES = [
    # code, zh, en, description zh, description en, basis, categories, retention days, epidemic control
    ("transit.boarding", "乘车扫码", "Boarding public transit",
     "公交、地铁验码乘车并结算车费。", "Verify the ride code when boarding, and settle the fare.",
     "consent", ["identity.adult", "transit.account"], 180, False),
    ("health.epidemic_control", "疫情防控", "Epidemic control",
     "依法开展传染病防控，核验健康码颜色。", "Statutory infectious-disease control: checking the health code colour.",
     "statutory", ["health.colour", "identity.name", "identity.id_masked"], 30, True),
    ("medical.registration", "医院挂号", "Hospital registration",
     "预约挂号、就诊登记与缴费。", "Booking, checking in and paying at a hospital.",
     "consent", ["identity.name", "identity.id_masked", "identity.phone", "medical.visits"], 365, False),
    ("licence.traffic_check", "交通执法查验驾驶证", "Traffic check of a driving licence",
     "交警依法查验驾驶证。", "A traffic officer's statutory check of a driving licence.",
     "statutory", ["identity.name", "identity.id_masked", "licence.driving"], 90, False),
    ("venue.entry", "场馆入场", "Venue entry",
     "场馆核验入场资格（如是否成年）。", "A venue checks admission (for example, being an adult).",
     "consent", ["identity.adult", "identity.name"], 30, False),
    ("talent.benefits", "人才服务", "Talent benefits",
     "核验人才认定以办理人才服务。", "Checking a talent certification to grant talent benefits.",
     "consent", ["identity.name", "talent.certification"], 365, False),
]
