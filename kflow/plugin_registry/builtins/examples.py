"""Hand-written examples for `kflow plugins show`, where one built from the required properties
would not say how the type is used (or would not validate: flowables need child tasks).

Each is one task, trigger or condition in YAML, as it sits in a flow's list; an example that
needs a task before it (to read its outputs) is a whole list, each item starting with `- `.
"""

from __future__ import annotations

_CORE = "io.kestra.plugin.core"
_JDBC = "io.kestra.plugin.jdbc"
_SCRIPTS = "io.kestra.plugin.scripts"

_LOG = """\
  - id: {id}
    type: io.kestra.plugin.core.log.Log
    message: {message}"""

EXAMPLES: dict[str, str] = {
    f"{_CORE}.http.Download": f"""\
id: extract
type: {_CORE}.http.Download
uri: https://example.com/orders.csv
""",
    f"{_CORE}.http.Request": f"""\
id: call
type: {_CORE}.http.Request
uri: https://example.com/api/orders
method: POST
contentType: application/json
body: '{{"status": "new"}}'
headers:
  Authorization: "Bearer {{{{ secret('API_TOKEN') }}}}"
""",
    f"{_SCRIPTS}.python.Script": f"""\
- id: extract
  type: {_CORE}.http.Download
  uri: https://example.com/orders.csv
- id: transform
  type: {_SCRIPTS}.python.Script
  inputFiles:
    data.csv: "{{{{ outputs.extract.uri }}}}"
  outputFiles:
    - out.csv
  script: |
    import csv
    rows = list(csv.DictReader(open("data.csv")))
    print('::{{"outputs": {{"rows": ' + str(len(rows)) + '}}}}::')
""",
    f"{_SCRIPTS}.python.Commands": f"""\
id: report
type: {_SCRIPTS}.python.Commands
dependencies:
  - tabulate
inputFiles:
  main.py: |
    print("hello")
commands:
  - python main.py
""",
    f"{_SCRIPTS}.shell.Script": f"""\
id: count
type: {_SCRIPTS}.shell.Script
script: |
  wc -l < /etc/hosts
""",
    f"{_SCRIPTS}.shell.Commands": f"""\
id: list
type: {_SCRIPTS}.shell.Commands
outputFiles:
  - "*.txt"
commands:
  - echo hello > hello.txt
""",
    f"{_JDBC}.postgresql.Query": f"""\
id: orders
type: {_JDBC}.postgresql.Query
url: jdbc:postgresql://127.0.0.1:5432/warehouse
username: "{{{{ secret('DB_USER') }}}}"
password: "{{{{ secret('DB_PASSWORD') }}}}"
sql: SELECT id, amount FROM orders WHERE day = :day
parameters:
  day: "{{{{ execution.startDate | date('yyyy-MM-dd') }}}}"
fetchType: FETCH
""",
    f"{_JDBC}.postgresql.Queries": f"""\
id: setup
type: {_JDBC}.postgresql.Queries
url: jdbc:postgresql://127.0.0.1:5432/warehouse
username: postgres
sql: |
  CREATE TABLE IF NOT EXISTS orders (id int, amount numeric);
  TRUNCATE orders;
""",
    f"{_JDBC}.postgresql.CopyIn": f"""\
- id: extract
  type: {_CORE}.http.Download
  uri: https://example.com/orders.csv
- id: load
  type: {_JDBC}.postgresql.CopyIn
  url: jdbc:postgresql://127.0.0.1:5432/warehouse
  username: postgres
  from: "{{{{ outputs.extract.uri }}}}"
  table: orders
  format: CSV
  header: true
""",
    f"{_JDBC}.postgresql.Load": f"""\
- id: extract
  type: {_CORE}.http.Download
  uri: https://example.com/orders.csv
- id: load
  type: {_JDBC}.postgresql.Load
  url: jdbc:postgresql://127.0.0.1:5432/warehouse
  username: postgres
  from: "{{{{ outputs.extract.uri }}}}"
  table: orders
""",
    f"{_JDBC}.mysql.Query": f"""\
id: orders
type: {_JDBC}.mysql.Query
url: jdbc:mysql://127.0.0.1:3306/shop
username: root
sql: SELECT COUNT(*) AS n FROM orders
fetchType: FETCH_ONE
""",
    f"{_JDBC}.sqlite.Query": f"""\
id: orders
type: {_JDBC}.sqlite.Query
url: jdbc:sqlite:warehouse.db
sql: SELECT COUNT(*) AS n FROM orders
fetchType: FETCH_ONE
""",
    f"{_JDBC}.duckdb.Query": f"""\
id: totals
type: {_JDBC}.duckdb.Query
url: "jdbc:duckdb:"
sql: SELECT 40 + 2 AS answer
fetchType: FETCH_ONE
""",
    f"{_CORE}.flow.If": f"""\
id: big
type: {_CORE}.flow.If
condition: "{{{{ execution.startDate | date('HH') | number < 12 }}}}"
then:
{_LOG.format(id="morning", message="Good morning")}
else:
{_LOG.format(id="afternoon", message="Good afternoon")}
""",
    f"{_CORE}.flow.Switch": f"""\
id: route
type: {_CORE}.flow.Switch
value: "{{{{ execution.startDate | date('EEEE') }}}}"
cases:
  Monday:
    - id: weekly
      type: io.kestra.plugin.core.log.Log
      message: the weekly report
defaults:
{_LOG.format(id="daily", message="the daily report")}
""",
    f"{_CORE}.flow.Dag": f"""\
id: dag
type: {_CORE}.flow.Dag
tasks:
  - task:
      id: extract
      type: io.kestra.plugin.core.log.Log
      message: extract
  - task:
      id: load
      type: io.kestra.plugin.core.log.Log
      message: load
    dependsOn:
      - extract
""",
    f"{_CORE}.flow.Pause": f"""\
id: cool-down
type: {_CORE}.flow.Pause
pauseDuration: PT5M
""",
    f"{_CORE}.flow.Subflow": f"""\
id: load
type: {_CORE}.flow.Subflow
namespace: company.team
flowId: load-orders
inputs:
  day: "{{{{ execution.startDate | date('yyyy-MM-dd') }}}}"
wait: true
transmitFailed: true
""",
    f"{_CORE}.trigger.Schedule": f"""\
id: daily
type: {_CORE}.trigger.Schedule
cron: "0 9 * * *"
timezone: Europe/Paris
""",
    f"{_CORE}.trigger.Flow": f"""\
id: after-extract
type: {_CORE}.trigger.Flow
conditions:
  - type: {_CORE}.condition.ExecutionFlow
    namespace: sales
    flowId: data-extraction
  - type: {_CORE}.condition.ExecutionStatus
    in:
      - SUCCESS
""",
    f"{_CORE}.trigger.Webhook": f"""\
id: webhook
type: {_CORE}.trigger.Webhook
key: 9f2c4a7e1b3d
""",
    f"{_CORE}.condition.Not": f"""\
type: {_CORE}.condition.Not
conditions:
  - type: {_CORE}.condition.Weekend
""",
    f"{_CORE}.condition.Or": f"""\
type: {_CORE}.condition.Or
conditions:
  - type: {_CORE}.condition.Weekend
  - type: {_CORE}.condition.DayWeek
    dayOfWeek: FRIDAY
""",
    f"{_CORE}.condition.MultipleCondition": f"""\
type: {_CORE}.condition.MultipleCondition
id: both-extracts
timeWindow:
  window: P1D
conditions:
  sales:
    type: {_CORE}.condition.ExecutionFlow
    namespace: sales
    flowId: data-extraction
  stock:
    type: {_CORE}.condition.ExecutionFlow
    namespace: stock
    flowId: data-extraction
""",
}
