"""The command registry (handlers/commands.py) is the one source: /trogiup lists exactly the
commands the speaker's roles may use, wrong arguments get the registry's usage line, and the
Telegram command menus are the registry's."""

from __future__ import annotations

import re

from bot.app import App
from handlers.commands import COMMANDS, Check, Role, menus, section
from tests.helpers.harness import texts_to
from tests.helpers.waiting import eventually
from tests.test_telegram import config

C, S, L = Role.CADRE, Role.STAFF, Role.SUPERVISOR
NAMED = re.compile(r"(?<![\w/])/([a-z]+)")  # a command written in a text, not "Xã/phường"


def named(text: str) -> set[str]:
    return set(NAMED.findall(text))


def may_use(*roles: Role) -> set[str]:
    return {n for c in COMMANDS if c.who & set(roles) for n in (c.name, *c.aliases)}


def test_each_roles_help_section_names_exactly_the_commands_of_that_role():
    for role in Role:
        assert named(section(role)) == may_use(role), role


async def test_trogiup_lists_exactly_what_the_speaker_may_use(hx):
    await hx.register("an")
    for who, group, roles in [
        ("an", None, {C}),  # a registered cadre
        ("x", None, {C}),  # someone not registered yet: how to register, how to ask
        ("dd", "g_dat", {S}),  # staff in their group
        ("adm", "g_new", {S}),  # a group not bound yet: what its staff will use
        ("sep", None, {L}),  # a supervisor does not ask: not the cadre's commands
        ("sep", "g_dat", {S, L}),
    ]:
        [text] = texts_to(await hx.say(who, "/trogiup", group=group), group or who)
        assert named(text) == may_use(*roles), (who, group, named(text) ^ may_use(*roles))


async def test_a_ticket_command_without_a_number_gets_the_registry_usage(hx):
    await hx.register("an")
    for command in COMMANDS:
        if command.check is Check.TICKET:
            who, group = ("an", None) if C in command.who else ("dd", "g_dat")
            [text] = texts_to(await hx.say(who, f"/{command.name}", group=group), group or who)
            assert text == f"Cách dùng: {command.usage}", command.name


async def test_role_checks_come_from_the_registry(hx):
    await hx.register("an")
    for command in COMMANDS:
        if command.check is Check.ROLE:
            [text] = texts_to(await hx.say("an", f"/{command.name}"), "an")
            expected = ("Lệnh này chỉ dành cho lãnh đạo, người giám sát." if L in command.who
                        else "Lệnh này dùng trong nhóm của tổ công tác.")
            assert text == expected, command.name


async def test_the_telegram_menus_are_the_registry(tmp_path, server):
    app = App(config(tmp_path, server))
    await app.start()
    try:
        await eventually(lambda: len(server.commands) == 2, "both command menus")
        got = {p["scope"]["type"]: [(c["command"], c["description"]) for c in p["commands"]]
               for p in server.commands}
    finally:
        await app.stop()
    want = menus()
    assert got == {"all_private_chats": want["private"], "all_group_chats": want["group"]}
    assert ("start", "Bắt đầu") in want["private"]
    assert ("tl", "Trả lời phiếu: /tl số nội dung") in want["group"]
    for kind, entries in want.items():  # a menu offers what the chat's people may use
        roles = {C} if kind == "private" else {S}
        assert {name for name, _ in entries} <= may_use(*roles), kind
