"""The command registry: one declaration per command, from which everything else is derived.

Dispatch (`run`), the role checks made before a handler runs, the "Cách dùng: …" answer to
wrong arguments, `/trogiup` (`help_text`) and the platforms' command menus (`menus`) all read
`COMMANDS`. Adding a command is one declaration here and one handler.

Who may use a command is the set of roles its `help` names. How that is enforced:
- `check=ROLE`: here, before the handler runs (the speaker must hold one of the roles);
- `check=TICKET`: by the handler, against the ticket named (handlers.tickets.load): a cadre on
  their own ticket, staff on their group's, a supervisor on their areas'. A ticket the speaker
  may not act on is answered exactly like one that does not exist, so numbers reveal nothing;
- `check=HANDLER`: by the handler, because it depends on more than the role (the chat kind, a
  registration, a pending question, the chat's administrator).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from handlers.context import Conversation, Ctx
from handlers.desk import groups, staff, supervisor
from handlers.errors import HotlineError, NotAllowed, UsageError
from handlers.intake import cadre, handbook, registration
from handlers.texts import common, desk
from handlers.texts import format as fmt
from handlers.texts import supervisor as period_usage
from handlers.tickets import load, parse_ticket
from storage import repo

Handler = Callable[[Ctx, str], Awaitable[None]]


class Role(Enum):
    CADRE = "cadre"  # a commune cadre (or someone registering) in a private chat with the bot
    STAFF = "staff"  # agency staff: in their group chat, or named in a member-list group
    SUPERVISOR = "supervisor"


class Check(Enum):
    ROLE = "role"
    TICKET = "ticket"
    HANDLER = "handler"


@dataclass(frozen=True)
class Command:
    name: str
    run: Handler
    help: Mapping[Role, str]  # the /trogiup line for each role that may use it
    usage: str = ""  # "Cách dùng: …" when the arguments are wrong
    check: Check = Check.HANDLER
    menu: Mapping[str, str] = field(default_factory=dict)  # chat kind → menu description
    aliases: tuple[str, ...] = ()

    @property
    def who(self) -> frozenset[Role]:
        return frozenset(self.help)


# --- handlers that are only a line ------------------------------------------------------------


async def show_ticket(ctx: Ctx, args: str) -> None:
    """/phieu N — one ticket with its history, for its asker, its group or a supervisor."""
    number, _ = await parse_ticket(ctx, args)
    ticket = await load(ctx, number, asker=True, staff=True)
    events = await repo.ticket_events(ctx.session, number)
    asker = await repo.user_by_id(ctx.session, ticket.asker_id)
    await ctx.reply(fmt.history(ticket, events, asker, ctx.settings), ticket=ticket)


async def show_help(ctx: Ctx, args: str) -> None:
    await ctx.reply(help_text(ctx))


async def reject(ctx: Ctx, args: str) -> None:
    await registration.approve(ctx, args, accept=False)


async def refuse_binding(ctx: Ctx, args: str) -> None:
    await groups.decide(ctx, args, accept=False)


# --- the registry ---------------------------------------------------------------------------

C, S, L = Role.CADRE, Role.STAFF, Role.SUPERVISOR
PRIVATE, GROUP = "private", "group"


def _desk(line: str) -> dict[Role, str]:
    """A desk command: staff act on their group's tickets, supervisors on their areas'."""
    return {S: line, L: line}


def _lead(line: str) -> dict[Role, str]:
    return {L: line}


COMMANDS: tuple[Command, ...] = (
    # registering
    Command("start", registration.start, {C: "/start — lời chào và cách đăng ký"},
            menu={PRIVATE: "Bắt đầu"}),
    Command("dangky", registration.register,
            {C: "/dangky — đăng ký (hoặc một dòng: /dangky Họ tên | Xã/phường | Chức vụ)"},
            usage=registration.USAGE, menu={PRIVATE: "Đăng ký cán bộ xã/phường"}),
    Command("thamgia", registration.join, {C: "/thamgia <mã mời> — đăng ký bằng mã mời"}),
    Command("chonxa", registration.choose_commune,
            {C: "/chonxa <số> — chọn xã/phường khi bot hỏi tên nào trong các tên gần giống"}),
    # asking
    Command("hoi", cadre.ask,
            {C: "Gõ thẳng câu hỏi (hoặc /hoi <nội dung>) — tạo phiếu, báo số phiếu và hạn trả lời"},
            usage="/hoi <nội dung câu hỏi> (hoặc gõ thẳng câu hỏi)", menu={PRIVATE: "Gửi câu hỏi"}),
    Command("linhvuc", cadre.choose_area,
            {C: "/linhvuc <mã> — chọn lĩnh vực khi bot chưa chắc câu hỏi thuộc lĩnh vực nào; "
                "/linhvuc — xem đủ danh sách lĩnh vực"},
            usage="/linhvuc <mã lĩnh vực>"),
    Command("daro", handbook.resolved,
            {C: "/daro — khi bot gợi ý mục sổ tay: đã rõ, không gửi câu hỏi"}),
    Command("vancanhoi", cadre.still_ask,
            {C: "/vancanhoi — khi bot gợi ý mục sổ tay: vẫn gửi câu hỏi"}),
    # the cadre's tickets
    Command("cuatoi", cadre.my_tickets, {C: "/cuatoi — các phiếu của tôi"},
            menu={PRIVATE: "Các phiếu của tôi"}),
    Command("phieu", show_ticket,
            {C: "/phieu <số> — xem một phiếu và lịch sử", S: "/phieu <số> — xem phiếu và lịch sử",
             L: "/phieu <số> — xem bất kỳ phiếu nào"},
            usage="/phieu <số phiếu>", check=Check.TICKET,
            menu={PRIVATE: "Xem một phiếu", GROUP: "Xem một phiếu"}),
    Command("bosung", cadre.add_info, {C: "/bosung <số> <nội dung> — bổ sung thông tin cho phiếu"},
            usage="/bosung <số phiếu> <nội dung bổ sung>", check=Check.TICKET,
            menu={PRIVATE: "Bổ sung thông tin cho phiếu"}),
    Command("xong", cadre.resolved, {C: "/xong <số> — đã giải quyết, đóng phiếu"},
            usage="/xong <số phiếu>", check=Check.TICKET, menu={PRIVATE: "Đã giải quyết, đóng phiếu"}),
    Command("chua", cadre.not_resolved, {C: "/chua <số> [ý kiến] — chưa giải quyết, mở lại phiếu"},
            usage="/chua <số phiếu> [còn vướng mắc gì]", check=Check.TICKET,
            menu={PRIVATE: "Chưa giải quyết, mở lại phiếu"}),
    Command("huy", cadre.cancel, {C: "/huy <số> — hủy câu hỏi"},
            usage="/huy <số phiếu>", check=Check.TICKET, menu={PRIVATE: "Hủy câu hỏi"}),
    Command("danhgia", cadre.rate, {C: "/danhgia <số> <1-5> — đánh giá câu trả lời"},
            usage="/danhgia <số phiếu> <điểm từ 1 đến 5>", check=Check.TICKET),
    # the desk
    Command("tl", staff.answer,
            {S: "/tl <số> <nội dung>, hoặc trả lời (reply) thẻ phiếu trên Telegram — gửi trả lời "
                "cho cán bộ",
             L: "/tl <số> <nội dung> — trả lời phiếu"},
            usage="/tl <số phiếu> <nội dung trả lời>, hoặc trả lời (reply) thẳng vào thẻ phiếu",
            check=Check.TICKET, menu={GROUP: "Trả lời phiếu: /tl số nội dung"}),
    Command("nhan", staff.claim, _desk("/nhan <số> — nhận xử lý"),
            usage="/nhan <số phiếu>", check=Check.TICKET, menu={GROUP: "Nhận xử lý phiếu"}),
    Command("chuyen", staff.transfer,
            _desk("/chuyen <số> <mã lĩnh vực> [lý do] — chuyển sang lĩnh vực/tổ khác"),
            usage="/chuyen <số phiếu> <mã lĩnh vực> [lý do]", check=Check.TICKET,
            menu={GROUP: "Chuyển phiếu sang lĩnh vực khác"}),
    Command("vuot", staff.escalate, _desk("/vuot <số> [lý do] — vượt thẩm quyền, báo cáo lãnh đạo"),
            usage="/vuot <số phiếu> [lý do]", check=Check.TICKET,
            menu={GROUP: "Vượt thẩm quyền, báo lãnh đạo"}),
    Command("dong", staff.close, _desk("/dong <số> [lý do] — đóng phiếu"),
            usage="/dong <số phiếu> [lý do]", check=Check.TICKET, menu={GROUP: "Đóng phiếu"}),
    Command("chuaxuly", staff.open_list, {S: "/chuaxuly — các phiếu của tổ đang chờ"},
            check=Check.ROLE, menu={GROUP: "Các phiếu của tổ đang chờ"}),
    Command("hoilai", staff.ask_back, _desk("/hoilai <số> <câu hỏi> — hỏi lại cán bộ (tạm dừng hạn)"),
            usage="/hoilai <số phiếu> <điều cần cán bộ làm rõ>", check=Check.TICKET),
    Command("hoan", staff.postpone,
            _desk("/hoan <số> <thời gian> <lý do> — hoãn hạn một lần, ví dụ /hoan 12 2 ngày chờ hồ sơ"),
            usage="/hoan <số phiếu> <thời gian, ví dụ 4h hoặc 2 ngày> <lý do>", check=Check.TICKET),
    Command("nhom", groups.bind,
            _desk("/nhom <mã lĩnh vực…> — gắn nhóm với lĩnh vực (lãnh đạo; quản trị viên nhóm: gửi "
                  "đề nghị để lãnh đạo duyệt)"),
            usage=groups.USAGE, menu={GROUP: "Gắn nhóm với lĩnh vực"}),
    # the handbook
    Command("sotay", handbook.command,
            {C: "/sotay xem <mã mục> — xem một mục sổ tay",
             S: "/sotay <số phiếu> — đưa câu trả lời của phiếu vào sổ tay; /sotay <số> sửa <nội dung> "
                "— sửa; /sotay xem <mã mục> — xem một mục",
             L: "/sotay <số phiếu> — đưa câu trả lời của phiếu vào sổ tay; /sotay xoa <mã mục> — gỡ "
                "một mục"},
            usage=handbook.USAGE),
    Command("tracuu", handbook.lookup,
            dict.fromkeys((C, S, L), "/tracuu <từ khóa> — tra cứu sổ tay hướng dẫn"),
            usage="/tracuu <từ khóa>"),
    # supervisors
    Command("tongket", supervisor.summary,
            _lead("/tongket [kỳ] — số liệu: nhận, trả lời, quá hạn, thời gian phản hồi, theo lĩnh vực, "
                  "xã (mặc định hôm nay)"),
            usage=period_usage.SUMMARY_LINE, check=Check.ROLE),
    Command("xephang", supervisor.ranking,
            _lead("/xephang [kỳ] — xếp hạng các tổ theo tỉ lệ đúng hạn (mặc định tháng này)"),
            usage=period_usage.RANKING_LINE, check=Check.ROLE),
    Command("xa", supervisor.commune,
            _lead("/xa <tên xã/phường> [kỳ] — câu hỏi của một xã theo lĩnh vực (mặc định năm nay)"),
            usage=period_usage.COMMUNE_LINE, check=Check.ROLE),
    Command("quahan", supervisor.overdue, _lead("/quahan — phiếu quá hạn, cũ nhất trước, trễ bao lâu"),
            check=Check.ROLE),
    Command("xuat", supervisor.export, _lead("/xuat [kỳ] — tệp Excel (mặc định tháng này)"),
            usage=period_usage.EXPORT_LINE, check=Check.ROLE),
    Command("bieudo", supervisor.chart, _lead("/bieudo [kỳ] — biểu đồ theo tuần (mặc định năm nay)"),
            usage=period_usage.CHART_LINE, check=Check.ROLE),
    Command("duyet", registration.approve, _lead("/duyet <kênh:mã> — duyệt đăng ký"),
            usage="/duyet <kênh:mã người dùng>, ví dụ /duyet zalo:123456", check=Check.ROLE),
    Command("tuchoi", reject, _lead("/tuchoi <kênh:mã> — từ chối đăng ký"),
            usage="/tuchoi <kênh:mã người dùng>, ví dụ /tuchoi zalo:123456", check=Check.ROLE),
    Command("duyetnhom", groups.decide,
            _lead("/duyetnhom — các đề nghị gắn nhóm chờ duyệt; /duyetnhom <số> — duyệt một đề nghị"),
            usage="/duyetnhom <số yêu cầu>", check=Check.ROLE),
    Command("tuchoinhom", refuse_binding, _lead("/tuchoinhom <số> [lý do] — từ chối đề nghị gắn nhóm"),
            usage="/tuchoinhom <số yêu cầu>", check=Check.ROLE),
    Command("moi", registration.invite, _lead("/moi <xã/phường> — tạo mã mời"),
            usage="/moi <tên xã/phường>", check=Check.ROLE),
    Command("chan", supervisor.ban, _lead("/chan <kênh:mã> [lý do] — chặn"),
            usage="/chan <kênh:mã người dùng> [lý do]", check=Check.ROLE),
    Command("bochan", supervisor.unban, _lead("/bochan <kênh:mã> — bỏ chặn"),
            usage="/bochan <kênh:mã người dùng>", check=Check.ROLE),
    # everyone
    Command("trogiup", show_help,
            dict.fromkeys((C, S, L), "/trogiup (hoặc /help) — hướng dẫn này"),
            aliases=("help",), menu={PRIVATE: "Hướng dẫn", GROUP: "Hướng dẫn"}),
)

# What a plain message means while a conversation waits for an answer (Ctx.conversation).
# A state not here (none, or handbook suggestions on offer) makes it a question.
Answer = Callable[[Ctx, Conversation, str], Awaitable[None]]
STATES: dict[str, Answer] = {
    registration.ASK_NAME: registration.on_step,
    registration.ASK_COMMUNE: registration.on_step,
    registration.ASK_POSITION: registration.on_step,
    cadre.CHOOSE_AREA: cadre.add_to_pending,
}

BY_NAME: dict[str, Command] = {
    name: c for c in COMMANDS for name in (c.name, *c.aliases)
}

# Why a role check refused (Check.ROLE): what the speaker lacks.
REFUSED = {L: desk.SUPERVISORS_ONLY, S: desk.GROUP_ONLY}


def holds(ctx: Ctx, role: Role) -> bool:
    """The role checks of Check.ROLE commands (cadres are checked by their handlers)."""
    if role is L:
        return ctx.is_supervisor
    if role is S:
        return bool(ctx.staff_groups())
    return False


async def run(ctx: Ctx, name: str, args: str) -> None:
    """Run a command by name (or alias), after its role check; wrong arguments answered with
    the registry's usage line."""
    command = BY_NAME.get(name)
    if command is None:
        raise HotlineError(common.UNKNOWN_COMMAND, name=name)
    if command.check is Check.ROLE and not any(holds(ctx, r) for r in command.who):
        raise NotAllowed(REFUSED[L if L in command.who else S])
    try:
        await command.run(ctx, args)
    except UsageError as err:
        if err.usage is not None:
            raise
        raise UsageError(command.usage, err.more) from None


# --- /trogiup and the menus -------------------------------------------------------------------

HEADINGS = {
    C: "Dành cho cán bộ xã/phường (nhắn riêng với bot):",
    S: "Dành cho tổ công tác (trong nhóm):",
    L: "Dành cho lãnh đạo:",
}
FOOTNOTES = {
    L: "Kỳ: homnay, homqua, tuan, thang, nam, 2026-11 hoặc 01/11/2026-30/11/2026 "
       "(không ghi: kỳ mặc định của lệnh)",
}


def section(role: Role) -> str:
    lines = [HEADINGS[role]] + [f"• {c.help[role]}" for c in COMMANDS if role in c.help]
    if role in FOOTNOTES:
        lines.append(FOOTNOTES[role])
    return "\n".join(lines)


def roles_here(ctx: Ctx) -> list[Role]:
    """The roles whose commands /trogiup shows here: in a group, the desk's; in a private chat,
    the cadre's (supervisors do not ask), staff's for member-list members; supervisors' too."""
    roles = []
    if ctx.msg.chat.kind == "group":
        roles.append(S)
    else:
        if not ctx.is_supervisor:
            roles.append(C)
        if ctx.staff_groups():
            roles.append(S)
    if ctx.is_supervisor:
        roles.append(L)
    return roles


def help_text(ctx: Ctx) -> str:
    parts = []
    if ctx.msg.chat.kind == "group":
        group = ctx.group
        parts.append("Nhóm này chưa được gắn với tổ công tác nào." if group is None
                     else f"Nhóm: {group.name}.")
    parts += [section(role) for role in roles_here(ctx)]
    return "\n\n".join(parts)


def menus() -> dict[str, list[tuple[str, str]]]:
    """The platform command menu of each chat kind: [(command, description)], in order."""
    out: dict[str, list[tuple[str, str]]] = {PRIVATE: [], GROUP: []}
    for c in COMMANDS:
        for kind, description in c.menu.items():
            out[kind].append((c.name, description))
    return out
