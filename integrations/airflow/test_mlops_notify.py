"""Unit tests for mlops_notify (standard library only).

Run: python3 -m unittest discover -s integrations/airflow -p 'test_*.py'
"""

import hashlib
import hmac
import http.server
import json
import logging
import os
import re
import socket
import sys
import threading
import time
import types
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mlops_notify  # noqa: E402

SECRET = "test-webhook-secret"
# Retry warnings are expected here; assertLogs still sees what it asks for.
logging.getLogger("mlops_notify").setLevel(logging.ERROR)


class FakeBot:
    """A loopback /hooks/pipeline that checks signatures exactly as the bot does (contract 5.1)."""

    def __init__(self, statuses=None, clock_offset=0.0, extra_headers=None):
        """``clock_offset``: seconds the bot's clock is ahead of this machine's (its Date header
        and its signature window follow it). ``extra_headers``: sent with every answer."""
        self.statuses = list(statuses or [])
        self.requests = []
        bot = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, raw):
                timestamp = self.headers.get("X-MLOps-Request-Timestamp", "")
                signature = self.headers.get("X-MLOps-Signature", "")
                expected = "v0=" + hmac.new(SECRET.encode(), f"v0:{timestamp}:".encode() + raw, hashlib.sha256).hexdigest()
                now = time.time() + clock_offset
                fresh = timestamp.isdigit() and abs(now - int(timestamp)) <= 300
                valid = fresh and hmac.compare_digest(expected, signature)
                bot.requests.append({"method": self.command, "path": self.path, "headers": self.headers, "raw": raw, "valid": valid})
                if not valid:
                    status, body = 401, {"error": "MLOPS_SIGNATURE_INVALID", "message": "timestamp is more than 300 s from now" if not fresh else "signature does not match"}
                elif bot.statuses:
                    status, body = bot.statuses.pop(0)
                else:
                    status, body = 202, {"accepted": True}
                data = json.dumps(body).encode()
                self.send_response_only(status)
                self.send_header("Date", self.date_time_string(now))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (extra_headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):  # noqa: N802 - http.server naming
                self._answer(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

            def do_GET(self):  # noqa: N802 - what a followed 301/302 would turn the POST into
                self._answer(b"")

            def log_message(self, *args):  # keep test output clean
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/pipeline"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def events(self):
        return [json.loads(r["raw"]) for r in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def free_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks/pipeline"


def make_context(dag_id="fraud_detector_training", run_id="manual__2026-11-24T10:00:00+00:00", task_id="train_model", try_number=1, conf=None, params=None, exception=None, xcom=None):
    xcom = xcom or {}
    ti = types.SimpleNamespace(
        dag_id=dag_id,
        task_id=task_id,
        run_id=run_id,
        try_number=try_number,
        log_url=f"https://abc123.c2.us-east-1.airflow.amazonaws.com/log?execution_date=2026-11-24T10%3A00%3A00%2B00%3A00&task_id={task_id}&dag_id={dag_id}&map_index=-1",
        xcom_pull=lambda task_ids=None, key=None: xcom.get(key),
    )
    context = {
        "dag": types.SimpleNamespace(dag_id=dag_id),
        "dag_run": types.SimpleNamespace(dag_id=dag_id, run_id=run_id, conf=conf if conf is not None else {}),
        "ti": ti,
        "task_instance": ti,
        "run_id": run_id,
        "params": params or {},
    }
    if exception is not None:
        context["exception"] = exception
    return context


EVENT = {"id": "evt-1", "type": "training.started", "model": "fraud-detector", "timestamp": "2026-11-24T10:00:00Z"}


class SignTest(unittest.TestCase):
    def test_matches_the_bot_reference_vector(self):
        # Computed with Node's crypto.createHmac, as the bot does: "v0:" + ts + ":" + raw body.
        body = b'{"id":"evt-1","type":"training.started","model":"fraud-detector","timestamp":"2026-11-24T10:00:00Z"}'
        self.assertEqual(
            mlops_notify.sign("s3cret", 1795000000, body),
            "v0=8977297dc51dc5aee8637845983203a67b7aac70a88356480350b1d5313ab18d",
        )


class NotifyTest(unittest.TestCase):
    def setUp(self):
        self.bot = None
        self.sleeps = []

    def tearDown(self):
        if self.bot:
            self.bot.close()

    def send(self, event=EVENT, **kwargs):
        return mlops_notify.notify(event, url=self.bot.url if self.bot else kwargs.pop("url"), secret=SECRET, sleep=self.sleeps.append, backoff=0.01, **kwargs)

    def test_posts_signed_json_and_returns_on_202(self):
        self.bot = FakeBot()
        result = self.send()
        self.assertEqual(result, {"status": 202, "duplicate": False, "body": {"accepted": True}})
        self.assertEqual(len(self.bot.requests), 1)
        request = self.bot.requests[0]
        self.assertTrue(request["valid"])
        self.assertEqual(request["path"], "/hooks/pipeline")
        self.assertEqual(request["headers"]["Content-Type"], "application/json")
        self.assertRegex(request["headers"]["X-MLOps-Signature"], r"^v0=[0-9a-f]{64}$")
        self.assertEqual(json.loads(request["raw"]), EVENT)

    def test_200_duplicate_is_success(self):
        self.bot = FakeBot([(200, {"duplicate": True})])
        result = self.send()
        self.assertTrue(result["duplicate"])
        self.assertEqual(result["body"], {"duplicate": True})

    def test_retries_503_and_5xx_then_succeeds(self):
        self.bot = FakeBot([(503, {"error": "store unavailable"}), (502, {"error": "bad gateway"})])
        result = self.send()
        self.assertEqual(result["status"], 202)
        self.assertEqual(len(self.bot.requests), 3)
        self.assertEqual(len(self.sleeps), 2)
        self.assertLess(self.sleeps[0], self.sleeps[1] * 2 + 1e-9)  # backoff grows (with jitter)
        # Same event id each time, re-signed each time.
        self.assertEqual({json.loads(r["raw"])["id"] for r in self.bot.requests}, {"evt-1"})

    def test_gives_up_after_the_bounded_attempts(self):
        self.bot = FakeBot([(503, {"error": "store unavailable"})] * 10)
        with self.assertRaises(mlops_notify.NotifyError) as caught:
            self.send(attempts=3)
        self.assertEqual(caught.exception.status, 503)
        self.assertEqual(len(self.bot.requests), 3)
        self.assertEqual(len(self.sleeps), 2)

    def test_connection_errors_are_retried_then_raised(self):
        with self.assertRaises(mlops_notify.NotifyError) as caught:
            self.send(url=free_port_url(), attempts=2)
        self.assertIsNone(caught.exception.status)
        self.assertIn("cannot reach", str(caught.exception))
        self.assertEqual(len(self.sleeps), 1)

    def test_4xx_raises_at_once_with_the_body(self):
        problems = {"error": "invalid event", "problems": ["version: required for evaluation.completed"]}
        self.bot = FakeBot([(400, problems)])
        with self.assertRaises(mlops_notify.NotifyError) as caught:
            self.send()
        self.assertEqual(caught.exception.status, 400)
        self.assertIn("version: required for evaluation.completed", caught.exception.body)
        self.assertEqual(len(self.bot.requests), 1)
        self.assertEqual(self.sleeps, [])

    def test_wrong_secret_gets_401_without_retry(self):
        self.bot = FakeBot()
        with self.assertRaises(mlops_notify.NotifyError) as caught:
            mlops_notify.notify(EVENT, url=self.bot.url, secret="not-the-secret", sleep=self.sleeps.append)
        self.assertEqual(caught.exception.status, 401)
        self.assertFalse(self.bot.requests[0]["valid"])

    def test_a_redirect_is_reported_not_followed(self):
        # The Location is the bot itself: a client that followed it would send a GET (301/302)
        # carrying the signature headers, and the fake would record a second request.
        for status in (301, 302, 307, 308):
            with self.subTest(status=status):
                self.bot = FakeBot([(status, {})], extra_headers={"Location": "/hooks/pipeline/"})
                with self.assertRaises(mlops_notify.NotifyError) as caught:
                    self.send()
                self.bot.close()
                self.assertEqual(caught.exception.status, status)
                self.assertIn(f"the bot's URL redirects (HTTP {status} to /hooks/pipeline/)", str(caught.exception))
                self.assertIn("set MLOPS_HOOK_URL to the final URL", str(caught.exception))
                self.assertEqual([r["method"] for r in self.bot.requests], ["POST"])
                self.assertEqual(self.sleeps, [])
        self.bot = None

    def test_a_401_from_clock_skew_names_the_skew(self):
        # The bot's clock is 10 minutes ahead: every timestamp this machine signs is "stale".
        self.bot = FakeBot(clock_offset=600)
        with self.assertRaises(mlops_notify.NotifyError) as caught:
            self.send()
        self.assertEqual(caught.exception.status, 401)
        message = str(caught.exception)
        match = re.search(r"clock skew of (-?\d+) s \(this machine is (\d+) s behind the bot", message)
        self.assertIsNotNone(match, message)
        self.assertAlmostEqual(int(match.group(1)), -600, delta=2)
        self.assertIn("sync this machine's clock", message)
        self.assertEqual(len(self.bot.requests), 1)

    def test_a_401_without_skew_points_at_the_secret(self):
        self.bot = FakeBot()
        with self.assertRaises(mlops_notify.NotifyError) as caught:
            mlops_notify.notify(EVENT, url=self.bot.url, secret="not-the-secret", sleep=self.sleeps.append)
        self.assertNotIn("clock skew", str(caught.exception))
        self.assertIn("check PIPELINE_WEBHOOK_SECRET", str(caught.exception))

    def test_a_missing_setting_on_the_bot_is_named_and_not_retried(self):
        body = {"error": "MLOPS_CONFIG_INVALID", "message": "the bot cannot verify events: PIPELINE_WEBHOOK_SECRET is not set on the bot", "missing": "PIPELINE_WEBHOOK_SECRET"}
        self.bot = FakeBot([(422, body)])
        with self.assertRaises(mlops_notify.NotifyError) as caught:
            self.send()
        self.assertEqual(caught.exception.status, 422)
        self.assertIn("the bot lacks the setting PIPELINE_WEBHOOK_SECRET", str(caught.exception))
        self.assertEqual(len(self.bot.requests), 1)
        self.assertEqual(self.sleeps, [])

    def test_nan_and_infinity_are_refused_before_sending(self):
        self.bot = FakeBot()
        event = {**EVENT, "type": "evaluation.completed", "version": "1.0.0", "metrics": {"f1": float("nan"), "mse": float("inf"), "auc": 0.9}}
        with self.assertRaises(ValueError) as caught:
            self.send(event)
        self.assertIn("metrics.f1 is NaN, metrics.mse is Infinity", str(caught.exception))
        self.assertIn("only finite numbers", str(caught.exception))
        matrix = {**EVENT, "confusionMatrix": {"labels": ["a", "b"], "matrix": [[1, 0], [float("-inf"), 1]]}}
        with self.assertRaises(ValueError) as caught:
            self.send(matrix)
        self.assertIn("confusionMatrix.matrix[1][0] is -Infinity", str(caught.exception))
        self.assertEqual(self.bot.requests, [])

    def test_a_callback_with_a_nan_metric_logs_the_reason_and_does_not_raise(self):
        self.bot = FakeBot()
        context = make_context(task_id="evaluate", conf={"version": "1.4.0"}, xcom={"mlops_metrics": {"f1": float("nan")}})
        with mock.patch.dict(os.environ, {"MLOPS_HOOK_URL": self.bot.url, "PIPELINE_WEBHOOK_SECRET": SECRET}):
            with self.assertLogs("mlops_notify", level="ERROR") as logs:
                self.assertIsNone(mlops_notify.on_success_callback(context))
        self.assertIn("metrics.f1 is NaN", "\n".join(logs.output))
        self.assertEqual(self.bot.requests, [])

    def test_reads_url_and_secret_from_the_environment(self):
        self.bot = FakeBot()
        with mock.patch.dict(os.environ, {"MLOPS_HOOK_URL": self.bot.url, "PIPELINE_WEBHOOK_SECRET": SECRET}):
            self.assertEqual(mlops_notify.notify(EVENT)["status"], 202)
        self.assertTrue(self.bot.requests[0]["valid"])

    def test_falls_back_to_airflow_variables(self):
        self.bot = FakeBot()
        values = {"MLOPS_HOOK_URL": self.bot.url, "PIPELINE_WEBHOOK_SECRET": SECRET}
        variable = types.SimpleNamespace(get=lambda name, default_var=None: values.get(name, default_var))
        airflow_models = types.ModuleType("airflow.models")
        airflow_models.Variable = variable
        with mock.patch.dict(os.environ, {}, clear=True), mock.patch.dict(sys.modules, {"airflow": types.ModuleType("airflow"), "airflow.models": airflow_models}):
            self.assertEqual(mlops_notify.notify(EVENT)["status"], 202)
        self.assertTrue(self.bot.requests[0]["valid"])

    def test_missing_configuration_is_a_clear_error(self):
        with mock.patch.dict(os.environ, {}, clear=True):
            with self.assertRaisesRegex(ValueError, "MLOPS_HOOK_URL"):
                mlops_notify.notify(EVENT)
            with self.assertRaisesRegex(ValueError, "PIPELINE_WEBHOOK_SECRET"):
                mlops_notify.notify(EVENT, url="http://127.0.0.1:1/hooks/pipeline")


class BuildEventTest(unittest.TestCase):
    def test_training_failed_from_the_failure_context(self):
        context = make_context(conf={"model": "fraud-detector", "requested_by": "U0ALICE"}, exception=ValueError("label column missing"))
        event = mlops_notify.training_failed(context)
        self.assertEqual(event["type"], "training.failed")
        self.assertEqual(event["model"], "fraud-detector")
        self.assertNotIn("version", event)
        self.assertEqual(event["run"]["dagId"], "fraud_detector_training")
        self.assertEqual(event["run"]["runId"], "manual__2026-11-24T10:00:00+00:00")
        self.assertEqual(
            event["run"]["url"],
            "https://abc123.c2.us-east-1.airflow.amazonaws.com/dags/fraud_detector_training/grid?dag_run_id=manual__2026-11-24T10%3A00%3A00%2B00%3A00",
        )
        self.assertEqual(event["error"]["task"], "train_model")
        self.assertEqual(event["error"]["message"], "ValueError: label column missing")
        self.assertTrue(event["error"]["logUrl"].startswith("https://abc123.c2.us-east-1.airflow.amazonaws.com/log?"))
        self.assertEqual(event["requestedBy"], "U0ALICE")
        self.assertRegex(event["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_evaluation_completed_with_metrics_version_and_lineage(self):
        context = make_context(task_id="evaluate", conf={"model": "fraud-detector", "version": "1.4.0", "commit": "3f2a9c1", "image": "123.dkr.ecr/mlops/fraud-detector:1.4.0"})
        matrix = {"labels": ["benign", "malicious"], "matrix": [[950, 12], [9, 29]]}
        event = mlops_notify.evaluation_completed(context, metrics={"f1": 0.91, "mse": 0.041}, confusion_matrix=matrix, training_job="fraud-detector-1-4-0")
        self.assertEqual(event["type"], "evaluation.completed")
        self.assertEqual(event["version"], "1.4.0")
        self.assertEqual(event["metrics"], {"f1": 0.91, "mse": 0.041})
        self.assertEqual(event["confusionMatrix"], matrix)
        self.assertEqual(event["trainingJob"], "fraud-detector-1-4-0")
        self.assertEqual(event["lineage"], {"commit": "3f2a9c1", "image": "123.dkr.ecr/mlops/fraud-detector:1.4.0"})
        self.assertNotIn("error", event)

    def test_params_fill_in_when_conf_is_empty_and_keywords_win(self):
        context = make_context(params={"model": "churn", "version": "2.0.0"})
        self.assertEqual(mlops_notify.training_succeeded(context)["model"], "churn")
        self.assertEqual(mlops_notify.training_succeeded(context, version="2.0.1")["version"], "2.0.1")

    def test_deployment_events_carry_the_endpoint(self):
        context = make_context(dag_id="fraud_detector_deployment", task_id="update_endpoint", conf={"model": "fraud-detector", "version": "1.4.0", "endpoint": "fraud-detector-prod"})
        for builder, kind in ((mlops_notify.deployment_started, "deployment.started"), (mlops_notify.deployment_succeeded, "deployment.succeeded")):
            event = builder(context)
            self.assertEqual((event["type"], event["endpoint"], event["version"]), (kind, "fraud-detector-prod", "1.4.0"))
        failed = mlops_notify.deployment_failed(make_context(dag_id="fraud_detector_deployment", exception="endpoint update rolled back"))
        self.assertEqual(failed["error"]["message"], "endpoint update rolled back")

    def test_event_id_is_deterministic_per_run_task_type_and_try(self):
        a = mlops_notify.training_failed(make_context(exception=RuntimeError("x")))
        b = mlops_notify.training_failed(make_context(exception=RuntimeError("x")))
        self.assertEqual(a["id"], b["id"])
        self.assertRegex(a["id"], r"^af-[0-9a-f]{40}$")
        self.assertNotEqual(a["id"], mlops_notify.training_failed(make_context(try_number=2, exception=RuntimeError("x")))["id"])
        self.assertNotEqual(a["id"], mlops_notify.training_started(make_context())["id"])
        self.assertNotEqual(a["id"], mlops_notify.training_failed(make_context(run_id="scheduled__x", exception=RuntimeError("x")))["id"])
        self.assertEqual(a["id"], mlops_notify.event_id("fraud_detector_training", "manual__2026-11-24T10:00:00+00:00", "train_model", "training.failed", 1))

    def test_long_exception_messages_are_cut(self):
        event = mlops_notify.training_failed(make_context(exception=RuntimeError("x" * 50000)))
        self.assertEqual(len(event["error"]["message"]), mlops_notify.MAX_ERROR_MESSAGE)


class CallbackTest(unittest.TestCase):
    def setUp(self):
        self.bot = FakeBot()
        self.env = mock.patch.dict(os.environ, {"MLOPS_HOOK_URL": self.bot.url, "PIPELINE_WEBHOOK_SECRET": SECRET})
        self.env.start()

    def tearDown(self):
        self.env.stop()
        self.bot.close()

    def test_on_failure_callback_sends_training_failed(self):
        result = mlops_notify.on_failure_callback(make_context(conf={"model": "fraud-detector"}, exception=MemoryError("OOM in train")))
        self.assertEqual(result["status"], 202)
        (event,) = self.bot.events()
        self.assertEqual(event["type"], "training.failed")
        self.assertEqual(event["error"]["message"], "MemoryError: OOM in train")
        self.assertTrue(self.bot.requests[0]["valid"])

    def test_on_failure_callback_of_a_deployment_dag_sends_deployment_failed(self):
        mlops_notify.on_failure_callback(make_context(dag_id="fraud_detector_deployment", conf={"model": "m", "version": "1.0.0"}, exception="boom"))
        self.assertEqual(self.bot.events()[0]["type"], "deployment.failed")

    def test_mlops_phase_param_overrides_the_dag_name(self):
        mlops_notify.on_execute_callback(make_context(dag_id="nightly", params={"mlops_phase": "deployment", "model": "m", "version": "1.0.0"}))
        self.assertEqual(self.bot.events()[0]["type"], "deployment.started")

    def test_on_success_callback_sends_evaluation_when_metrics_were_pushed(self):
        context = make_context(task_id="evaluate", conf={"model": "fraud-detector"}, xcom={"mlops_metrics": {"f1": 0.91}, "mlops_version": "1.4.0"})
        mlops_notify.on_success_callback(context)
        (event,) = self.bot.events()
        self.assertEqual((event["type"], event["version"], event["metrics"]), ("evaluation.completed", "1.4.0", {"f1": 0.91}))

    def test_on_success_callback_sends_succeeded_otherwise(self):
        mlops_notify.on_success_callback(make_context(conf={"model": "fraud-detector", "version": "1.4.0"}))
        self.assertEqual(self.bot.events()[0]["type"], "training.succeeded")

    def test_callbacks_never_raise(self):
        self.bot.statuses = [(400, {"problems": ["version: required for training.succeeded"]})]
        with self.assertLogs("mlops_notify", level="ERROR") as logs:
            self.assertIsNone(mlops_notify.on_success_callback(make_context(conf={"model": "fraud-detector"})))
        self.assertTrue(any(re.search(r"not delivered: .*HTTP 400", line) for line in logs.output))


if __name__ == "__main__":
    unittest.main()
