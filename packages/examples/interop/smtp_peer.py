"""Twisted's SMTP, server and client, as a peer of the email example.

Usage:
  smtp_peer.py server
      An ESMTP server (twisted.mail.smtp.ESMTP) on 127.0.0.1, a free port,
      accepting any sender and recipient. Prints "PORT <n>", then for each
      message delivered "MESSAGE <hex>": its lines as the server handed
      them to the message (dot-unstuffed), joined by CRLF.
  smtp_peer.py sendmail PORT FROM TO HEX
      twisted.mail.smtp.sendmail of the message HEX (bytes) to the server on
      127.0.0.1:PORT. Prints "PORT 0", then "SENT" or
      "FAILED <exception type> <code> <JSON of the server's reply>".
"""
import json
import sys

from twisted.internet import defer, reactor
from twisted.mail import smtp
from zope.interface import implementer


@implementer(smtp.IMessage)
class Message:
    def __init__(self):
        self.lines = []

    def lineReceived(self, line):
        self.lines.append(line)

    def eomReceived(self):
        print("MESSAGE", b"\r\n".join(self.lines).hex(), flush=True)
        return defer.succeed(None)

    def connectionLost(self):
        self.lines = []


@implementer(smtp.IMessageDelivery)
class Delivery:
    def receivedHeader(self, helo, origin, recipients):
        return None  # no Received: line, so the message is compared as sent

    def validateFrom(self, helo, origin):
        return origin

    def validateTo(self, user):
        return Message


class Factory(smtp.SMTPFactory):
    protocol = smtp.ESMTP

    def buildProtocol(self, addr):
        p = smtp.SMTPFactory.buildProtocol(self, addr)
        p.delivery = Delivery()
        return p


def report(d):
    """Prints "SENT" or "FAILED ..." when the sending Deferred d fires,
    then stops the reactor (smtp_tls_peer.py uses it too)."""

    def sent(result):
        print("SENT", flush=True)

    def failed(f):
        e = f.value
        code = getattr(e, "code", None)
        resp = getattr(e, "resp", b"") or b""
        if isinstance(resp, bytes):
            resp = resp.decode("utf-8", "replace")
        print("FAILED", type(e).__name__, code, json.dumps(resp), flush=True)

    d.addCallbacks(sent, failed)
    d.addBoth(lambda _: reactor.stop())


def sendmail(port, sender, recipient, message):
    print("PORT 0", flush=True)
    d = smtp.sendmail(
        "127.0.0.1", sender, [recipient], message, port=port,
        requireTransportSecurity=False,
    )
    report(d)


def main(make_factory=Factory, send=sendmail):
    """Runs the server or the sender named by the command line
    (smtp_tls_peer.py passes its own)."""
    if sys.argv[1] == "server":
        port = reactor.listenTCP(0, make_factory(), interface="127.0.0.1")
        print("PORT", port.getHost().port, flush=True)
    else:
        port, sender, recipient, message = sys.argv[2:6]
        send(int(port), sender, recipient, bytes.fromhex(message))
    # Bounded: whatever happens, give up after a minute.
    reactor.callLater(60, reactor.stop)
    reactor.run()


if __name__ == "__main__":
    main()
