"""
A twisted.web site for the web-client interop tests
(packages/web-client/twisted_interop_test.ts).

Listens on 127.0.0.1, port 0, for HTTP, and on a second port for a peer that
answers anything with a line that is not HTTP; prints "PORT <http> <raw>" once
both listen, then serves until killed (or for 300 s at most).
"""

import hashlib
import json
import sys

from twisted.internet import protocol, reactor
from twisted.web import resource, server
from twisted.web.server import GzipEncoderFactory, NOT_DONE_YET
from twisted.web.resource import EncodingResourceWrapper

BIG_SIZE = 20 * 1024 * 1024
# bytes 0..255 over and over: the test builds the same and compares hashes
BIG_BLOCK = bytes(range(256)) * 256  # 64 KiB


class Leaf(resource.Resource):
    isLeaf = True

    def __init__(self, render):
        resource.Resource.__init__(self)
        self._render = render

    def render(self, request):
        return self._render(request)


def text(request):
    request.setHeader(b"content-type", b"text/plain; charset=utf-8")
    return "hello from twisted.web, grüße".encode("utf-8")


def redirect(code):
    def render(request):
        to = request.args.get(b"to", [b"/echo"])[0]
        request.setResponseCode(code)
        request.setHeader(b"location", to)
        return b"redirecting"
    return render


def loop(request):
    request.setResponseCode(302)
    request.setHeader(b"location", b"/loop")
    return b"again"


def echo(request):
    body = request.content.read()
    headers = {
        k.decode("latin-1").lower(): v[0].decode("latin-1")
        for k, v in request.requestHeaders.getAllRawHeaders()
    }
    request.setHeader(b"content-type", b"application/json")
    return json.dumps({
        "method": request.method.decode("ascii"),
        "path": request.uri.decode("latin-1"),
        "headers": headers,
        "body": body.decode("utf-8", "replace"),
    }).encode("utf-8")


def chunked(request):
    # No Content-Length on HTTP/1.1: twisted.web sends it chunked.
    for i in range(5):
        request.write(("chunk %d;" % i).encode("ascii"))
    request.finish()
    return NOT_DONE_YET


def slow(request):
    request.setHeader(b"content-length", b"10")
    request.write(b"slow ")

    def rest():
        if not request.finished and not request._disconnected:
            request.write(b"body.")
            request.finish()
    reactor.callLater(0.3, rest)
    return NOT_DONE_YET


def stall(request):
    request.setHeader(b"content-length", b"100")
    request.write(b"partial")
    return NOT_DONE_YET  # and never more


def truncated(request):
    request.setHeader(b"content-length", b"100")
    request.write(b"only ten b")
    reactor.callLater(0.05, request.transport.loseConnection)
    return NOT_DONE_YET


class BigProducer(object):
    """Writes BIG_SIZE bytes as the transport asks for them."""

    def __init__(self, request):
        self.request = request
        self.sent = 0
        self.stopped = False

    def resumeProducing(self):
        if self.stopped:
            return
        self.request.write(BIG_BLOCK)
        self.sent += len(BIG_BLOCK)
        if self.sent >= BIG_SIZE:
            self.stopped = True
            self.request.unregisterProducer()
            self.request.finish()

    def stopProducing(self):
        self.stopped = True


def big(request):
    request.setHeader(b"content-length", str(BIG_SIZE).encode("ascii"))
    request.setHeader(b"x-sha256", BIG_SHA256.encode("ascii"))
    request.registerProducer(BigProducer(request), False)
    return NOT_DONE_YET


BIG_SHA256 = hashlib.sha256(BIG_BLOCK * (BIG_SIZE // len(BIG_BLOCK))).hexdigest()


def gzip_text(request):
    request.setHeader(b"content-type", b"text/plain")
    return b"gzip " * 2000


class NotHTTP(protocol.Protocol):
    def dataReceived(self, data):
        self.transport.write(b"SSH-2.0-Twisted_22.4 not HTTP at all\r\n")
        self.transport.loseConnection()


def main():
    root = resource.Resource()
    root.putChild(b"text", Leaf(text))
    for code in (301, 302, 303, 307, 308):
        root.putChild(b"r%d" % code, Leaf(redirect(code)))
    root.putChild(b"loop", Leaf(loop))
    root.putChild(b"echo", Leaf(echo))
    root.putChild(b"chunked", Leaf(chunked))
    root.putChild(b"slow", Leaf(slow))
    root.putChild(b"stall", Leaf(stall))
    root.putChild(b"truncated", Leaf(truncated))
    root.putChild(b"big", Leaf(big))
    root.putChild(
        b"gzip", EncodingResourceWrapper(Leaf(gzip_text), [GzipEncoderFactory()])
    )
    site = server.Site(root)
    site.displayTracebacks = False
    http = reactor.listenTCP(0, site, interface="127.0.0.1")
    raw = reactor.listenTCP(
        0, protocol.Factory.forProtocol(NotHTTP), interface="127.0.0.1"
    )
    print("PORT %d %d" % (http.getHost().port, raw.getHost().port))
    sys.stdout.flush()
    reactor.callLater(300, reactor.stop)
    reactor.run()


if __name__ == "__main__":
    main()
