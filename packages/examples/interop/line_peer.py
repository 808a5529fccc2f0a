"""Twisted's LineReceiver as a peer of Twixt's, for line_receiver_test.ts.

Usage: line_peer.py ROLE ACTION CONFIG
  ROLE     server (listen on 127.0.0.1, a free port) or client:PORT
  ACTION   recv: receive with a LineReceiver and print one line per event
           send: write CONFIG's segments, one at a time, then close
           bulk-send / bulk-recv: the 50 MB transfer (CONFIG: byte count)
  CONFIG   JSON: {"delimiter": str, "max": int, "segments": [hex, ...]}

Prints "PORT <n>" (0 for a client) once ready, then the events; serves
one connection and exits once it is lost. Events are printed exactly as
line_receiver_test.ts's Twixt receiver records them:
  line <json>      lineReceived (the line decoded as UTF-8, JSON-quoted)
  raw <json>       the bytes read in raw mode, once all of them arrived
  delimiter <json> after a "DELIM x" line switched the delimiter
  exceeded         lineLengthExceeded (then the default: drop the connection)
  lost             connectionLost
A line "RAW n" switches to raw mode for n bytes, then back to line mode
with what followed them (setLineMode(rest)); "DELIM lf", "DELIM crlf" and
"DELIM bar" switch the delimiter to "\\n", "\\r\\n" or "||".
"""
import hashlib
import json
import sys

from twisted.internet import protocol, reactor
from twisted.protocols.basic import LineReceiver

DELIMITERS = {"lf": b"\n", "crlf": b"\r\n", "bar": b"||"}


def event(*parts):
    print(" ".join(parts), flush=True)


def quoted(b):
    return json.dumps(b.decode("utf-8", "replace"), ensure_ascii=False)


class Receiver(LineReceiver):
    raw_left = 0
    raw = b""

    def connectionMade(self):
        self.transport.setTcpNoDelay(True)

    def lineReceived(self, line):
        event("line", quoted(line))
        if line.startswith(b"RAW "):
            self.raw_left = int(line[4:])
            self.raw = b""
            self.setRawMode()
        elif line.startswith(b"DELIM "):
            self.delimiter = DELIMITERS[line[6:].decode()]
            event("delimiter", quoted(self.delimiter))

    def rawDataReceived(self, data):
        take = data[: self.raw_left]
        self.raw += take
        self.raw_left -= len(take)
        if self.raw_left == 0:
            event("raw", quoted(self.raw))
            self.setLineMode(data[len(take):])

    def lineLengthExceeded(self, line):
        event("exceeded")
        return LineReceiver.lineLengthExceeded(self, line)

    def connectionLost(self, reason):
        event("lost")
        reactor.stop()


class Sender(protocol.Protocol):
    """Writes each segment 10 ms after the last, so they arrive apart."""

    def connectionMade(self):
        self.transport.setTcpNoDelay(True)
        self.left = [bytes.fromhex(s) for s in CONFIG["segments"]]
        self.next()

    def next(self):
        if not self.left:
            self.transport.loseConnection()
            return
        self.transport.write(self.left.pop(0))
        reactor.callLater(0.01, self.next)

    def connectionLost(self, reason):
        reactor.stop()


def chunk(i):
    """The i-th 64 KiB block of the bulk transfer: any bytes, reproducible."""
    seed = hashlib.sha256(b"%d" % i).digest()
    return seed * 2048


class BulkSender(protocol.Protocol):
    """A push producer of CONFIG bytes, paused when the buffer is full."""

    sent = 0
    paused = False
    pauses = 0

    def connectionMade(self):
        self.total = CONFIG
        self.hash = hashlib.sha256()
        self.transport.registerProducer(self, True)
        self.transport.write(b"SIZE %d\r\n" % self.total)
        self.produce()

    def produce(self):
        """Up to 1 MiB per turn of the reactor, until the transport pauses it."""
        for _ in range(16):
            if self.paused or self.sent >= self.total:
                break
            data = chunk(self.sent // 65536)[: self.total - self.sent]
            self.sent += len(data)
            self.hash.update(data)
            self.transport.write(data)
            if self.sent >= self.total:
                event("sent", str(self.sent), self.hash.hexdigest(), "pauses",
                      str(self.pauses))
                self.transport.unregisterProducer()
                self.transport.loseConnection()
        if not self.paused and self.sent < self.total:
            reactor.callLater(0, self.produce)

    def pauseProducing(self):
        if not self.paused:
            self.pauses += 1
        self.paused = True

    def resumeProducing(self):
        self.paused = False
        self.produce()

    def stopProducing(self):
        self.paused = True

    def connectionLost(self, reason):
        reactor.stop()


class BulkReceiver(LineReceiver):
    """Hashes what follows "SIZE n", pausing reading now and then."""

    got = 0
    next_pause = 8 * 1024 * 1024

    def lineReceived(self, line):
        self.total = int(line.split()[1])
        self.hash = hashlib.sha256()
        self.setRawMode()

    def rawDataReceived(self, data):
        self.got += len(data)
        self.hash.update(data)
        if self.got >= self.next_pause:
            # A slow reader: the sender must hold back, not buffer it all.
            self.next_pause += 8 * 1024 * 1024
            self.transport.pauseProducing()
            reactor.callLater(0.1, self.transport.resumeProducing)

    def connectionLost(self, reason):
        event("received", str(self.got), self.hash.hexdigest())
        reactor.stop()


def main():
    global CONFIG
    role, action, config = sys.argv[1:4]
    CONFIG = json.loads(config)
    cls = {"recv": Receiver, "send": Sender, "bulk-send": BulkSender,
           "bulk-recv": BulkReceiver}[action]
    factory = protocol.Factory.forProtocol(cls)
    if cls is Receiver:
        Receiver.delimiter = CONFIG["delimiter"].encode()
        Receiver.MAX_LENGTH = CONFIG["max"]
    if role == "server":
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")
        event("PORT", str(port.getHost().port))
    else:
        event("PORT", "0")
        cf = protocol.ClientFactory.forProtocol(cls)
        cf.clientConnectionFailed = lambda c, r: (event("failed"), reactor.stop())
        reactor.connectTCP("127.0.0.1", int(role.split(":")[1]), cf)
    # Bounded: whatever happens, give up after a minute.
    reactor.callLater(60, lambda: (event("gave up"), reactor.stop()))
    reactor.run()


if __name__ == "__main__":
    main()
