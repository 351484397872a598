# ruff: noqa: RUF001  Russian text
"""Demo knowledge base: four categories and a dozen published articles in English
and Russian (billing, outages, tariffs, equipment), linked to the demo topics.
Idempotent: a category or article that exists (by name, by title) is left."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from crm_core.auth.model import system_actor
from crm_core.clock import Clock
from crm_core.db import Sessions
from crm_core.kb.inputs import ArticleInput, CategoryInput
from crm_core.kb.model import CategoryId, Language
from crm_core.kb.service import KnowledgeBase
from crm_core.kb.tables import ArticleRow

CATEGORIES = {
    "billing": CategoryInput(name_en="Billing", name_ru="Оплата и счета"),
    "outages": CategoryInput(name_en="Outages", name_ru="Аварии"),
    "tariffs": CategoryInput(name_en="Tariffs", name_ru="Тарифы"),
    "equipment": CategoryInput(name_en="Equipment", name_ru="Оборудование"),
}


@dataclass(frozen=True, slots=True)
class DemoArticle:
    category: str
    language: Language
    title: str
    body: str
    topics: tuple[str, ...] = ()


EN, RU = Language.EN, Language.RU
ARTICLES = (
    DemoArticle("billing", EN, "The monthly bill: when it comes and how to pay", """\
The bill for the month is issued on the **1st** and is due by the **20th**.

# Ways to pay
- in the self-service portal, by card
- by bank transfer quoting the account number (ACC-…)
- at any partner shop, in cash

A payment shows on the balance within 15 minutes; a bank transfer may take a day.
If the customer says they were billed twice, check the last contacts and open a
complaint with both payment dates."""),
    DemoArticle("billing", EN, "Internet blocked for a negative balance", """\
When the balance goes below zero the internet is **suspended** at 00:00; TV and
phone keep working for 3 more days.

1. Tell the customer the amount due (the balance on the card).
2. Offer a **promised payment**: the service returns at once for 3 days.
3. The service returns by itself 15 minutes after a payment.

Do not open a fault complaint for a blocked line: it is not a fault.""",
        ("complaint",)),
    DemoArticle("outages", EN, "Is there an outage in the caller's area?", """\
Before troubleshooting, check for a known outage: the IVR already tells callers
from an affected area, so a caller who still reaches you may not have heard it.

- Look at the open incidents for the caller's city, building or network node.
- If one matches, give the expected end time and link the appeal to it.
- If none matches, register a complaint with the date the fault started.

Never promise a time the incident does not state.""", ("complaint",)),
    DemoArticle("tariffs", EN, "Home 100, Home 500 and Business 1000 compared", """\
# Home 100
100 Mbit/s, unlimited, router rental included.

# Home 500
500 Mbit/s, unlimited, Wi-Fi 6 router, TV Basic as a gift for 3 months.

# Business 1000
1 Gbit/s with a static address and 4-hour repair time, for companies only.

A tariff change takes effect from the next day; moving to a cheaper tariff is
free once a month.""", ("termination",)),
    DemoArticle("equipment", EN, "Router lights and what they mean", """\
- **Power** green: the router is on.
- **WAN** off or red: no signal from the network. Check the cable, then look
  for an outage in the area.
- **Wi-Fi** blinking: normal traffic.

If all lights are on but nothing works, ask the customer to restart the router:
unplug it for 10 seconds, plug it back and wait 2 minutes.""", ("complaint",)),
    DemoArticle("tariffs", EN, "Before a contract is terminated: retention offers", """\
A customer who asks to terminate is offered, in this order:

1. a cheaper tariff (see the tariffs compared);
2. 50% off for 3 months on the current tariff;
3. a free pause of up to 60 days for those who are moving.

If the customer still wants to leave, register the termination appeal with the
reason; the equipment must be returned within 14 days.""", ("termination",)),
    DemoArticle("billing", RU, "Счёт за месяц: когда приходит и как оплатить", """\
Счёт за месяц выставляется **1-го числа**, оплатить его нужно до **20-го**.

# Способы оплаты
- картой в личном кабинете
- банковским переводом с номером лицевого счёта
- наличными в салонах партнёров

Платёж зачисляется на баланс за 15 минут, перевод из банка — до суток."""),
    DemoArticle("billing", RU, "Двойное списание по счёту", """\
Если абонент говорит, что деньги за счёт списали дважды:

1. Проверьте последние обращения и платежи на карточке.
2. Уточните даты и суммы обоих платежей.
3. Зарегистрируйте жалобу, приложив даты; лишняя сумма вернётся на баланс
   в течение 5 рабочих дней после проверки.

Не обещайте возврат на карту: деньги возвращаются на баланс.""", ("complaint",)),
    DemoArticle("outages", RU, "Авария в районе: что сказать абоненту", """\
Сначала проверьте открытые инциденты по городу, дому или узлу абонента.

- Есть подходящий инцидент: назовите ожидаемое время восстановления и привяжите
  обращение к инциденту.
- Инцидента нет: зарегистрируйте жалобу с датой, когда пропала связь.

Не называйте сроки, которых нет в инциденте.""", ("complaint",)),
    DemoArticle("tariffs", RU, "Смена тарифа", """\
Новый тариф начинает действовать **со следующего дня**. Переход на более дешёвый
тариф бесплатен раз в месяц, на более дорогой — всегда.

# Тарифы
- Home 100 — 100 Мбит/с, роутер в аренду включён
- Home 500 — 500 Мбит/с, роутер Wi-Fi 6, три месяца ТВ в подарок
- Business 1000 — 1 Гбит/с, только для организаций""", ("termination",)),
    DemoArticle("equipment", RU, "Перезагрузка роутера", """\
Попросите абонента:

1. Отключить роутер от розетки на 10 секунд.
2. Включить его и подождать 2 минуты.
3. Проверить индикатор **WAN**: если он не горит, проверьте кабель и нет ли
   аварии в районе.

Если после перезагрузки интернета нет, зарегистрируйте жалобу.""", ("complaint",)),
    DemoArticle("equipment", RU, "Возврат оборудования при расторжении договора", """\
Роутер и ТВ-приставку нужно вернуть в течение **14 дней** после расторжения
договора, в любой салон, с паспортом.

- Невозвращённое оборудование выставляется в последнем счёте.
- Оборудование, купленное абонентом, возвращать не нужно.""", ("termination",)),
)  # fmt: skip


async def seed_knowledge_base(sessions: Sessions, clock: Clock) -> int:
    """The demo's categories and articles that do not exist yet, published;
    returns how many articles were added."""
    kb = KnowledgeBase(sessions, clock)
    actor = system_actor()
    known = {c.name_en: c.id for c in await kb.categories(actor)}
    categories: dict[str, CategoryId] = {}
    for key, names in CATEGORIES.items():
        found = known.get(names.name_en)
        categories[key] = found or (await kb.add_category(actor, names)).id
    topics = {t.code for t in await kb.topics(actor)}
    async with sessions() as s:
        titles = set(await s.scalars(select(ArticleRow.title)))
    added = 0
    for demo in ARTICLES:
        if demo.title in titles:
            continue
        made = await kb.create(
            actor,
            ArticleInput(
                title=demo.title, body=demo.body, language=demo.language,
                category_id=categories[demo.category],
                topic_codes=[t for t in demo.topics if t in topics],
            ),
        )  # fmt: skip
        await kb.publish(actor, made.id)
        added += 1
    return added
