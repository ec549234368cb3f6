# ruff: noqa: RUF001  (Chinese and Russian demo text uses full-width commas and Cyrillic)
"""Demo catalog: categories and a few hundred listings in English, Chinese and Russian."""

from __future__ import annotations

import random
from typing import Any

from flask import Flask

DEMO_CATEGORIES: list[dict[str, Any]] = [
    {
        "slug": "home",
        "names": {"en": "Home & garden", "zh_Hans": "家居园艺", "ru": "Дом и сад"},
        "children": [
            {
                "slug": "furniture",
                "names": {"en": "Furniture", "zh_Hans": "家具", "ru": "Мебель"},
                "attribute_hints": ["condition", "brand"],
            },
            {"slug": "kitchen", "names": {"en": "Kitchen", "zh_Hans": "厨房用品", "ru": "Кухня"}},
        ],
    },
    {
        "slug": "electronics",
        "names": {"en": "Electronics", "zh_Hans": "电子产品", "ru": "Электроника"},
        "children": [
            {"slug": "phones", "names": {"en": "Phones", "zh_Hans": "手机", "ru": "Телефоны"}},
            {
                "slug": "computers",
                "names": {"en": "Computers", "zh_Hans": "电脑", "ru": "Компьютеры"},
            },
        ],
    },
    {"slug": "bikes", "names": {"en": "Bikes", "zh_Hans": "自行车", "ru": "Велосипеды"}},
    {
        "slug": "services",
        "names": {"en": "Services", "zh_Hans": "服务", "ru": "Услуги"},
        "children": [
            {"slug": "cleaning", "names": {"en": "Cleaning", "zh_Hans": "清洁", "ru": "Уборка"}},
            {
                "slug": "tutoring",
                "names": {"en": "Tutoring", "zh_Hans": "家教", "ru": "Репетиторы"},
            },
            {"slug": "repairs", "names": {"en": "Repairs", "zh_Hans": "维修", "ru": "Ремонт"}},
        ],
    },
]

# (category, type, unit, price range in minor units, {lang: [(title, description)]})
ITEMS: list[tuple[str, str, str, tuple[int, int], dict[str, list[tuple[str, str]]]]] = [
    (
        "furniture",
        "product",
        "item",
        (2000, 60000),
        {
            "en": [
                ("Oak dining table", "Solid oak, seats six, a few light scratches."),
                ("Grey three-seat sofa", "Comfortable fabric sofa, smoke-free home."),
                ("Bookshelf with five shelves", "White, 180 cm tall, easy to take apart."),
                ("Office chair", "Adjustable height and armrests, mesh back."),
            ],
            "zh": [
                ("实木餐桌", "橡木实木，可坐六人，九成新。"),
                ("灰色三人沙发", "布艺沙发，坐感舒适，无宠物无烟。"),
                ("五层书架", "白色，高一百八十厘米，可拆装。"),
                ("人体工学办公椅", "可调节高度和扶手，网布靠背。"),
            ],
            "ru": [
                ("Обеденный стол из дуба", "Массив дуба, на шесть человек, небольшие царапины."),
                ("Серый трёхместный диван", "Удобный тканевый диван, не курим."),
                ("Книжный стеллаж", "Белый, высота 180 см, легко разобрать."),
                ("Офисное кресло", "Регулируется высота и подлокотники."),
            ],
        },
    ),
    (
        "kitchen",
        "product",
        "item",
        (500, 20000),
        {
            "en": [
                ("Cast iron pan", "28 cm, seasoned and ready to cook."),
                ("Espresso machine", "15 bar pump, milk frother, descaled last month."),
            ],
            "zh": [
                ("铸铁煎锅", "二十八厘米，已开锅，可直接使用。"),
                ("意式咖啡机", "十五巴压力，带奶泡器。"),
            ],
            "ru": [
                ("Чугунная сковорода", "28 см, прокалена и готова к работе."),
                ("Кофемашина эспрессо", "Помпа 15 бар, капучинатор."),
            ],
        },
    ),
    (
        "phones",
        "product",
        "item",
        (5000, 90000),
        {
            "en": [
                ("Smartphone 128 GB", "Unlocked, battery at 91%, with case."),
                ("Refurbished phone", "Screen replaced, works perfectly."),
            ],
            "zh": [
                ("智能手机 128GB", "无锁版，电池健康百分之九十一，送手机壳。"),
                ("二手手机", "已换新屏，功能完好。"),
            ],
            "ru": [
                ("Смартфон 128 ГБ", "Без блокировки, батарея 91%, с чехлом."),
                ("Восстановленный телефон", "Заменён экран, работает отлично."),
            ],
        },
    ),
    (
        "computers",
        "product",
        "item",
        (15000, 200000),
        {
            "en": [
                ("Laptop 14 inch", "16 GB RAM, 512 GB SSD, charger included."),
                ("Mechanical keyboard", "Brown switches, full size, USB-C."),
            ],
            "zh": [
                ("十四寸笔记本电脑", "十六G内存，五百一十二G固态硬盘，带充电器。"),
                ("机械键盘", "茶轴，全尺寸，USB-C接口。"),
            ],
            "ru": [
                ("Ноутбук 14 дюймов", "16 ГБ ОЗУ, SSD 512 ГБ, с зарядкой."),
                ("Механическая клавиатура", "Коричневые переключатели, USB-C."),
            ],
        },
    ),
    (
        "bikes",
        "product",
        "item",
        (5000, 150000),
        {
            "en": [
                ("Road bike 54 cm", "Aluminium frame, Shimano gears, new tyres."),
                ("Kids bike 20 inch", "Ages 6 to 9, with bell and lights."),
            ],
            "zh": [
                ("二手公路自行车", "铝合金车架，禧玛诺变速，新换轮胎。"),
                ("儿童自行车二十寸", "适合六到九岁，带车铃和车灯。"),
            ],
            "ru": [
                ("Шоссейный велосипед 54 см", "Алюминиевая рама, новые покрышки."),
                ("Детский велосипед 20 дюймов", "Для детей 6–9 лет, со звонком."),
            ],
        },
    ),
    (
        "cleaning",
        "service",
        "hour",
        (1500, 6000),
        {
            "en": [
                ("Home cleaning", "Kitchen, bathroom and floors; we bring the supplies."),
                ("Window cleaning", "Inside and outside, up to the third floor."),
            ],
            "zh": [
                ("家庭保洁", "厨房、卫生间和地面清洁，自带清洁用品。"),
                ("擦玻璃服务", "室内外玻璃清洁，三楼以下。"),
            ],
            "ru": [
                ("Уборка квартиры", "Кухня, ванная и полы; средства наши."),
                ("Мытьё окон", "Внутри и снаружи, до третьего этажа."),
            ],
        },
    ),
    (
        "tutoring",
        "service",
        "hour",
        (2000, 8000),
        {
            "en": [
                ("Maths tutoring", "Secondary school and exam preparation, online or in person."),
                ("Piano lessons", "Beginners welcome, 45-minute lessons."),
            ],
            "zh": [
                ("数学家教", "初高中数学辅导，线上线下均可。"),
                ("钢琴课", "零基础可学，每节课四十五分钟。"),
            ],
            "ru": [
                ("Репетитор по математике", "Школа и подготовка к экзаменам, онлайн или очно."),
                ("Уроки фортепиано", "Для начинающих, занятия по 45 минут."),
            ],
        },
    ),
    (
        "repairs",
        "service",
        "project",
        (3000, 30000),
        {
            "en": [
                ("Bike repair and tune-up", "Brakes, gears and wheel truing."),
                ("Laptop repair", "Screens, keyboards and batteries replaced."),
            ],
            "zh": [
                ("自行车维修保养", "刹车、变速调试和车轮校正。"),
                ("笔记本电脑维修", "更换屏幕、键盘和电池。"),
            ],
            "ru": [
                ("Ремонт велосипедов", "Тормоза, переключатели, правка колёс."),
                ("Ремонт ноутбуков", "Замена экранов, клавиатур и батарей."),
            ],
        },
    ),
]

CITIES = {
    "en": [("Berlin", 52.52, 13.405), ("London", 51.507, -0.128), ("New York", 40.713, -74.006)],
    "zh": [("上海", 31.23, 121.474), ("北京", 39.904, 116.407), ("深圳", 22.543, 114.058)],
    "ru": [
        ("Москва", 55.756, 37.617),
        ("Санкт-Петербург", 59.939, 30.316),
        ("Казань", 55.796, 49.106),
    ],
}


def seed_listings(app: Flask, seed: int, *, count: int = 300) -> int:
    """Categories and ``count`` published listings by a few demo sellers; returns how many."""
    from .core.listings.categories import sync_from_config
    from .core.listings.service import create_listing, publish_listing, site_currency
    from .core.users.passwords import hash_password
    from .core.users.service import create_user
    from .demo import DEMO_PASSWORD
    from .events import commit
    from .money import currency_exponent

    rnd = random.Random(seed)
    sync_from_config(DEMO_CATEGORIES)
    pw = hash_password(DEMO_PASSWORD)
    sellers = {
        "en": create_user(
            "seller.en@demo.example", "Oak & Iron Goods", password_hash=pw, account_type="business"
        ),
        "zh": create_user("seller.zh@demo.example", "王师傅", password_hash=pw, locale="zh_Hans"),
        "ru": create_user("seller.ru@demo.example", "Ирина Петрова", password_hash=pw, locale="ru"),
    }
    commit()
    scale = 10 ** max(0, currency_exponent(site_currency()) - 2)
    made = 0
    while made < count:
        category, kind, unit, (lo, hi), texts = rnd.choice(ITEMS)
        lang = rnd.choice(["en", "zh", "ru"])
        title, description = rnd.choice(texts[lang])
        city, lat, lng = rnd.choice(CITIES[lang])
        attrs: dict[str, Any] = {}
        if kind == "product":
            attrs["condition"] = rnd.choice(["new", "like_new", "used", "used"])
        else:
            attrs["remote"] = category == "tutoring" and rnd.random() < 0.5
            attrs["service_area"] = city
        listing = create_listing(
            sellers[lang],
            listing_type=kind,
            title=title,
            description=description,
            price_amount=(rnd.randrange(lo, hi) // 100 * 100) * scale,
            pricing_unit=unit,
            quantity=rnd.randint(1, 5) if kind == "product" else None,
            category=category,
            address=city,
            latitude=round(lat + rnd.uniform(-0.15, 0.15), 5),
            longitude=round(lng + rnd.uniform(-0.2, 0.2), 5),
            attributes=attrs,
        )
        publish_listing(listing, sellers[lang])
        made += 1
        if made % 100 == 0:
            commit()
    commit()
    return made
