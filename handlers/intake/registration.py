"""Cadre registration: guided step by step, or in one line; open, approval or invite policy."""

from __future__ import annotations

import json
import secrets

from handlers.context import Ctx
from handlers.desk.tickets import typed_number
from handlers.errors import HotlineError, NotAllowed, UsageError
from handlers.intake.communes import resolve_commune
from handlers.messages import Choice, Identity
from storage import repo
from storage.models import Invite, User, UserStatus

USAGE = "/dangky Họ tên | Xã/phường | Chức vụ  (hoặc chỉ gõ /dangky để được hướng dẫn từng bước)"

# What each field may be, in the one-line form and step by step alike: one printable line
# (a line break would let a name add fake lines to the cards staff read), within bounds.
LIMITS = {"name": (3, 80), "commune": (2, 100), "position": (2, 120)}
FIELD_RULE = {
    "name": "Họ tên chưa hợp lệ (một dòng, 3–80 ký tự)",
    "commune": "Tên xã/phường chưa hợp lệ (một dòng, không quá 100 ký tự)",
    "position": "Chức vụ chưa hợp lệ (một dòng, 2–120 ký tự)",
}
RETYPE = {
    "name": ", xin gõ lại (ví dụ: Nguyễn Văn An):",
    "commune": ", xin gõ lại:",
    "position": ", xin gõ lại (ví dụ: Công chức địa chính):",
}


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
        await ctx.reply(
            f"Chào {user.name}! Anh/chị cứ gõ câu hỏi, hệ thống sẽ chuyển đến đúng tổ công tác "
            "và báo số phiếu cùng hạn trả lời. Gõ /trogiup để xem các lệnh."
        )
        return
    await ctx.reply(
        "Chào anh/chị! Đây là đường dây hỗ trợ các xã, phường của tỉnh: câu hỏi được chuyển đến "
        "đúng sở, ngành và theo dõi đến khi có trả lời.\n" + how_to_register(ctx.settings.registration)
    )


def how_to_register(policy: str) -> str:
    """What an unregistered person should type: under the invite policy, /dangky alone only
    asks for the code, so say /thamgia at once."""
    if policy == "invite":
        return ("Trước hết xin anh/chị đăng ký bằng mã mời của Sở Nội vụ: gõ /thamgia <mã mời>. "
                "Chưa có mã, xin liên hệ Sở Nội vụ.")
    return ("Trước hết xin anh/chị đăng ký: gõ /dangky để được hướng dẫn, hoặc gửi một dòng\n"
            "/dangky Họ tên | Xã/phường | Chức vụ")


async def join(ctx: Ctx, args: str) -> None:
    """/thamgia <mã mời>: under the invite policy, an invite fixes the commune."""
    if ctx.msg.chat.kind != "private":  # the questions that follow would be group messages
        raise HotlineError("Xin gõ /thamgia <mã mời> trong tin nhắn riêng với bot, không dùng trong nhóm.")
    invite = await repo.get_invite(ctx.session, args.strip())
    if invite is None or invite.used_by:
        raise HotlineError("Mã mời không đúng hoặc đã được dùng. Xin liên hệ Sở Nội vụ để nhận mã mới.")
    await repo.set_state(
        ctx.session, ctx.state_key, ctx.now, state=ASK_NAME,
        data={"invite": invite.code, "commune_id": invite.commune_id},
    )
    await ctx.reply("Mã mời hợp lệ. Xin cho biết họ và tên của anh/chị:")


async def register(ctx: Ctx, args: str) -> None:
    """/dangky — guided, or one line `Họ tên | Xã/phường | Chức vụ`."""
    if ctx.msg.chat.kind != "private":
        raise HotlineError("Xin đăng ký trong tin nhắn riêng với bot, không đăng ký trong nhóm.")
    user = await ctx.user()
    if user and user.status == UserStatus.ACTIVE:
        await ctx.reply(f"Anh/chị đã đăng ký rồi ({user.name}, {user.position}).")
        return
    state = await repo.get_state(ctx.session, ctx.state_key)
    data = json.loads(state.data) if state else {}
    if ctx.settings.registration == "invite" and "invite" not in data:
        raise HotlineError(
            "Đăng ký cần mã mời của Sở Nội vụ. Khi có mã, gõ /thamgia <mã mời>."
        )
    if not args.strip():
        await repo.set_state(ctx.session, ctx.state_key, ctx.now, state=ASK_NAME, data=data)
        await ctx.reply("Xin cho biết họ và tên của anh/chị:")
        return
    parts = [p.strip() for p in args.split("|")]
    fields = ("name", "position") if "invite" in data and len(parts) == 2 else ("name", "commune", "position")
    if len(parts) != len(fields) or not all(parts):
        raise UsageError(USAGE)
    values = {}
    for field, part in zip(fields, parts, strict=True):
        value = valid(field, part)
        if value is None:
            raise HotlineError(f"{FIELD_RULE[field]}. Cách dùng: {USAGE}")
        values[field] = value
    data.update(name=values["name"], position=values["position"])
    if "commune" not in values:  # the invite already says which commune
        await _finish(ctx, data, values["position"])
        return
    await _pick_commune(ctx, data, values["commune"])


async def on_step(ctx: Ctx, state: str, data: dict, text: str) -> None:
    """A plain message while registering answers the current step."""
    text = text.strip()
    if not text:
        await ctx.reply("Xin gõ câu trả lời bằng chữ.")
        return
    field = {ASK_NAME: "name", ASK_COMMUNE: "commune", ASK_POSITION: "position"}[state]
    value = valid(field, text)
    if value is None:
        await ctx.reply(FIELD_RULE[field] + RETYPE[field])
        return
    text = value
    if state == ASK_NAME:
        data["name"] = text
        if "commune_id" in data:
            await repo.set_state(ctx.session, ctx.state_key, ctx.now, state=ASK_POSITION, data=data)
            await ctx.reply("Chức vụ của anh/chị? (ví dụ: Công chức địa chính)")
            return
        await repo.set_state(ctx.session, ctx.state_key, ctx.now, state=ASK_COMMUNE, data=data)
        await ctx.reply("Anh/chị công tác ở xã/phường nào? (tên mới hoặc tên cũ trước sáp nhập đều được)")
    elif state == ASK_COMMUNE:
        await _pick_commune(ctx, data, text)
    elif state == ASK_POSITION:
        await _finish(ctx, data, text)


async def choose_commune(ctx: Ctx, args: str) -> None:
    """/chonxa <id> — the answer to a 'which commune did you mean' question."""
    state = await repo.get_state(ctx.session, ctx.state_key)
    commune_id = typed_number(args)
    if state is None or state.state != ASK_COMMUNE or commune_id is None:
        raise HotlineError("Không có câu hỏi chọn xã nào đang chờ. Gõ /dangky để đăng ký.")
    data = json.loads(state.data)
    data["commune_id"] = commune_id
    await _after_commune(ctx, data)


async def _pick_commune(ctx: Ctx, data: dict, text: str) -> None:
    found = resolve_commune(text)
    await repo.set_state(ctx.session, ctx.state_key, ctx.now, state=ASK_COMMUNE, data=data)
    if found.unique:
        option = found.unique
        data["commune_id"] = option.commune.id
        if option.former_name:
            await ctx.reply(
                f"{option.former_name} ({option.commune.former_district} cũ) nay thuộc "
                f"{option.commune.name}. Hệ thống ghi nhận anh/chị ở {option.commune.name}."
            )
        await _after_commune(ctx, data)
        return
    if not found.options:
        await ctx.reply(
            f"Không tìm thấy xã/phường “{text}” trong 130 xã, phường của tỉnh. "
            "Xin gõ lại tên (có thể gõ không dấu, tên cũ trước sáp nhập cũng được):"
        )
        return
    intro = "Không có tên trùng khớp. Có phải một trong các xã/phường sau?" if found.suggested else (
        f"“{text}” trùng tên với nhiều đơn vị. Anh/chị ở đơn vị nào?"
    )
    await ctx.reply(
        intro + "\n(Chọn số, hoặc gõ lại tên đầy đủ.)",
        [Choice(o.label, f"/chonxa {o.commune.id}") for o in found.options],
    )


async def _after_commune(ctx: Ctx, data: dict) -> None:
    if data.get("position"):
        await _finish(ctx, data, data["position"])
        return
    await repo.set_state(ctx.session, ctx.state_key, ctx.now, state=ASK_POSITION, data=data)
    await ctx.reply("Chức vụ của anh/chị? (ví dụ: Công chức địa chính, Phó Chủ tịch UBND xã)")


async def _finish(ctx: Ctx, data: dict, position: str) -> None:
    from handlers.intake.communes import commune_by_id

    commune = commune_by_id(int(data["commune_id"]))
    if commune is None:
        raise HotlineError("Xã/phường không hợp lệ. Xin gõ /dangky để làm lại.")
    user = await ctx.user()
    if user is None:
        user = User(identity=str(ctx.who), created_at=ctx.now)
        ctx.session.add(user)
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
    await repo.set_state(ctx.session, ctx.state_key, ctx.now, state="", data={})
    summary = f"{user.name} — {user.position}, {commune.name}"
    if user.status == UserStatus.ACTIVE:
        await ctx.reply(
            f"Đăng ký xong: {summary}.\nTừ giờ anh/chị cứ gõ câu hỏi; hệ thống sẽ báo số phiếu "
            "và hạn trả lời. Gõ /trogiup để xem các lệnh."
        )
        return
    await ctx.reply(
        f"Đã nhận đăng ký: {summary}.\nLãnh đạo sẽ duyệt sớm; anh/chị sẽ nhận tin báo khi được duyệt."
    )
    await ctx.notify_supervisors(
        f"Đăng ký mới chờ duyệt: {summary} ({ctx.who}).",
        [Choice("Duyệt", f"/duyet {ctx.who}"), Choice("Từ chối", f"/tuchoi {ctx.who}")],
    )


async def approve(ctx: Ctx, args: str, accept: bool = True) -> None:
    """/duyet <kênh:id> and /tuchoi <kênh:id> — supervisors decide on pending registrations."""
    if not ctx.is_supervisor:
        raise NotAllowed()
    command = "/duyet" if accept else "/tuchoi"
    try:
        who = Identity.parse(args)
    except ValueError:
        raise UsageError(f"{command} <kênh:mã người dùng>, ví dụ {command} zalo:123456") from None
    user = await repo.get_user(ctx.session, str(who))
    if user is None:
        raise HotlineError(f"Không có đăng ký nào của {who}.")
    if user.status == (UserStatus.ACTIVE if accept else UserStatus.REJECTED):
        await ctx.reply(f"Đăng ký của {user.name} ({who}) đã được xử lý trước đó.")
        return
    if not accept and user.status == UserStatus.ACTIVE:  # one rule: /tuchoi decides, /chan revokes
        raise HotlineError(
            f"{user.name} ({who}) đã được duyệt và đang dùng đường dây; /tuchoi chỉ dùng cho đăng ký "
            f"đang chờ. Muốn ngừng cho người này dùng, gõ /chan {who} <lý do>."
        )
    user.status = UserStatus.ACTIVE if accept else UserStatus.REJECTED
    if accept:
        await ctx.reply(f"Đã duyệt {user.name} ({who}).")
        await ctx.send_to(
            who, "Đăng ký của anh/chị đã được duyệt. Từ giờ anh/chị cứ gõ câu hỏi để gửi lên tỉnh."
        )
    else:
        await ctx.reply(f"Đã từ chối đăng ký của {user.name} ({who}).")
        await ctx.send_to(
            who, "Đăng ký của anh/chị chưa được chấp nhận. Xin liên hệ Sở Nội vụ nếu cần hỗ trợ."
        )


async def invite(ctx: Ctx, args: str) -> None:
    """/moi <xã/phường> — a one-time code that registers a cadre of that commune."""
    if not ctx.is_supervisor:
        raise NotAllowed()
    if not args.strip():
        raise UsageError("/moi <tên xã/phường>")
    found = resolve_commune(args)
    option = found.unique
    if option is None:
        names = "; ".join(o.label for o in found.options) or "không có"
        raise HotlineError(f"Cần đúng một xã/phường. Các đơn vị khớp: {names}.")
    code = secrets.token_hex(3).upper()
    ctx.session.add(
        Invite(code=code, commune_id=option.commune.id, created_by=str(ctx.who), created_at=ctx.now)
    )
    await ctx.reply(
        f"Mã mời cho {option.commune.name}: {code}\n"
        f"Gửi cho cán bộ: nhắn cho bot “/thamgia {code}” rồi làm theo hướng dẫn."
    )
