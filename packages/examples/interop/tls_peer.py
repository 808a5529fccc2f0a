"""Twisted's TLS (listenSSL, connectSSL with optionsForClientTLS) as a peer
of Twixt's, with the test-only certificates of ../testdata.

Usage:
  tls_peer.py server
      An echo server on twisted's listenSSL (127.0.0.1, a free port), with
      the certificate for localhost signed by the test CA. Prints "PORT <n>".
  tls_peer.py client PORT NBYTES
      Connects with connectSSL to 127.0.0.1:PORT, verifying the server as
      "localhost" against the test CA, sends NBYTES of a pattern, reads
      them back and prints "PORT 0", then "ECHO <sha256 of what came back>
      <sha256 of what was sent>", or "FAILED <exception type> <message>".
"""
import hashlib
import os
import sys

from twisted.internet import protocol, reactor, ssl

TESTDATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata")


def read(name):
    with open(os.path.join(TESTDATA, name), "rb") as f:
        return f.read()


def pattern(n):
    block = bytes((i * 131 + (i >> 7)) & 255 for i in range(65521))
    return (block * (n // len(block) + 1))[:n]


class Echo(protocol.Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


class Sender(protocol.Protocol):
    def __init__(self, data):
        self.data = data
        self.got = []
        self.n = 0
        self.done = False

    def connectionMade(self):
        self.transport.write(self.data)

    def dataReceived(self, data):
        self.got.append(data)
        self.n += len(data)
        if self.n >= len(self.data) and not self.done:
            self.done = True
            got = hashlib.sha256(b"".join(self.got)).hexdigest()
            sent = hashlib.sha256(self.data).hexdigest()
            print("ECHO", got, sent, flush=True)
            self.transport.loseConnection()

    def connectionLost(self, reason):
        if not self.done:
            self.done = True
            print("FAILED", type(reason.value).__name__, reason.getErrorMessage(), flush=True)
        reactor.stop()


def main():
    if sys.argv[1] == "server":
        cert = ssl.PrivateCertificate.loadPEM(read("server.pem") + read("server.key"))
        factory = protocol.Factory.forProtocol(Echo)
        port = reactor.listenSSL(0, factory, cert.options(), interface="127.0.0.1")
        print("PORT", port.getHost().port, flush=True)
    else:
        port, n = int(sys.argv[2]), int(sys.argv[3])
        print("PORT 0", flush=True)
        ca = ssl.Certificate.loadPEM(read("ca.pem"))
        options = ssl.optionsForClientTLS("localhost", trustRoot=ca)
        factory = protocol.ClientFactory.forProtocol(lambda: Sender(pattern(n)))

        def failed(connector, reason):
            print("FAILED", type(reason.value).__name__, reason.getErrorMessage(), flush=True)
            reactor.stop()

        factory.clientConnectionFailed = failed
        reactor.connectSSL("127.0.0.1", port, factory, options)
    # Bounded: whatever happens, give up after a minute.
    reactor.callLater(60, reactor.stop)
    reactor.run()


if __name__ == "__main__":
    main()
