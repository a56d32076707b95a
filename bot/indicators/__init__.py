"""Indicators (#22, §6.2.1): the month's figures and the monthly safety report with its charts.

| module | what |
|---|---|
| `compute` | every indicator of a month, one SQL aggregate each (the one module the report, export and charts share) |
| `figures` | the figures not in Slack, given by the safety officer (`safeshift figures import FILE.csv`) |
| `report` | the report: Block Kit message, Markdown, CSV, XLSX; posting a month (once; again = replaced) |
| `charts` | the PNG charts (matplotlib, Agg), with a CJK font when one is installed |
| `jobs`, `plugin` | the monthly job on the policy's day, and what the kind plugs into the core |
"""
