"""Long lists of groups, a page at a time and searchable (issue 10, target 2 "Growth").

An admin of a large project has thousands of groups: the home page's "Other groups" and the
admin's groups page show 50 names a page, find groups by name, keep the search in their
page links, and cost the same number of SQL statements for 60 groups as for 600.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from coach.admin.services import groups_page
from coach.audit.log import now
from coach.forms import today
from coach.groups import services as group_services
from coach.groups.tables import CoachingGroup, GroupCoach
from coach.home.services import LONGEST_FOLLOW_UP
from coach.paging import PER_PAGE, fold
from tests.coach_world import sign_in
from tests.factories import make_group, make_participant, make_user

# Ended long ago: past the follow-up, so the home page lists them by name only.
OLD_START = dt.date(2020, 1, 6)


async def add_groups(count: int, prefix: str = "Ryhmä", coaches=(), start: dt.date = OLD_START
                     ) -> list[int]:
    """Insert many groups in one statement (and their coaches in another); return ids."""
    names = [f"{prefix} {n:04d}" for n in range(count)]
    rows = [CoachingGroup(name=name, name_folded=fold(name), starts_on=start,
                          ends_on=start + dt.timedelta(weeks=20), created_at=now())
            for name in names]
    await CoachingGroup.insert(*rows)
    ids = await (CoachingGroup.select(CoachingGroup.id)
                 .where(CoachingGroup.name.like(f"{prefix} %")).output(as_list=True))
    links = [GroupCoach(group=group_id, coach=coach.id) for group_id in ids for coach in coaches]
    if links:
        await GroupCoach.insert(*links)
    return ids


def group_links(html: str, prefix: str = "/groups/") -> list[int]:
    return [int(found) for found in re.findall(rf'href="{prefix}(\d+)"', html)]


async def as_admin(client):
    admin = await make_user("boss", role="admin")
    await sign_in(client, admin)
    return admin


async def test_the_search_matches_names_as_casefold_does_and_literally():
    """The database searches as str.casefold() compares, on SQLite as on PostgreSQL."""
    for name in ("Äänekoski", "äijälä", "Espoo 100%", "Espoo_1", "Espoo\\2", "Oulu", "Ärjä",
                 "Straße"):
        await make_group(name=name)

    async def found(q: str) -> list[str]:
        return sorted(group["name"] for group in (await groups_page(q, None)).items)

    assert await found("ÄÄ") == ["Äänekoski"]
    assert await found("  äI ") == ["äijälä"]
    # "%", "_" and "\\" are characters, not wildcards or escapes.
    assert await found("%") == ["Espoo 100%"]
    assert await found("_") == ["Espoo_1"]
    assert await found("\\") == ["Espoo\\2"]
    # Any case of a letter, also beyond ASCII; "ss" and "ß" fold alike; accents count.
    assert await found("ÄRJÄ") == await found("rJ") == ["Ärjä"]
    assert await found("arja") == []
    assert await found("STRASSE") == await found("ẞ") == ["Straße"]
    assert (await groups_page("x" * 101, None)).q_error
    assert not (await groups_page("x" * 100, None)).q_error
    for raw in ("0", "2", "-1", "abc", "9" * 40, "1.5"):
        assert (await groups_page(None, raw)).number is None, raw
    await add_groups(112, prefix="G")
    listing = await groups_page(None, "3")
    assert (listing.pages, listing.number, len(listing.items)) == (3, 3, 20)


async def test_the_admin_home_lists_50_other_groups_a_page_and_stays_small(client):
    ids = await add_groups(300)
    await as_admin(client)
    first = await client.get("/")
    assert first.status_code == 200
    shown = group_links(first.text)
    assert len(shown) == PER_PAGE and set(shown) <= set(ids)
    assert "Page 1 of 6" in first.text and 'href="/?page=2"' in first.text
    assert len(first.content) < 100_000
    last = await client.get("/?page=6")
    assert last.status_code == 200 and len(group_links(last.text)) == 50
    every = set()
    for number in range(1, 7):
        every |= set(group_links((await client.get(f"/?page={number}")).text))
    assert every == set(ids)


async def test_the_admin_home_finds_groups_by_name_and_keeps_the_search(client):
    await add_groups(120)
    wanted = await add_groups(60, prefix="Äänekoski")
    await as_admin(client)
    found = await client.get("/", params={"q": "ääNEKOSKI"})
    assert found.status_code == 200
    assert set(group_links(found.text)) <= set(wanted) and len(group_links(found.text)) == 50
    assert "Groups found: 60" in found.text
    assert 'href="/?q=%C3%A4%C3%A4NEKOSKI&amp;page=2"' in found.text
    # htmx asks for the groups block only: the search and its links are in it.
    fragment = await client.get("/", params={"q": "ääNEKOSKI"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "Groups found: 60" in fragment.text and 'role="search"' in fragment.text
    second = await client.get("/", params={"q": "ääNEKOSKI", "page": "2"})
    assert len(group_links(second.text)) == 10
    nothing = await client.get("/", params={"q": "%"})
    assert nothing.status_code == 200 and group_links(nothing.text) == []
    assert "Groups found: 0" in nothing.text


@pytest.mark.parametrize("asked", ["0", "7", "-1", "abc", "1e3", "9" * 50])
async def test_a_page_out_of_range_says_so_with_404(client, asked):
    await add_groups(300)
    await as_admin(client)
    response = await client.get("/", params={"page": asked})
    assert response.status_code == 404
    assert "There is no such page. The groups fill pages 1 to 6." in response.text
    assert group_links(response.text) == []
    admin_page = await client.get("/admin/groups", params={"page": asked})
    assert admin_page.status_code == 404
    assert "There is no such page. The groups fill pages 1 to 6." in admin_page.text


async def test_a_search_too_long_is_refused_with_a_message(client):
    await add_groups(60)
    await as_admin(client)
    for url in ("/", "/admin/groups"):
        response = await client.get(url, params={"q": "a" * 101})
        assert response.status_code == 400, url
        assert "Type at most 100 characters." in response.text
        assert 'aria-invalid="true"' in response.text


async def test_a_coach_with_few_old_groups_sees_no_search(client):
    coach = await make_user("coach1")
    old = await make_group(name="Kevät 2020", coaches=[coach], starts_on=OLD_START)
    await sign_in(client, coach)
    response = await client.get("/")
    assert group_links(response.text) == [old.id]
    assert 'role="search"' not in response.text and "Page 1 of" not in response.text


async def test_a_coach_searches_only_their_own_groups(client):
    coach = await make_user("coach1")
    mine = await add_groups(70, prefix="Oma", coaches=[coach])
    await add_groups(70, prefix="Muiden")
    await sign_in(client, coach)
    response = await client.get("/", params={"q": "m"})
    assert set(group_links(response.text)) <= set(mine)
    assert "Groups found: 70" in response.text


async def test_the_admin_groups_page_is_paged_searchable_and_shows_coaches(client):
    coach = await make_user("ohjaaja", display_name="Ohjaaja")
    ids = await add_groups(130, coaches=[coach])
    await as_admin(client)
    response = await client.get("/admin/groups")
    assert response.status_code == 200
    shown = group_links(response.text, "/admin/groups/")
    assert len(shown) == 50 and set(shown) <= set(ids)
    assert response.text.count("ohjaaja") >= 50
    assert "Page 1 of 3" in response.text and len(response.content) < 100_000
    found = await client.get("/admin/groups", params={"q": "RYHMÄ 012", "page": "1"})
    assert len(group_links(found.text, "/admin/groups/")) == 10  # 0120..0129
    assert "Groups found: 10" in found.text
    # A refused new group shows the first page again, with its message.
    bad = await client.post("/admin/groups", data={"name": ""})
    assert bad.status_code == 422 and len(group_links(bad.text, "/admin/groups/")) == 50


async def count_for(client, statements, url: str) -> int:
    statements.clear()
    response = await client.get(url)
    assert response.status_code == 200
    return len(statements)


async def test_statements_do_not_grow_with_the_groups(client, statements):
    coach = await make_user("ohjaaja")
    await add_groups(60, prefix="Eka", coaches=[coach])
    await as_admin(client)
    few_admin = await count_for(client, statements, "/admin/groups")
    few_home = await count_for(client, statements, "/")
    await add_groups(540, prefix="Toka", coaches=[coach])
    assert await count_for(client, statements, "/admin/groups") == few_admin
    assert await count_for(client, statements, "/") == few_home


async def test_detailed_home_cards_cost_no_statement_per_group(client, statements,
                                                               monkeypatch):
    """Next steps for 2 or for 12 running groups: the same statements (no query per card)."""
    await as_admin(client)
    start = today() - dt.timedelta(weeks=8)
    first = [await make_group(name=f"A{n}", starts_on=start) for n in range(2)]
    for group in first:
        await make_participant(group, display_name=f"P{group.id}")
    few = await count_for(client, statements, "/")
    more = [await make_group(name=f"B{n}", starts_on=start) for n in range(10)]
    for group in more:
        await make_participant(group, display_name=f"P{group.id}")
    response = await client.get("/")
    assert all(f'href="/groups/{g.id}"' in response.text for g in first + more)
    assert await count_for(client, statements, "/") == few


@pytest.fixture
def rows_read(monkeypatch):
    """Record (statement, rows it returned) for every statement the tables' engine runs."""
    seen: list[tuple[str, int]] = []
    kind = type(CoachingGroup._meta.db)  # on the class: PostgresEngine has __slots__
    run_querystring = kind.run_querystring

    async def counted(self, querystring, *args, **kwargs):
        result = await run_querystring(self, querystring, *args, **kwargs)
        seen.append((str(querystring), len(result or [])))
        return result

    monkeypatch.setattr(kind, "run_querystring", counted)
    return seen


async def group_reads(client, rows_read, url: str) -> list[tuple[str, int]]:
    """Return the statements reading groups to answer a page, with the rows each returned."""
    rows_read.clear()
    assert (await client.get(url)).status_code == 200, url
    return [(sql, rows) for sql, rows in rows_read if 'FROM "coaching_group"' in sql]


async def test_a_page_of_groups_reads_a_page_whatever_their_number(client, rows_read):
    """The database searches, counts and cuts out the page: never every group."""
    coach = await make_user("ohjaaja")
    await add_groups(60, coaches=[coach])
    await as_admin(client)
    pages = ("/admin/groups", "/admin/groups?q=RYHM%C3%84&page=2", "/", "/?q=ryhm%C3%A4&page=2")
    few = {url: await group_reads(client, rows_read, url) for url in pages}
    for url in pages[:2]:  # the admin's list: a page with a LIMIT, and a count
        [(page, rows), (count, one)] = few[url]
        assert f"LIMIT {PER_PAGE}" in page and rows <= PER_PAGE, url
        assert count.startswith("SELECT ALL COUNT(*)") and one == 1, url
    for url in pages:
        assert sum(rows for _sql, rows in few[url]) <= PER_PAGE + 2, url
    await add_groups(600, prefix="Toka", coaches=[coach])
    for url in pages:
        assert await group_reads(client, rows_read, url) == few[url], url


async def test_a_list_that_fits_its_first_page_is_read_and_not_counted(client, statements):
    await add_groups(3)
    await as_admin(client)
    for url, prefix in (("/admin/groups", "/admin/groups/"), ("/", "/groups/")):
        statements.clear()
        response = await client.get(url)
        reads = [sql for sql in statements if 'FROM "coaching_group"' in sql]
        assert len(group_links(response.text, prefix)) == 3 and "Page 1 of" not in response.text
        assert [sql for sql in reads if "COUNT(*)" in sql] == [], url
    beyond = await client.get("/admin/groups", params={"page": "2"})
    assert beyond.status_code == 404 and "The groups fill pages 1 to 1." in beyond.text


async def test_groups_beyond_the_detailed_ones_come_first_among_the_others(client, monkeypatch):
    monkeypatch.setattr(group_services, "HOME_DETAIL_LIMIT", 2)
    running = [await make_group(name=f"Käynnissä {n}", starts_on=today() - dt.timedelta(weeks=n))
               for n in range(1, 5)]
    old = await add_groups(3, prefix="Vanha")
    await as_admin(client)
    response = await client.get("/")
    links = group_links(response.text)
    detailed = [group.id for group in running[:2]]
    # Each detailed card links to its group more than once; the others once each, in order.
    others = [group_id for group_id in links if group_id not in detailed]
    assert set(detailed) <= set(links)
    assert others[:2] == [running[2].id, running[3].id]
    assert sorted(others[2:]) == sorted(old) and len(others) == 5
    found = await client.get("/", params={"q": "KÄYNNISSÄ"})
    assert [i for i in group_links(found.text) if i not in detailed] == others[:2]


def test_a_group_ended_longer_ago_than_the_longest_follow_up_has_no_next_steps():
    """The home page reads only the groups that ended within LONGEST_FOLLOW_UP."""
    for day in range(400):  # every length of month, leap day included
        ends_on = dt.date(2023, 11, 1) + dt.timedelta(days=day)
        for weeks in (1, 20, 52, 104, 400):
            group = {"starts_on": ends_on - dt.timedelta(weeks=weeks), "ends_on": ends_on}
            after = ends_on + LONGEST_FOLLOW_UP + dt.timedelta(days=1)
            assert not group_services.has_next_steps(group, after), group
            if weeks <= 104:  # an over-long run is cut short, and its follow-up with it
                assert group_services.has_next_steps(group, ends_on), group


async def test_a_new_group_is_found_by_any_case_of_its_name(client):
    await as_admin(client)
    created = await client.post("/admin/groups", data={
        "name": "Ärjä Straße", "starts_on": "2026-01-05", "ends_on": "2026-12-21",
        "usual_duration_minutes": "90", "assessment_interval_weeks": "4"},
        follow_redirects=False)
    assert created.status_code == 303
    group = await CoachingGroup.objects().first()
    assert group.name_folded == "ärjä strasse"
    found = await client.get("/admin/groups", params={"q": "ÄRJÄ STRASSE"})
    assert group_links(found.text, "/admin/groups/") == [group.id]
