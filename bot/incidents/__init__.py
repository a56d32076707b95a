"""Incidents (#9; §3.2, §5.1–5.2): reports of kind `incident` in the report engine of `bot.hazards`, with their own
facts, paging, card, follow-ups and emergency plans.

| module | its job |
|---|---|
| `create` | validation, create (paged at `page_levels`), On site, Change level |
| `bursts` | a person's further level-1 incidents within the group window join their first |
| `facts` | who an incident pages, which after-the-event tasks wait, its corrective actions (read-only) |
| `followups` | the special report, the investigation (corrective actions), the post-mortem |
| `card`, `forms` | the incident's card; its forms and confirmations |
| `cases` | the monthly case summary (§5.2.3) |
| `plans` | the emergency plans (`plans_default.yaml` and the organisation's own) |
| `plugin` | what the kind plugs into the core (bot/registry.py) |
"""
