"""Webhook triggers: what a call to `/api/v1/executions/webhook/{namespace}/{flowId}/{key}` does.

As in Kestra: the flow must have an enabled Webhook trigger whose `key` (rendered, trimmed) is
the key of the URL, else 404 — the same answer for an unknown flow and a wrong key, so that keys
cannot be probed; its conditions must hold, else 204 and nothing is started; its `inputs` are
rendered with the `trigger` variable (422 when they cannot be). The started execution sees
`trigger.body` (a JSON object or array when the body parses as one, else the text; a body of a
binary content type is base64), `trigger.headers` and `trigger.parameters` (name → list of
values). The answer is the execution, in the shape of Kestra's webhook response; with
`wait: true` it is sent when the execution ends, with `returnOutputs: true` it is the flow's
outputs.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from kflow.compiler import ir
from kflow.runtime_shims.execution import FAILED, KILLED, TERMINAL
from kflow.runtime_shims.schedule import conditions_pass
from kflow.runtime_shims.templating import TemplateError, render
from kflow.server.catalogue import WEBHOOK
from kflow.server.variables import render_inputs, services, trigger_context

if TYPE_CHECKING:
    from kflow.runtime_shims.engine import LoadedFlow
    from kflow.runtime_shims.state import ExecutionRecord
    from kflow.server.catalogue import FlowCatalogue
    from kflow.server.worker import ExecutionPool

log = logging.getLogger("kflow.server")

JSON = "application/json"
#: Content types whose body is text (else it is base64-encoded), as Kestra reads them.
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/x-www-form-urlencoded",
    "application/yaml",
    "application/x-yaml",
    "application/csv",
    "+json",
    "+xml",
)


@dataclass(frozen=True)
class Call:
    """One webhook call: the URL's parts and the request."""

    method: str
    namespace: str
    flow_id: str
    key: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    base_url: str  # scheme://host[:port], for the execution's URL in the answer


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, body and its content type."""

    status: int
    body: bytes = b""
    content_type: str = JSON


NOT_FOUND = Answer(404, b'{"message":"Not Found"}')


def json_answer(status: int, data: Any) -> Answer:
    """An answer with `data` as its JSON body."""
    return Answer(status, json.dumps(data, ensure_ascii=False, default=str).encode("utf-8"))


class Webhooks:
    """Answers webhook calls, starting executions on the pool."""

    def __init__(self, catalogue: FlowCatalogue, pool: ExecutionPool) -> None:
        self.catalogue = catalogue
        self.pool = pool
        self.store = pool.store

    def handle(self, call: Call) -> Answer:
        """Start (or not) an execution for a webhook call, and say what happened."""
        loaded = self.catalogue.flow(call.namespace, call.flow_id)
        if loaded is None:
            return NOT_FOUND
        context = trigger_context(loaded.flow, None)
        trigger = self._trigger(loaded, call.key, context)
        if trigger is None:
            return NOT_FOUND
        if loaded.flow.disabled:
            return json_answer(409, {"message": "Cannot execute flow: flow is disabled."})
        variables = {
            "body": read_body(call.body, _content_type(call.headers)),
            "headers": grouped_headers(call.headers),
            "parameters": parse_qs(call.query, keep_blank_values=True),
        }
        context["trigger"] = variables
        try:
            if not conditions_pass(trigger.conditions, datetime.now(timezone.utc), context):
                return Answer(204)
            inputs = render_inputs(trigger.properties.get("inputs"), context)
        except (TemplateError, ValueError) as error:
            log.warning(
                "webhook of %s.%s (trigger %s): %s",
                loaded.flow.namespace,
                loaded.flow.id,
                trigger.id,
                error,
            )
            return json_answer(422, {"message": f"trigger {trigger.id}: {error}"})
        record = self.pool.create(loaded, inputs, variables)
        done = self.pool.submit(record, loaded.flow)
        if not trigger.properties.get("wait"):
            return json_answer(200, self.response(record, trigger, call.base_url))
        done.wait()
        ended = self.store.execution(record.id) or record
        if ended.state not in TERMINAL:
            return json_answer(
                503, {"message": "the server stopped before the execution ended", "id": record.id}
            )
        return self._final(ended, loaded, trigger, call.base_url)

    def _trigger(self, loaded: LoadedFlow, key: str, context: dict[str, Any]) -> ir.Trigger | None:
        found = None
        given = key.encode("utf-8")
        for trigger in loaded.flow.triggers:
            if trigger.type != WEBHOOK or trigger.disabled:
                continue
            expected = webhook_key(loaded.flow, trigger, context)
            # every trigger is compared, so the time taken does not tell which one matched
            if expected is not None and hmac.compare_digest(expected.encode("utf-8"), given):
                found = found or trigger
        return found

    def _final(
        self, ended: ExecutionRecord, loaded: LoadedFlow, trigger: ir.Trigger, base_url: str
    ) -> Answer:
        from kflow.runtime_shims.engine import outputs_tree

        status = 500 if ended.state in (FAILED, KILLED) else 200
        code = trigger.properties.get("responseCode")
        if code is not None:
            variables = {
                **trigger_context(loaded.flow, ended.trigger),
                "execution": {"id": ended.id, "state": ended.state, "startDate": ended.start_date},
                "inputs": ended.inputs,
                "outputs": outputs_tree(self.store.task_runs(ended.id)),
            }
            try:
                status = int(render(str(code), variables, services()).strip())
            except (TemplateError, ValueError) as error:
                log.warning(
                    "webhook of %s.%s: responseCode: %s", ended.namespace, ended.flow_id, error
                )
                return Answer(500)
        if not trigger.properties.get("returnOutputs"):
            return json_answer(status, self.response(ended, trigger, base_url))
        outputs = ended.outputs or {}
        if trigger.properties.get("responseContentType") == "text/plain":
            text = outputs if isinstance(outputs, str) else json.dumps(outputs, default=str)
            return Answer(status, text.encode("utf-8"), "text/plain; charset=utf-8")
        return json_answer(status, outputs)

    @staticmethod
    def response(record: ExecutionRecord, trigger: ir.Trigger, base_url: str) -> dict[str, Any]:
        """Kestra's webhook response for an execution."""
        state: dict[str, Any] = {"current": record.state, "startDate": record.start_date}
        if record.end_date:
            state["endDate"] = record.end_date
        return {
            "tenantId": "main",
            "id": record.id,
            "namespace": record.namespace,
            "flowId": record.flow_id,
            "flowRevision": 1,
            "trigger": {"id": trigger.id, "type": trigger.type, "variables": record.trigger},
            "outputs": record.outputs,
            "labels": [{"key": k, "value": v} for k, v in record.labels.items()],
            "state": state,
            "url": f"{base_url}/api/v1/executions/{record.id}",
        }


def webhook_key(flow: ir.Flow, trigger: ir.Trigger, context: dict[str, Any]) -> str | None:
    """A Webhook trigger's key, rendered with `context` (`flow`, `vars`, `envs`; secrets may be
    read) and trimmed, as Kestra does; None when it cannot be rendered."""
    key = trigger.properties.get("key")
    if not isinstance(key, str):
        return None
    try:
        return render(key, context, services()).strip()
    except (TemplateError, ValueError) as error:
        log.warning(
            "the key of webhook %s of %s.%s cannot be rendered: %s",
            trigger.id,
            flow.namespace,
            flow.id,
            error,
        )
        return None


def read_body(body: bytes, content_type: str | None) -> Any:
    """`trigger.body`: None when empty; a JSON object or array when the body parses as one;
    else the text, or base64 for a binary content type (Kestra's reading)."""
    if not body:
        return None
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind and not any(
        t in kind if t.startswith("+") else kind.startswith(t) for t in _TEXT_TYPES
    ):
        return base64.b64encode(body).decode("ascii")
    text = body.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return parsed if isinstance(parsed, (dict, list)) else text


def grouped_headers(headers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """`trigger.headers`: each header name (as first sent) → its values, names compared
    without case."""
    grouped: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for name, value in headers:
        first = spelling.setdefault(name.lower(), name)
        grouped.setdefault(first, []).append(value)
    return grouped


def _content_type(headers: Iterable[tuple[str, str]]) -> str | None:
    for name, value in headers:
        if name.lower() == "content-type":
            return value
    return None
