"""Every Vietnamese text the bot says, keyed by meaning, one module per role.

- `common`: what any user may hear (errors, apologies, attachments, unknown commands).
- `intake`: commune cadres (registration, asking, the handbook's suggestions).
- `desk`: agency staff in their working groups (answers, transfers, follow-ups, bindings).
- `supervisor`: supervisors (approvals, bans, escalations).
- `reports`: report texts (periods, the workbook, the chart, report jobs); `report_chat`
  builds the chat reports (/tongket, /xephang, /xa) from them and the figures.
- `ops`: what operators read: `hotline status` and the command line, the console channel,
  the outbox's recorded errors.
- `words`: Vietnamese words the bot reads in what people type.
- `format`: how a ticket reads (cards, lists, histories). It and `report_chat` need the models
  and the figures; the rest imports nothing, so channels and storage may read the catalog
  without loading handler logic.

A text with blanks is a `str.format` template with named fields: `X.format(number=n)`, or
`HotlineError(X, number=n)`. tests/test_texts.py checks that no handler module outside this
package (nor in bot/) holds a Vietnamese literal and that every use fills exactly the template's fields.
"""

from handlers.texts import common, desk, intake, ops, reports, supervisor, words

__all__ = ["common", "desk", "intake", "ops", "reports", "supervisor", "words"]
