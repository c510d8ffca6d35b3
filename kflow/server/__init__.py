"""`kflow server`: the bundled runner as a long-running process that starts executions itself.

- `catalogue` — the flows of `--flows-dir`, compiled, re-read when files change or on SIGHUP;
- `worker` — the bounded pool of threads that run executions;
- `scheduler` — Schedule triggers: executions at their cron dates, recorded in the state database;
- `flow_triggers` — Flow triggers: executions when others end, read from the state database;
- `webhook` — Webhook triggers: what a call to a webhook URL starts and answers;
- `api` — the HTTP server (webhooks and `GET /api/v1/executions/{id}`);
- `variables` — what triggers render their key, inputs and conditions with;
- `periodic` — the loops that poll (flows directory, schedules, Flow triggers);
- `listing` — every trigger of the flows directory (`kflow triggers list`);
- `app` — wiring, start-up and graceful shutdown.

Everything here is standard library plus kflow's runtime; nothing is imported by `kflow --help`.
"""
