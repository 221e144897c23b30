"""/nhom: bind a group chat to the areas it answers, from inside the chat."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import Ctx
from handlers.errors import HotlineError, NotAllowed, UsageError
from handlers.settings import GroupSpec
from storage.models import GroupBinding

USAGE = "/nhom <mã lĩnh vực> [mã khác…] [| Tên tổ]  — hoặc /nhom bo để gỡ"


async def load(session: AsyncSession) -> list[GroupSpec]:
    rows = (await session.execute(select(GroupBinding).order_by(GroupBinding.at))).scalars()
    return [
        GroupSpec(r.channel, r.chat_id, r.name or "Tổ công tác", tuple(r.areas.split()), r.thread_id)
        for r in rows
    ]


async def bind(ctx: Ctx, args: str) -> None:
    """Only a chat administrator (as the platform reports it) or a supervisor may bind."""
    chat = ctx.msg.chat
    if chat.kind != "group":
        raise HotlineError("Lệnh /nhom dùng trong nhóm của tổ công tác.")
    codes_text, _, name = args.partition("|")
    codes = codes_text.split()
    if not codes:
        current = ctx.group
        where = f"{current.name}: {', '.join(current.areas)}" if current else "chưa gắn lĩnh vực nào"
        await ctx.reply(f"Nhóm này {where}.\nCách dùng: {USAGE}")
        return
    if not (ctx.msg.is_chat_admin or ctx.is_supervisor):
        raise NotAllowed("Chỉ quản trị viên của nhóm hoặc lãnh đạo mới được gắn nhóm với lĩnh vực.")
    row = await ctx.session.get(GroupBinding, chat.topic_key)  # a forum topic binds on its own
    if codes == ["bo"]:
        if row is not None:
            await ctx.session.delete(row)
            ctx.groups_changed = True
        await ctx.reply("Đã gỡ nhóm này khỏi các lĩnh vực (cấu hình gốc, nếu có, được áp dụng lại).")
        return
    unknown = [c for c in codes if ctx.settings.area(c) is None]
    if unknown:
        known = ", ".join(a.code for a in ctx.settings.areas)
        raise UsageError(f"{USAGE}. Mã không có: {', '.join(unknown)}. Các mã: {known}")
    if row is None:
        row = GroupBinding(key=chat.topic_key, channel=chat.channel, chat_id=chat.chat_id)
        ctx.session.add(row)
    row.thread_id = chat.thread_id
    row.areas = " ".join(codes)
    row.name = name.strip() or (ctx.group.name if ctx.group else "Tổ " + ", ".join(
        ctx.settings.area(c).name for c in codes if ctx.settings.area(c)  # type: ignore[union-attr]
    ))
    row.bound_by = str(ctx.who)
    row.at = ctx.now
    ctx.groups_changed = True
    names = "; ".join(a.name for a in ctx.settings.areas if a.code in codes)
    await ctx.reply(f"Đã gắn nhóm “{row.name}” với lĩnh vực: {names}. Phiếu mới sẽ được gửi vào đây.")
