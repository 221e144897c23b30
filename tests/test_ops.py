"""The operators' endpoints of a running app: /healthz, /readyz, /metrics (parsed as Prometheus
does), and readiness following the database away and back (PostgreSQL behind a cut proxy)."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from bot.app import App
from bot.config import load_config
from tests.helpers.instances import area_word, telegram_config
from tests.helpers.tcp_proxy import TcpProxy
from tests.helpers.waiting import eventually, eventually_async, free_port

CADRE = 11



async def get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(
        f"http://127.0.0.1:{port}{path}", timeout=aiohttp.ClientTimeout(total=600)
    ) as resp:
        return resp.status, await resp.text()


def samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body) for s in family.samples
    }


async def test_health_readiness_and_metrics(tmp_path, server, db_url):
    proxy = None
    if db_url.startswith("postgresql"):  # the app reaches PostgreSQL through a proxy we can cut
        real = make_url(db_url)
        proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
        await proxy.start()
        db_url = real.set(port=proxy.port).render_as_string(hide_password=False)
    port = free_port()
    app = App(load_config(telegram_config(tmp_path / "bot.toml", server, db_url, ops_port=port)))
    await app.start()
    try:
        assert await get(port, "/healthz") == (200, '{"status": "ok"}')
        status, body = await get(port, "/readyz")
        assert status == 200 and '"role": "leader"' in body and '"telegram": "running"' in body

        server.message(CADRE, "/dangky Nguyễn Văn An | Xã Nam Đàn | Công chức địa chính")
        server.message(CADRE, f"Xin hỏi về {area_word(0)}: hồ sơ cần những giấy tờ gì?")
        await eventually(lambda: any("số phiếu #" in t for t in server.texts_to(CADRE)), "the ack")
        status, body = await get(port, "/metrics")
        assert status == 200
        found = samples(body)
        assert found[("hotline_messages_received_total", (("channel", "telegram"),))] == 2
        assert found[("hotline_handler_seconds_count", ())] == 2
        assert found[("hotline_tickets_opened_total", (("area", "a00"),))] == 1
        assert found[("hotline_sends_total", (("channel", "telegram"),))] >= 2
        assert ("hotline_outbox_depth", (("channel", "telegram"),)) in found
        assert ("hotline_outbox_oldest_due_seconds", (("channel", "telegram"),)) in found
        assert found[("hotline_leader", ())] == 1
        assert found[("hotline_database_up", ())] == 1
        assert ("hotline_followups_sent_total", ()) in found
        assert ("hotline_send_rate_limited_total", (("channel", "telegram"),)) not in found  # none yet

        if proxy is not None:
            await proxy.cut()

            async def unready() -> bool:
                status, body = await get(port, "/readyz")
                return status == 503 and "unreachable" in body

            await eventually_async(unready, "unready while the database is away")
            status, body = await get(port, "/metrics")  # counters still answer
            assert status == 200 and samples(body)[("hotline_database_up", ())] == 0
            await proxy.start()

            async def ready() -> bool:
                return (await get(port, "/readyz"))[0] == 200

            await eventually_async(ready, "ready again when the database returns")
    finally:
        await app.stop()
        if proxy is not None:
            await proxy.cut()

