"""Deferred scenarios run on real Twisted, one printed line per event.

deferred_scenarios.ts runs the same scenarios on Twixt; deferred_test.ts
runs both and compares their output line by line. Values are printed by
fmt() (and its twin in the TypeScript file), so that both languages print
identical text: strings JSON-quoted, None/undefined as None, lists in
brackets, a Failure as Failure(Type) or, for the scenarios' own error
Boom, Failure(Boom: message). Library error messages differ between the
two (Twixt words its own), so only their type names are compared.
"""
import gc
import json
import sys

from twisted.internet import defer
from twisted.internet.defer import (
    CancelledError,
    Deferred,
    DeferredList,
    DeferredLock,
    DeferredQueue,
    DeferredSemaphore,
    FirstError,
    QueueOverflow,
    QueueUnderflow,
    gatherResults,
    inlineCallbacks,
    returnValue,
)
from twisted.internet.task import Clock
from twisted.python.failure import Failure


class Boom(Exception):
    pass


class Other(Exception):
    pass


def fmt(v):
    if v is None:
        return "None"
    if v is True:
        return "True"
    if v is False:
        return "False"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    if isinstance(v, Failure):
        return "Failure(" + err(v.value) + ")"
    if isinstance(v, BaseException):
        return err(v)
    if isinstance(v, Deferred):
        return "Deferred"
    return type(v).__name__


def err(e):
    name = type(e).__name__
    if isinstance(e, (Boom, Other)):
        return "%s: %s" % (name, e.args[0])
    if isinstance(e, FirstError):
        return "FirstError(index=%d, %s)" % (e.index, fmt(e.subFailure))
    return name


def out(*parts):
    print(" ".join(parts), flush=True)


def log(label):
    """A callback/errback that prints what it got and passes it on."""

    def cb(r):
        out(label, fmt(r))
        return r

    return cb


scenarios = []


def scenario(f):
    scenarios.append(f)
    return f


@scenario
def chains():
    d = Deferred()
    d.addCallback(lambda r: r + 1)
    d.addCallback(log("cb1"))

    def raiser(r):
        raise Boom("from cb2")

    d.addCallback(raiser)
    d.addCallback(log("skipped"))
    d.addErrback(log("eb1"))
    d.addErrback(lambda f: "recovered")
    d.addCallbacks(log("cb3"), log("not-eb3"))
    d.addCallbacks(lambda r: Failure(Other("returned failure")), log("no"))
    d.addCallbacks(log("no-cb4"), log("eb4"))

    def trapper(f):
        f.trap(Boom)
        return "trapped"

    d.addErrback(trapper)
    d.addErrback(log("eb5"))
    d.addErrback(lambda f: f.check(Boom, Other) and "checked")
    d.addBoth(log("both"))
    d.callback(1)
    out("result", fmt(d.result))


@scenario
def extra_args():
    d = Deferred()
    d.addCallback(lambda r, a, b=None: "%s-%s-%s" % (r, a, b), "x", b="y")
    d.addCallback(log("cb"))
    d.addCallbacks(lambda r, a: r + a, lambda f: None, callbackArgs=("!",))
    d.addCallback(log("cb2"))

    def raiser(r):
        raise Boom("again")

    d.addCallback(raiser)
    d.addErrback(lambda f, tag: "%s %s" % (tag, f.value.args[0]), "eb-arg")
    d.addBoth(lambda r, t: out("both", t, fmt(r)), "tag")
    d.callback("v")


@scenario
def nested():
    inner = Deferred()
    outer = Deferred()
    outer.addCallback(log("outer-before"))
    outer.addCallback(lambda r: inner)
    outer.addCallback(log("outer-after"))
    outer.callback("a")
    out("outer-called", fmt(outer.called), "paused", fmt(outer.paused > 0))
    inner.addCallback(log("inner-cb"))
    inner.callback("b")
    out("outer-result", fmt(outer.result))
    # An inner that fails.
    inner2 = Deferred()
    outer2 = Deferred()
    outer2.addCallback(lambda r: inner2)
    outer2.addErrback(log("outer2-eb"))
    outer2.addErrback(lambda f: "handled")
    outer2.callback(None)
    inner2.errback(Boom("inner failed"))
    out("outer2-result", fmt(outer2.result), "inner2-result", fmt(inner2.result))
    # chainDeferred
    a = Deferred()
    b = Deferred()
    b.addCallback(log("b-cb"))
    a.chainDeferred(b)
    a.addCallback(log("a-after-chain"))
    a.callback("c")
    e1 = Deferred()
    e2 = Deferred()
    e2.addErrback(log("e2-eb"))
    e2.addErrback(lambda f: None)
    e1.chainDeferred(e2)
    e1.addBoth(log("e1-after"))
    e1.errback(Boom("chained"))


@scenario
def pause_unpause():
    d = Deferred()
    d.addCallback(log("cb1"))
    d.pause()
    d.callback("p")
    out("paused-called", fmt(d.called))
    d.addCallback(log("cb2"))
    out("before-unpause")
    d.unpause()
    out("after-unpause", fmt(d.result))
    d2 = Deferred()
    d2.pause()
    d2.pause()
    d2.addCallback(log("d2-cb"))
    d2.callback(2)
    d2.unpause()
    out("one-unpause")
    d2.unpause()


@scenario
def cancel():
    d = Deferred()
    d.addErrback(log("no-canceller"))
    d.addErrback(lambda f: f.trap(CancelledError) and "caught")
    d.cancel()
    out("result", fmt(d.result))

    def canceller(dd):
        out("canceller-called")

    d2 = Deferred(canceller)
    d2.addErrback(log("with-canceller"))
    d2.addErrback(lambda f: None)
    d2.cancel()

    def canceller_fires(dd):
        out("canceller-fires")
        dd.callback("from canceller")

    d3 = Deferred(canceller_fires)
    d3.addBoth(log("d3"))
    d3.cancel()
    d3.cancel()  # already called: nothing
    out("second-cancel-quiet")
    # Cancel of a chained Deferred: cancels the inner one it waits on.
    inner = Deferred(lambda dd: out("inner-canceller"))
    outer = Deferred()
    outer.addCallback(lambda r: inner)
    outer.addErrback(log("outer-eb"))
    outer.addErrback(lambda f: None)
    outer.callback(None)
    outer.cancel()
    out("inner-result", fmt(inner.result))
    inner.addErrback(lambda f: None)
    # Cancel after firing does nothing.
    d4 = Deferred()
    d4.callback("done")
    d4.cancel()
    out("d4", fmt(d4.result))


@scenario
def timeouts():
    clock = Clock()
    d = Deferred()
    d.addTimeout(5, clock)
    d.addErrback(log("timeout-eb"))
    d.addErrback(lambda f: None)
    clock.advance(4)
    out("at-4", fmt(d.called))
    clock.advance(1)
    out("at-5", fmt(d.called), "calls", fmt(len(clock.getDelayedCalls())))
    d2 = Deferred()
    d2.addTimeout(5, clock, onTimeoutCancel=lambda r, t: "default after %d" % t)
    d2.addBoth(log("on-timeout-cancel"))
    clock.advance(5)
    d3 = Deferred()
    d3.addTimeout(5, clock)
    d3.callback("in time")
    out("d3", fmt(d3.result), "calls", fmt(len(clock.getDelayedCalls())))
    d4 = Deferred(lambda dd: dd.callback("canceller result"))
    d4.addTimeout(1, clock)
    d4.addBoth(log("d4"))
    clock.advance(1)
    d5 = Deferred()
    d5.addTimeout(3, clock)
    d5.errback(Boom("before timeout"))
    d5.addErrback(log("d5"))
    d5.addErrback(lambda f: None)
    out("d5-calls", fmt(len(clock.getDelayedCalls())))


@scenario
def deferred_lists():
    a, b, c = Deferred(), Deferred(), Deferred()
    dl = DeferredList([a, b, c])
    dl.addCallback(log("all"))
    a.callback(1)
    b.errback(Boom("b"))
    out("b-after", fmt(b.result))
    b.addErrback(lambda f: None)
    c.callback(3)
    a, b = Deferred(), Deferred()
    dl = DeferredList([a, b], fireOnOneCallback=True)
    dl.addCallback(log("one-cb"))
    b.callback("second")
    a.callback("first")
    a, b = Deferred(), Deferred()
    dl = DeferredList([a, b], fireOnOneErrback=True, consumeErrors=True)
    dl.addErrback(log("one-eb"))
    dl.addErrback(lambda f: None)
    b.errback(Boom("b failed"))
    out("b-consumed", fmt(b.result))
    a.callback("late")
    a, b = Deferred(), Deferred()
    dl = DeferredList([a, b], consumeErrors=True)
    dl.addCallback(log("consumed"))
    a.errback(Boom("x"))
    b.errback(Other("y"))
    out("a", fmt(a.result), "b", fmt(b.result))
    dl = DeferredList([])
    dl.addCallback(log("empty"))
    a, b = Deferred(), Deferred()
    dl = DeferredList([a, b], fireOnOneCallback=True)
    dl.addCallback(log("none-succeeded"))
    a.errback(Boom("a"))
    b.errback(Boom("b"))
    a.addErrback(lambda f: None)
    b.addErrback(lambda f: None)


@scenario
def gather():
    a, b, c = Deferred(), Deferred(), Deferred()
    g = gatherResults([a, b, c])
    g.addCallback(log("gathered"))
    c.callback(3)
    a.callback(1)
    b.callback(2)
    a, b = Deferred(), Deferred()
    g = gatherResults([a, b], consumeErrors=True)

    def first_error(f):
        f.trap(FirstError)
        out("first-error index", fmt(f.value.index), "wrapped",
            fmt(f.value.subFailure))

    g.addErrback(first_error)
    b.errback(Boom("second failed"))
    out("b", fmt(b.result))
    a.callback(1)
    g = gatherResults([])
    g.addCallback(log("empty"))


@scenario
def races():
    if not hasattr(defer, "race"):
        out("race: not in this Twisted")  # 22.4 has no race
        return


@scenario
def inline():
    @inlineCallbacks
    def gen(inner):
        a = yield defer.succeed(1)
        out("got fired", fmt(a))
        b = yield inner
        out("got unfired", fmt(b))
        try:
            yield defer.fail(Boom("thrown in"))
        except Boom as e:
            out("caught", fmt(e))
        returnValue(a + b)

    inner = Deferred()
    d = gen(inner)
    d.addCallback(log("gen-result"))
    out("waiting", fmt(d.called))
    inner.callback(41)

    @inlineCallbacks
    def plain_return():
        yield defer.succeed(None)
        return "returned"

    plain_return().addCallback(log("plain"))

    @inlineCallbacks
    def raises():
        yield defer.succeed(None)
        raise Boom("from generator")

    raises().addErrback(log("raises")).addErrback(lambda f: None)

    @inlineCallbacks
    def uncaught(w):
        yield w

    w = Deferred()
    u = uncaught(w)
    u.addErrback(log("uncaught")).addErrback(lambda f: None)
    w.errback(Other("not caught"))

    waited = Deferred(lambda dd: out("waited-canceller"))

    @inlineCallbacks
    def cancellable():
        try:
            yield waited
        except CancelledError:
            out("generator saw CancelledError")
            raise

    c = cancellable()
    c.addErrback(log("cancelled")).addErrback(lambda f: None)
    c.cancel()

    waited2 = Deferred()

    @inlineCallbacks
    def survives():
        try:
            yield waited2
        except CancelledError:
            out("caught cancel, carrying on")
        v = yield defer.succeed("after cancel")
        return v

    s = survives()
    s.addBoth(log("survives"))
    s.cancel()


@scenario
def semaphore_lock():
    sem = DeferredSemaphore(2)
    holders = []
    for i in range(5):
        d = sem.acquire()
        d.addCallback(lambda s, i=i: (out("sem acquired", fmt(i)),
                                      holders.append(i)))
    out("tokens", fmt(sem.tokens))
    for _ in range(4):
        holders.pop(0)
        sem.release()
    out("tokens", fmt(sem.tokens))
    sem.release()
    out("tokens", fmt(sem.tokens))
    results = []

    def job(i):
        out("run", fmt(i))
        return i * 10

    ds = [sem.run(job, i) for i in range(3)]
    gatherResults(ds).addCallback(log("sem.run"))
    lock = DeferredLock()
    for i in range(3):
        lock.acquire().addCallback(lambda l, i=i: out("lock acquired", fmt(i)))
    out("locked", fmt(lock.locked))
    lock.release()
    lock.release()
    lock.release()
    out("locked", fmt(lock.locked))
    waiter = lock.acquire()
    waiter.addCallback(lambda l: out("reacquired"))
    lock.release()
    lock.acquire()
    w2 = lock.acquire()
    w2.addErrback(log("lock waiter cancelled")).addErrback(lambda f: None)
    w2.cancel()
    lock.release()
    out("locked", fmt(lock.locked))


@scenario
def queues():
    q = DeferredQueue()
    g = q.get()
    g.addCallback(log("get-before-put"))
    q.put("a")
    q.put("b")
    q.get().addCallback(log("put-before-get"))
    q = DeferredQueue(size=1, backlog=1)
    q.put(1)
    try:
        q.put(2)
    except QueueOverflow as e:
        out("overflow", fmt(e))
    q.get().addCallback(log("got"))
    q.get().addCallback(log("backlog waiter"))
    try:
        q.get()
    except QueueUnderflow as e:
        out("underflow", fmt(e))
    q.put(3)
    w = q.get()
    w.addErrback(log("cancelled get")).addErrback(lambda f: None)
    w.cancel()
    q.put(4)
    q.get().addCallback(log("after cancel"))


@scenario
def trap_check():
    f = Failure(Boom("trap me"))
    out("check", fmt(f.check(Other, Boom) is Boom), fmt(f.check(Other)))
    try:
        f.trap(Other)
    except Boom as e:
        out("trap re-raised", fmt(e))
    except Failure as e:
        out("trap re-raised failure", fmt(e))
    out("trap ok", fmt(f.trap(Other, Boom) is Boom))
    d = Deferred()
    d.addErrback(lambda f: f.trap(Other))
    d.addErrback(log("untrapped"))
    d.addErrback(lambda f: None)
    d.errback(Boom("not Other"))


def unhandled():
    """Run alone: three failures nobody handles, reported by the end."""
    d = Deferred()
    d.errback(Boom("nobody listening"))
    del d
    gc.collect()
    # A dropped input of a cancelled DeferredList.
    a = Deferred()
    dl = DeferredList([a])
    dl.cancel()
    del a, dl
    gc.collect()
    # A timeout that fired with nobody listening.
    clock = Clock()
    t = Deferred()
    t.addTimeout(1, clock)
    clock.advance(1)
    del t
    gc.collect()


if __name__ == "__main__":
    if sys.argv[1:] == ["unhandled"]:
        unhandled()
        out("== end")
        sys.exit(0)
    for s in scenarios:
        out("==", s.__name__)
        s()
    out("== end")
