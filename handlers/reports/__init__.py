"""Supervisors' numbers: report periods, summaries, group league tables, one commune's view.

Counting happens in SQL (storage/reports.py: conditional sums over the tickets received in a
period, served by the created_at index); only first-response times come back ticket by
ticket, as epoch seconds, because working hours need the calendar. Nothing loads Ticket
objects in bulk.

The package, by what each part does: periods.py (what "tuan", "2026-11"… mean), hours.py
(working hours for many tickets at once), figures.py (summary, league, one commune, weekly
series), labels.py (numbers and names), and the renderers excel.py (the workbook) and
chart.py (the PNG); files.py names the files, jobs.py makes them in the report worker's child
process. The chat messages are worded in handlers/texts/report_chat.py, the other texts in
handlers/texts/reports.py.

Definitions used everywhere (chat summaries, the workbook, the chart):
- a period counts the tickets *received* in it (created_at in [start, end));
- response time = working hours from created_at to first_response_at (an answer, or a
  question back to the cadre);
- on time = first_response_at <= due_at (the deadline as moved by pauses and postponements);
  late = answered after due_at, or still waiting for the group (new, in progress) past due_at.
  Tickets without an answer that were closed or cancelled, and those still inside their
  deadline, are neither: they are left out of the on-time share;
- overdue = still waiting for the group and past due_at (what /quahan lists).
"""
