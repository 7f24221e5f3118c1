"""Send pipeline events from Airflow (or any Python) to the mlops-chatops bot.

Standard library only, so it can be dropped into an MWAA ``dags/`` folder without touching
``requirements.txt``. Events follow contract section 5.3; requests are signed per section 5.1:

    X-MLOps-Request-Timestamp: <unix seconds>
    X-MLOps-Signature: v0=<hex HMAC-SHA256(secret, "v0:" + timestamp + ":" + raw body)>

Configuration comes from the environment, else from Airflow Variables of the same names (on MWAA,
ideally backed by AWS Secrets Manager):

    MLOPS_HOOK_URL            https://mlops-bot.example.com/hooks/pipeline
    PIPELINE_WEBHOOK_SECRET   the bot's PIPELINE_WEBHOOK_SECRET

Use the ready callbacks in ``default_args`` or call the builders and :func:`notify` yourself::

    from mlops_notify import on_failure_callback, on_success_callback, evaluation_completed, notify

    default_args = {"on_failure_callback": on_failure_callback}

    def evaluate(**context):
        metrics = {"f1": 0.91, "mse": 0.041}
        notify(evaluation_completed(context, metrics=metrics))
"""

import datetime
import email.utils
import hashlib
import hmac
import http.client
import json
import logging
import math
import os
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

__all__ = [
    "NotifyError",
    "sign",
    "notify",
    "event_id",
    "build_event",
    "training_started",
    "training_succeeded",
    "training_failed",
    "evaluation_completed",
    "deployment_started",
    "deployment_succeeded",
    "deployment_failed",
    "on_execute_callback",
    "on_success_callback",
    "on_failure_callback",
]

log = logging.getLogger("mlops_notify")

USER_AGENT = "mlops-notify-airflow/1"
# The bot truncates nothing below this, and Slack shows only the start of a long error anyway.
MAX_ERROR_MESSAGE = 4000
# The bot refuses signatures whose timestamp is further than this from its clock (contract 5.1).
MAX_CLOCK_SKEW_SECONDS = 300


class NotifyError(Exception):
    """The bot refused the event (4xx) or could not be reached after all attempts.

    ``status`` is the HTTP status (None when nothing answered); ``body`` is the response text,
    which for 400 lists each problem with the event.
    """

    def __init__(self, message, status=None, body=""):
        super().__init__(message)
        self.status = status
        self.body = body


def sign(secret, timestamp, body):
    """The ``X-MLOps-Signature`` value for ``body`` (bytes) sent at ``timestamp`` (unix seconds)."""
    base = b"v0:" + str(timestamp).encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def _setting(name):
    """From the environment, else from an Airflow Variable of the same name.

    On MWAA the Variable can live in AWS Secrets Manager (``airflow/variables/<name>`` with the
    Secrets Manager backend), which keeps the webhook secret out of the environment's configuration.
    """
    value = os.environ.get(name)
    if value:
        return value
    try:
        from airflow.models import Variable  # imported lazily: the module also runs outside Airflow
    except ImportError:
        return None
    try:
        return Variable.get(name, default_var=None)
    except Exception:  # noqa: BLE001 - no metadata DB or secrets backend reachable: treat as unset
        return None


def _retryable(status):
    # 503 is what the bot answers when it cannot record the event (store down): retry.
    return status is None or status == 429 or status >= 500


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: urllib turns a redirected POST into a GET (301/302/303) and sends
    the signature headers along to wherever the Location points. The 3xx is reported instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 - see class
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _non_finite(value, path=None):
    """Paths of NaN / Infinity floats in ``value``: JSON has no such numbers (Python would write the
    bare token ``NaN``, which the bot refuses as invalid JSON), and the bot's schema wants finite ones."""
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{path} is {'NaN' if math.isnan(value) else ('Infinity' if value > 0 else '-Infinity')}"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _non_finite(v, str(k) if path is None else f"{path}.{k}")]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in _non_finite(v, f"{path}[{i}]")]
    return []


def _clock_skew(headers):
    """Seconds this machine's clock is ahead of the bot's (negative: behind), from the answer's
    ``Date`` header; None when there is no usable header."""
    try:
        server = email.utils.parsedate_to_datetime(headers.get("Date"))
    except (TypeError, ValueError, IndexError):
        return None
    if server is None or server.tzinfo is None:
        return None
    return round(time.time() - server.timestamp())


def _refusal(status, text, headers, url):
    """The message of a refusal the sender cannot fix by retrying, saying what to do."""
    body = _parse(text)
    if 300 <= status < 400:
        location = headers.get("Location") or "(no Location)"
        return (
            f"the bot's URL redirects (HTTP {status} to {location}); the event was not sent there, since a redirect "
            f"would drop the POST body and forward the signature: set MLOPS_HOOK_URL to the final URL instead of {url}"
        )
    if status == 401:
        skew = _clock_skew(headers)
        if skew is not None and abs(skew) > MAX_CLOCK_SKEW_SECONDS - 5:
            side = "ahead of" if skew > 0 else "behind"
            return (
                f"the bot refused the signature: clock skew of {skew} s (this machine is {abs(skew)} s {side} the bot; "
                f"the limit is {MAX_CLOCK_SKEW_SECONDS} s): sync this machine's clock (NTP): {text}"
            )
        return f"the bot refused the signature (HTTP 401): check PIPELINE_WEBHOOK_SECRET: {text}"
    if isinstance(body, dict) and isinstance(body.get("missing"), str):
        return f"the bot refused the event (HTTP {status}): the bot lacks the setting {body['missing']}: {body.get('message', text)}"
    return f"the bot refused the event: HTTP {status}: {text}"


def notify(event, url=None, secret=None, timeout=10.0, attempts=4, backoff=1.0, sleep=time.sleep):
    """POST one event to the bot, signed; retry 5xx / 429 / connection errors with backoff.

    Returns ``{"status": 202 | 200, "duplicate": bool, "body": <parsed JSON or text>}``.
    Raises :class:`NotifyError` on a 4xx (with the bot's explanation; a 401 from clock skew says
    "clock skew of N s"), on a 3xx (redirects are never followed) or when every attempt failed, and
    ``ValueError`` when the URL or secret is missing or the event holds NaN / Infinity.
    """
    url = url or _setting("MLOPS_HOOK_URL")
    secret = secret or _setting("PIPELINE_WEBHOOK_SECRET")
    if not url:
        raise ValueError("MLOPS_HOOK_URL is not set: expected the bot's https://…/hooks/pipeline URL")
    if not secret:
        raise ValueError("PIPELINE_WEBHOOK_SECRET is not set: expected the bot's webhook signing secret")
    non_finite = _non_finite(event)
    if non_finite:
        raise ValueError(
            f"event {event.get('id') if isinstance(event, dict) else ''} not sent: {', '.join(non_finite)}; "
            "the bot accepts only finite numbers (leave the metric out, or fix its computation)"
        )
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False, default=str, allow_nan=False).encode("utf-8")

    last = None
    for attempt in range(1, max(1, attempts) + 1):
        # Signed per attempt: a retry after a long backoff must not carry a stale timestamp.
        timestamp = str(int(time.time()))
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-MLOps-Request-Timestamp": timestamp,
                "X-MLOps-Signature": sign(secret, timestamp, body),
            },
        )
        try:
            with _opener.open(request, timeout=timeout) as response:
                text = response.read().decode("utf-8", "replace")
                status = response.status
            return {"status": status, "duplicate": status == 200, "body": _parse(text)}
        except urllib.error.HTTPError as error:
            text = error.read().decode("utf-8", "replace")
            if not _retryable(error.code):
                raise NotifyError(_refusal(error.code, text, error.headers, url), error.code, text) from None
            last = NotifyError(f"the bot answered HTTP {error.code}: {text}", error.code, text)
        except (urllib.error.URLError, socket.timeout, ConnectionError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", error)
            last = NotifyError(f"cannot reach {url}: {reason}")
        if attempt < attempts:
            # Exponential backoff with jitter, bounded so a callback never blocks a worker for long.
            delay = min(backoff * (2 ** (attempt - 1)), 30.0) * (0.5 + random.random() / 2)
            log.warning("mlops notify attempt %d failed (%s); retrying in %.1fs", attempt, last, delay)
            sleep(delay)
    raise last


def _parse(text):
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


# ---------------------------------------------------------------------------------------------
# Events from the Airflow context
# ---------------------------------------------------------------------------------------------


def event_id(dag_id, run_id, task_id, event_type, try_number):
    """Deterministic id: the same callback run twice (or a notify retried) is one event for the bot."""
    key = "/".join(str(part) for part in (dag_id, run_id, task_id, event_type, try_number))
    return "af-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _get(obj, name, default=None):
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    try:
        return getattr(obj, name, default)
    except Exception:  # noqa: BLE001 - some Airflow properties hit the DB; a missing value is fine
        return default


def _lookup(name, overrides, conf, params):
    """A field from, in order: explicit keyword, ``dag_run.conf``, DAG/task ``params``."""
    if overrides.get(name) is not None:
        return overrides[name]
    if conf.get(name) is not None:
        return conf[name]
    return params.get(name)


def _airflow_base_url(log_url):
    """``https://host/path`` of the Airflow UI, from a task's ``log_url`` (2.x ``/log?…`` or ``/dags/…``)."""
    if not log_url:
        return None
    parts = urllib.parse.urlsplit(log_url)
    if parts.scheme not in ("http", "https"):
        return None
    path = parts.path
    for marker in ("/dags/", "/log"):
        index = path.find(marker)
        if index >= 0:
            return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path[:index], "", ""))
    return None


def _phase(context, overrides):
    """``training`` or ``deployment``: explicit, else ``mlops_phase`` in conf/params, else the DAG id."""
    if overrides.get("phase"):
        return overrides["phase"]
    dag_run = context.get("dag_run")
    conf = _get(dag_run, "conf") or {}
    params = context.get("params") or {}
    phase = conf.get("mlops_phase") or params.get("mlops_phase")
    if phase in ("training", "deployment"):
        return phase
    dag_id = _get(context.get("dag"), "dag_id") or _get(dag_run, "dag_id") or ""
    return "deployment" if "deploy" in str(dag_id) else "training"


def build_event(context, event_type, **fields):
    """A contract-5.3 event of ``event_type`` from an Airflow callback/task ``context``.

    Keyword ``fields`` override what is found in the context: ``model``, ``version``, ``metrics``,
    ``confusion_matrix``, ``endpoint``, ``training_job``, ``error_message``, ``lineage``, ``links``,
    ``run_url``, ``id``. ``model``/``version``/``endpoint``/``training_job`` also come from the run's
    ``conf`` or the ``params``; ``lineage`` from conf keys ``commit``, ``image``, ``data``.
    """
    ti = context.get("task_instance") or context.get("ti")
    dag_run = context.get("dag_run")
    dag = context.get("dag")
    conf = _get(dag_run, "conf") or {}
    params = context.get("params") or {}
    if not isinstance(conf, dict):
        conf = {}

    dag_id = _get(dag, "dag_id") or _get(ti, "dag_id") or _get(dag_run, "dag_id")
    run_id = context.get("run_id") or _get(dag_run, "run_id") or _get(ti, "run_id")
    task_id = _get(ti, "task_id") or _get(context.get("task"), "task_id") or "dag"
    try_number = _get(ti, "try_number", 1)
    log_url = _get(ti, "log_url")

    model = _lookup("model", fields, conf, params) or os.environ.get("MLOPS_MODEL") or dag_id
    event = {
        "id": fields.get("id") or event_id(dag_id, run_id, task_id, event_type, try_number),
        "type": event_type,
        "model": str(model),
        "timestamp": _now(),
    }
    version = _lookup("version", fields, conf, params)
    if version is not None:
        event["version"] = str(version)

    run = {}
    if dag_id:
        run["dagId"] = str(dag_id)
    if run_id:
        run["runId"] = str(run_id)
    run_url = fields.get("run_url")
    base = _airflow_base_url(log_url)
    if run_url is None and base and dag_id and run_id:
        run_url = f"{base}/dags/{urllib.parse.quote(str(dag_id))}/grid?dag_run_id={urllib.parse.quote(str(run_id), safe='')}"
    if run_url:
        run["url"] = run_url
    if run:
        event["run"] = run

    for key, name in (("training_job", "trainingJob"), ("endpoint", "endpoint")):
        value = _lookup(key, fields, conf, params)
        if value is not None:
            event[name] = str(value)
    if fields.get("metrics") is not None:
        event["metrics"] = {str(k): float(v) for k, v in fields["metrics"].items()}
    if fields.get("confusion_matrix") is not None:
        event["confusionMatrix"] = fields["confusion_matrix"]
    if fields.get("links"):
        event["links"] = dict(fields["links"])

    lineage = dict(fields.get("lineage") or {})
    for key in ("commit", "image", "data"):
        if key not in lineage and conf.get(key) is not None:
            lineage[key] = str(conf[key])
    if lineage:
        event["lineage"] = lineage

    if event_type.endswith(".failed"):
        exception = context.get("exception")
        message = fields.get("error_message")
        if message is None and exception is not None:
            message = exception if isinstance(exception, str) else f"{type(exception).__name__}: {exception}"
        if message is None:
            message = context.get("reason") or "failed (no exception in the Airflow context)"
        error = {"task": str(task_id), "message": str(message)[:MAX_ERROR_MESSAGE]}
        if log_url and str(log_url).startswith(("http://", "https://")):
            error["logUrl"] = str(log_url)
        event["error"] = error

    requested_by = conf.get("requested_by")
    if requested_by:
        event["requestedBy"] = str(requested_by)
    return event


def training_started(context, **fields):
    return build_event(context, "training.started", **fields)


def training_succeeded(context, **fields):
    return build_event(context, "training.succeeded", **fields)


def training_failed(context, **fields):
    return build_event(context, "training.failed", **fields)


def evaluation_completed(context, metrics, confusion_matrix=None, **fields):
    """The event that brings the Deploy / Reject buttons: ``metrics`` like ``{"f1": 0.91}``.

    ``confusion_matrix`` is ``{"labels": [...], "matrix": [[...], ...]}`` (square, one row per label).
    """
    return build_event(context, "evaluation.completed", metrics=metrics, confusion_matrix=confusion_matrix, **fields)


def deployment_started(context, **fields):
    return build_event(context, "deployment.started", **fields)


def deployment_succeeded(context, **fields):
    return build_event(context, "deployment.succeeded", **fields)


def deployment_failed(context, **fields):
    return build_event(context, "deployment.failed", **fields)


# ---------------------------------------------------------------------------------------------
# Ready callbacks (for default_args or a task's on_*_callback)
# ---------------------------------------------------------------------------------------------


def _send_quietly(event):
    """Callbacks never raise: a notification problem must not change the task's outcome."""
    try:
        result = notify(event)
        log.info("mlops event %s %s: %s", event.get("type"), event.get("id"), "duplicate" if result["duplicate"] else "recorded")
        return result
    except Exception as error:  # noqa: BLE001 - logged with the reason, then swallowed on purpose
        log.error("mlops event %s %s not delivered: %s", event.get("type"), event.get("id"), error)
        return None


def _xcom(context, key):
    ti = context.get("task_instance") or context.get("ti")
    pull = _get(ti, "xcom_pull")
    if pull is None:
        return None
    try:
        return pull(task_ids=_get(ti, "task_id"), key=key)
    except Exception:  # noqa: BLE001 - no XCom backend reachable: behave as if nothing was pushed
        return None


def on_execute_callback(context):
    """``training.started`` / ``deployment.started`` when the task begins."""
    return _send_quietly(build_event(context, _phase(context, {}) + ".started"))


def on_success_callback(context):
    """``evaluation.completed`` if the task pushed XCom ``mlops_metrics``, else ``<phase>.succeeded``.

    An evaluation task can ``ti.xcom_push(key="mlops_metrics", value={"f1": 0.91})`` (and optionally
    ``mlops_confusion_matrix`` and ``mlops_version``) and leave the sending to this callback.
    """
    version = _xcom(context, "mlops_version")
    extra = {"version": version} if version is not None else {}
    metrics = _xcom(context, "mlops_metrics")
    if isinstance(metrics, dict) and metrics:
        matrix = _xcom(context, "mlops_confusion_matrix")
        return _send_quietly(evaluation_completed(context, metrics=metrics, confusion_matrix=matrix, **extra))
    return _send_quietly(build_event(context, _phase(context, {}) + ".succeeded", **extra))


def on_failure_callback(context):
    """``training.failed`` / ``deployment.failed`` with the task, the exception and the log link."""
    return _send_quietly(build_event(context, _phase(context, {}) + ".failed"))
