"""The throttle behind the window's side views: many requests become one call per interval,
the newest request is always honoured, and a call now drops what waits."""

from gmm_studio.gui.throttle import Throttle


def test_requests_within_the_interval_become_one_later_call(qtbot):
    calls = []
    throttle = Throttle(lambda: calls.append(len(calls)), interval_ms=50)
    throttle.request()
    assert calls == [0] and not throttle.pending  # the first request is served at once
    for _ in range(5):
        throttle.request()
    assert calls == [0] and throttle.pending
    qtbot.waitUntil(lambda: len(calls) == 2)
    assert not throttle.pending
    qtbot.wait(80)
    assert calls == [0, 1]  # the five requests were one call


def test_a_call_now_drops_the_deferred_one(qtbot):
    calls = []
    throttle = Throttle(lambda: calls.append(1), interval_ms=40)
    throttle.request()
    throttle.request()
    assert throttle.pending
    throttle.now()
    assert len(calls) == 2 and not throttle.pending
    qtbot.wait(60)
    assert len(calls) == 2
