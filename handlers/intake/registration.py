"""Cadre registration: guided step by step, or in one line; open, approval or invite policy."""

from __future__ import annotations

import secrets
from typing import Any

from handlers.context import Conversation, Ctx
from handlers.errors import HotlineError, UsageError
from handlers.intake.communes import resolve_commune
from handlers.messages import Choice, Identity
from handlers.texts import intake as t
from handlers.texts import supervisor as sv
from handlers.tickets import typed_number
from storage import repo
from storage.models import Invite, User, UserStatus

USAGE = t.REGISTER_LINE

# What each field may be, in the one-line form and step by step alike: one printable line
# (a line break would let a name add fake lines to the cards staff read), within bounds.
LIMITS = {"name": (3, 80), "commune": (2, 100), "position": (2, 120)}


def valid(field: str, text: str) -> str | None:
    """The field's value, spaces squeezed; None when it is not one printable line in bounds."""
    text = text.strip()
    low, high = LIMITS[field]
    if not low <= len(text) <= high or not all(c.isprintable() for c in text):
        return None
    return " ".join(text.split())


# Conversation states while registering
ASK_NAME, ASK_COMMUNE, ASK_POSITION = "reg_name", "reg_commune", "reg_position"


async def start(ctx: Ctx, args: str) -> None:
    """/start [mã mời]"""
    if args.strip():
        await join(ctx, args)
        return
    user = await ctx.user()
    if user and user.status == UserStatus.ACTIVE:
        await ctx.reply(t.WELCOME_BACK.format(name=user.name))
        return
    await ctx.reply(t.WELCOME + how_to_register(ctx.settings.registration))


def how_to_register(policy: str) -> str:
    """What an unregistered person should type: under the invite policy, /dangky alone only
    asks for the code, so say /thamgia at once."""
    if policy == "invite":
        return t.HOW_TO_REGISTER_INVITE
    return t.HOW_TO_REGISTER


async def join(ctx: Ctx, args: str) -> None:
    """/thamgia <mã mời>: under the invite policy, an invite fixes the commune."""
    if ctx.msg.chat.kind != "private":  # the questions that follow would be group messages
        raise HotlineError(t.JOIN_IN_PRIVATE)
    invite = await repo.get_invite(ctx.session, args.strip())
    if invite is None or invite.used_by:
        raise HotlineError(t.INVITE_INVALID)
    await ctx.wait_for(ASK_NAME, {"invite": invite.code, "commune_id": invite.commune_id})
    await ctx.reply(t.INVITE_ACCEPTED)


async def register(ctx: Ctx, args: str) -> None:
    """/dangky — guided, or one line `Họ tên | Xã/phường | Chức vụ`."""
    if ctx.msg.chat.kind != "private":
        raise HotlineError(t.REGISTER_IN_PRIVATE)
    user = await ctx.user()
    if user and user.status == UserStatus.ACTIVE:
        await ctx.reply(t.ALREADY_REGISTERED.format(name=user.name, position=user.position))
        return
    data = (await ctx.conversation()).data
    if ctx.settings.registration == "invite" and "invite" not in data:
        raise HotlineError(t.INVITE_NEEDED)
    if not args.strip():
        await ctx.wait_for(ASK_NAME, data)
        await ctx.reply(t.ASK_NAME)
        return
    parts = [p.strip() for p in args.split("|")]
    fields = ("name", "position") if "invite" in data and len(parts) == 2 else ("name", "commune", "position")
    if len(parts) != len(fields) or not all(parts):
        raise UsageError()
    values = {}
    for field, part in zip(fields, parts, strict=True):
        value = valid(field, part)
        if value is None:
            raise HotlineError(t.FIELD_INVALID, rule=t.FIELD_RULE[field], usage=USAGE)
        values[field] = value
    data.update(name=values["name"], position=values["position"])
    if "commune" not in values:  # the invite already says which commune
        await _finish(ctx, data, values["position"])
        return
    await _pick_commune(ctx, data, values["commune"])


async def on_step(ctx: Ctx, conversation: Conversation, text: str) -> None:
    """A plain message while registering answers the current step."""
    state, data = conversation.state, dict(conversation.data)
    text = text.strip()
    if not text:
        await ctx.reply(t.TYPE_IN_WORDS)
        return
    field = {ASK_NAME: "name", ASK_COMMUNE: "commune", ASK_POSITION: "position"}[state]
    value = valid(field, text)
    if value is None:
        await ctx.reply(t.FIELD_RULE[field] + t.RETYPE[field])
        return
    text = value
    if state == ASK_NAME:
        data["name"] = text
        if "commune_id" in data:
            await ctx.wait_for(ASK_POSITION, data)
            await ctx.reply(t.ASK_POSITION)
            return
        await ctx.wait_for(ASK_COMMUNE, data)
        await ctx.reply(t.ASK_COMMUNE)
    elif state == ASK_COMMUNE:
        await _pick_commune(ctx, data, text)
    elif state == ASK_POSITION:
        await _finish(ctx, data, text)


async def choose_commune(ctx: Ctx, args: str) -> None:
    """/chonxa <id> — the answer to a 'which commune did you mean' question."""
    conversation = await ctx.conversation()
    commune_id = typed_number(args)
    if conversation.state != ASK_COMMUNE or commune_id is None:
        raise HotlineError(t.NO_COMMUNE_QUESTION)
    data = dict(conversation.data)
    data["commune_id"] = commune_id
    await _after_commune(ctx, data)


async def _pick_commune(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    found = resolve_commune(text)
    await ctx.wait_for(ASK_COMMUNE, data)
    if found.unique:
        option = found.unique
        data["commune_id"] = option.commune.id
        if option.former_name:
            await ctx.reply(t.FORMER_COMMUNE.format(
                former=option.former_name, district=option.commune.former_district,
                commune=option.commune.name,
            ))
        await _after_commune(ctx, data)
        return
    if not found.options:
        await ctx.reply(t.COMMUNE_UNKNOWN.format(text=text))
        return
    intro = t.COMMUNE_SUGGESTED if found.suggested else t.COMMUNE_AMBIGUOUS.format(text=text)
    await ctx.reply(
        intro + t.CHOOSE_OR_RETYPE,
        [Choice(o.label, f"/chonxa {o.commune.id}") for o in found.options],
    )


async def _after_commune(ctx: Ctx, data: dict[str, Any]) -> None:
    if data.get("position"):
        await _finish(ctx, data, data["position"])
        return
    await ctx.wait_for(ASK_POSITION, data)
    await ctx.reply(t.ASK_POSITION_AFTER_COMMUNE)


async def _finish(ctx: Ctx, data: dict[str, Any], position: str) -> None:
    from handlers.intake.communes import commune_by_id

    commune = commune_by_id(int(data["commune_id"]))
    if commune is None:
        raise HotlineError(t.COMMUNE_INVALID)
    user = await ctx.user()
    if user is None:
        user = User(identity=str(ctx.who), created_at=ctx.now)
        repo.add_user(ctx.session, user)
    user.name = data["name"]
    user.commune_id = commune.id
    user.position = position.strip()[:120]
    invited = "invite" in data
    if ctx.settings.registration == "open" or invited:
        user.status = UserStatus.ACTIVE
    else:
        user.status = UserStatus.PENDING
    if invited:
        invite = await repo.get_invite(ctx.session, data["invite"])
        if invite:
            invite.used_by = str(ctx.who)
    await ctx.wait_for("")
    summary = f"{user.name} — {user.position}, {commune.name}"
    if user.status == UserStatus.ACTIVE:
        await ctx.reply(t.REGISTERED.format(summary=summary))
        return
    await ctx.reply(t.REGISTRATION_RECEIVED.format(summary=summary))
    await ctx.notify_supervisors(
        sv.NEW_REGISTRATION.format(summary=summary, who=ctx.who),
        [Choice(sv.APPROVE, f"/duyet {ctx.who}"), Choice(sv.REJECT, f"/tuchoi {ctx.who}")],
    )


async def approve(ctx: Ctx, args: str, accept: bool = True) -> None:
    """/duyet <kênh:id> and /tuchoi <kênh:id> — supervisors decide on pending registrations."""
    try:
        who = Identity.parse(args)
    except ValueError:
        raise UsageError() from None
    user = await repo.get_user(ctx.session, str(who))
    if user is None:
        raise HotlineError(sv.NO_REGISTRATION, who=who)
    if user.status == (UserStatus.ACTIVE if accept else UserStatus.REJECTED):
        await ctx.reply(sv.ALREADY_DECIDED.format(name=user.name, who=who))
        return
    if not accept and user.status == UserStatus.ACTIVE:  # one rule: /tuchoi decides, /chan revokes
        raise HotlineError(sv.REJECT_ACTIVE, name=user.name, who=who)
    user.status = UserStatus.ACTIVE if accept else UserStatus.REJECTED
    if accept:
        await ctx.reply(sv.APPROVED.format(name=user.name, who=who))
        await ctx.send_to(who, t.APPROVED)
    else:
        await ctx.reply(sv.REJECTED.format(name=user.name, who=who))
        await ctx.send_to(who, t.REJECTED)


async def invite(ctx: Ctx, args: str) -> None:
    """/moi <xã/phường> — a one-time code that registers a cadre of that commune."""
    if not args.strip():
        raise UsageError()
    found = resolve_commune(args)
    option = found.unique
    if option is None:
        names = "; ".join(o.label for o in found.options) or sv.NO_MATCH
        raise HotlineError(sv.ONE_COMMUNE_NEEDED, names=names)
    code = secrets.token_hex(3).upper()
    repo.add_invite(
        ctx.session,
        Invite(code=code, commune_id=option.commune.id, created_by=str(ctx.who), created_at=ctx.now),
    )
    await ctx.reply(sv.INVITE_CODE.format(commune=option.commune.name, code=code))
