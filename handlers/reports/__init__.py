"""Supervisors' numbers: report periods, summaries, group league tables, one commune's view.

Counting happens in SQL (conditional sums over the tickets received in a period, served by
the created_at index); only first-response times come back ticket by ticket, as epoch
seconds, because working hours need the calendar. Nothing here loads Ticket objects in bulk.

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
