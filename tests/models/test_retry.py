"""Retries: transient provider errors are retried with back-off, rejected requests never are."""

from __future__ import annotations

import pytest
from fake_clock import run_on_fake_clock

from harness.errors import ConfigurationError, ModelError
from harness.models import GenerateConfig, RetryPolicy, get_model, record_calls
from harness.models.retry import is_retryable

USER = [{"role": "user", "content": "Remember that I am vegetarian."}]


@pytest.mark.parametrize(
    "kind", ["rate_limit", "timeout", "server_error", "service_unavailable", "connection"]
)
def test_transient_errors_are_retried_and_counted(scripted, kind):
    scripted.enqueue_error(kind).enqueue_error(kind).enqueue_text("ok")
    model = get_model(scripted.model, retry=RetryPolicy(max_attempts=4))
    with record_calls() as calls:
        response = model.generate(USER)
    assert response.text == "ok"
    assert response.usage.retries == 2
    assert len(scripted.requests) == 3
    [record] = calls
    assert record.usage.retries == 2
    assert record.error is None


@pytest.mark.parametrize("kind", ["bad_request", "auth", "not_found", "context_window"])
def test_rejected_requests_are_never_retried(scripted, kind):
    scripted.enqueue_error(kind).enqueue_text("never reached")
    model = get_model(scripted.model, retry=RetryPolicy(max_attempts=5))
    with record_calls() as calls, pytest.raises(ModelError) as info:
        model.generate(USER)
    assert info.value.retryable is False
    assert info.value.model == scripted.model
    assert "not retryable" in str(info.value)
    assert len(scripted.requests) == 1
    assert scripted.pending == 1
    [record] = calls
    assert record.error == str(info.value)
    assert record.usage.retries == 0


def test_gives_up_after_max_attempts_naming_model_attempts_and_error(scripted):
    for _ in range(3):
        scripted.enqueue_error("rate_limit", "slow down please")
    model = get_model(scripted.model, retry=RetryPolicy(max_attempts=3))
    with record_calls() as calls, pytest.raises(ModelError) as info:
        model.generate(USER)
    message = str(info.value)
    assert scripted.model in message
    assert "3 attempt" in message
    assert "slow down please" in message
    assert info.value.retryable is True
    assert len(scripted.requests) == 3
    assert calls[0].usage.retries == 2
    assert calls[0].error == message


def test_single_attempt_policy_does_not_retry(scripted):
    scripted.enqueue_error("server_error").enqueue_text("unused")
    with pytest.raises(ModelError, match="1 attempt"):
        get_model(scripted.model, retry=RetryPolicy(max_attempts=1)).generate(USER)
    assert len(scripted.requests) == 1


def test_hanging_provider_is_cut_off_by_the_call_timeout(scripted):
    scripted.respond_with(lambda request: "too late")
    scripted.delay = 5.0
    model = get_model(scripted.model, retry=RetryPolicy(max_attempts=2, base_delay=0))

    async def call() -> pytest.ExceptionInfo[ModelError]:
        with pytest.raises(ModelError) as info:
            await model.agenerate(USER, config=GenerateConfig(timeout=0.2))
        return info

    with record_calls() as calls:
        info, elapsed = run_on_fake_clock(call())
    assert elapsed == pytest.approx(0.4)  # two tries of 0.2 s; the provider's 5 s never waited
    assert info.value.retryable is True
    assert "within 0.2 s" in str(info.value)
    assert len(scripted.requests) == 2
    assert calls[0].usage.retries == 1


def test_timeout_then_success(scripted):
    slow_then_fast = iter([5.0, 0.0])

    def respond(request):
        scripted.delay = next(slow_then_fast)
        return "finally"

    scripted.respond_with(respond)
    response = get_model(scripted.model).generate(USER, config=GenerateConfig(timeout=0.3))
    assert response.text == "finally"
    assert response.usage.retries == 1


def test_backoff_waits_between_tries(scripted):
    scripted.enqueue_error("rate_limit").enqueue_error("rate_limit").enqueue_text("ok")
    policy = RetryPolicy(max_attempts=3, base_delay=0.1, jitter=0)
    response, elapsed = run_on_fake_clock(get_model(scripted.model, retry=policy).agenerate(USER))
    assert response.text == "ok"
    assert elapsed == pytest.approx(0.1 + 0.2)  # the two back-off waits, nothing else


def test_delay_schedule_is_exponential_capped_and_jittered():
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.5)
    assert [policy.delay(n, rand=0.0) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert policy.delay(2, rand=1.0) == 1.0  # at most half the wait is taken off
    assert policy.delay(3, rand=0.5) == 3.0


def test_base_delay_comes_from_environment(monkeypatch):
    monkeypatch.setenv("HARNESS_RETRY_BASE_DELAY", "0.25")
    assert RetryPolicy().base_delay == 0.25
    assert RetryPolicy(base_delay=2).base_delay == 2
    monkeypatch.delenv("HARNESS_RETRY_BASE_DELAY")
    assert RetryPolicy().base_delay == 1.0
    monkeypatch.setenv("HARNESS_RETRY_BASE_DELAY", "soon")
    with pytest.raises(ConfigurationError, match="HARNESS_RETRY_BASE_DELAY"):
        RetryPolicy()


def test_policy_rejects_unknown_and_invalid_options():
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=3)
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(jitter=2)


def _litellm():
    from harness.models._litellm import litellm_module

    return litellm_module()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("RateLimitError", True),
        ("Timeout", True),
        ("APIConnectionError", True),
        ("InternalServerError", True),
        ("ServiceUnavailableError", True),
        ("BadRequestError", False),
        ("AuthenticationError", False),
        ("NotFoundError", False),
        ("ContextWindowExceededError", False),
        ("ContentPolicyViolationError", False),
    ],
)
def test_litellm_exception_classes_are_classified(name, expected):
    cls = getattr(_litellm(), name)
    error = cls(message="x", model="m", llm_provider="p")
    assert is_retryable(error) is expected


class _StatusError(Exception):
    def __init__(self, status_code):
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (429, True),
        (408, True),
        (500, True),
        (502, True),
        (503, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (422, False),
    ],
)
def test_unknown_errors_are_classified_by_status_code(status, expected):
    assert is_retryable(_StatusError(status)) is expected


def test_builtin_timeout_and_connection_errors_are_transient():
    assert is_retryable(TimeoutError()) is True
    assert is_retryable(ConnectionResetError()) is True
    assert is_retryable(ValueError("a bug")) is False


def test_a_missing_key_reported_as_a_server_error_is_not_retried():
    class InternalServerError(Exception):
        status_code = 500

    assert is_retryable(InternalServerError("upstream hiccup"))
    assert not is_retryable(
        InternalServerError("OpenAIException - Missing credentials. Please pass an `api_key`")
    )


def test_missing_credentials_names_only_key_variables(monkeypatch):
    from harness.models._litellm import missing_credentials

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert missing_credentials("openai/gpt-4o-mini") == ["OPENAI_API_KEY"]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert missing_credentials("openai/gpt-4o-mini") == []
    assert missing_credentials("ollama/llama3") == []  # only an endpoint, which has a default
    assert missing_credentials("scripted/anything") == []


def test_call_timeout_and_retries_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("HARNESS_CALL_TIMEOUT", "2.5")
    monkeypatch.setenv("HARNESS_MAX_RETRIES", "0")
    assert GenerateConfig().timeout == 2.5
    assert RetryPolicy().max_attempts == 1
    assert GenerateConfig(timeout=9).timeout == 9
    monkeypatch.delenv("HARNESS_CALL_TIMEOUT")
    monkeypatch.delenv("HARNESS_MAX_RETRIES")
    assert GenerateConfig().timeout == 60.0 and RetryPolicy().max_attempts == 4
    bad = [("HARNESS_CALL_TIMEOUT", "soon"), ("HARNESS_CALL_TIMEOUT", "-1"),
           ("HARNESS_CALL_TIMEOUT", "nan"), ("HARNESS_MAX_RETRIES", "-1")]  # fmt: skip
    for name, value in bad:
        monkeypatch.setenv(name, value)
        with pytest.raises(ConfigurationError, match=name):
            GenerateConfig() if name == "HARNESS_CALL_TIMEOUT" else RetryPolicy()
        monkeypatch.delenv(name)
