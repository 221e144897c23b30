"""The desk: what agency staff and supervisors do with tickets — answers, transfers, follow-ups."""
