"""Twisted's ESMTP with STARTTLS and AUTH PLAIN, as a peer of the email
example, with the test-only certificates of ../testdata.

Usage:
  smtp_tls_peer.py server
      twisted.mail.smtp.ESMTP on 127.0.0.1 (a free port) offering STARTTLS
      with the certificate for localhost, and AUTH PLAIN for alice with
      the password s3cret-pass. Prints "PORT <n>", then per message
      delivered "MESSAGE <hex>" (as smtp_peer.py does) and "SECURE <bool>"
      (whether the session was encrypted when the message came).
  smtp_tls_peer.py sendmail PORT FROM TO HEX
      twisted.mail.smtp.ESMTPSenderFactory (requireTransportSecurity and
      requireAuthentication, as alice) sends HEX to 127.0.0.1:PORT,
      verifying the server as "localhost" against the test CA. Prints
      "PORT 0", then "SENT" or "FAILED <exception type> <code> <JSON of the
      server's reply>".
"""
import os
import sys
from io import BytesIO

from twisted.cred import checkers, portal
from twisted.internet import defer, reactor, ssl
from twisted.mail import imap4, smtp
from zope.interface import implementer

sys.dont_write_bytecode = True  # importing smtp_peer leaves no __pycache__
import smtp_peer  # noqa: E402
from smtp_peer import Delivery, report  # noqa: E402

TESTDATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata")
USER, PASSWORD = b"alice", b"s3cret-pass"


def read(name):
    with open(os.path.join(TESTDATA, name), "rb") as f:
        return f.read()


@implementer(portal.IRealm)
class Realm:
    def requestAvatar(self, avatarId, mind, *interfaces):
        return smtp.IMessageDelivery, Delivery(), lambda: None


class Server(smtp.ESMTP):
    def validateTo(self, user):
        # Report the session's state with each message, then deliver as
        # smtp_peer.py does.
        print("SECURE", self.startedTLS and self.authenticated, flush=True)
        return smtp.ESMTP.validateTo(self, user)


class Factory(smtp.SMTPFactory):
    def buildProtocol(self, addr):
        cert = ssl.PrivateCertificate.loadPEM(read("server.pem") + read("server.key"))
        p = Server({b"PLAIN": imap4.PLAINCredentials}, cert.options())
        p.factory = self
        p.portal = self.portal
        return p


def sendmail(port, sender, recipient, message):
    print("PORT 0", flush=True)
    d = defer.Deferred()
    ca = ssl.Certificate.loadPEM(read("ca.pem"))
    factory = smtp.ESMTPSenderFactory(
        USER, PASSWORD, sender, [recipient], BytesIO(message), d,
        retries=0,
        contextFactory=ssl.optionsForClientTLS("localhost", trustRoot=ca),
        requireAuthentication=True, requireTransportSecurity=True,
    )
    report(d)
    reactor.connectTCP("127.0.0.1", port, factory)


def serverFactory():
    checker = checkers.InMemoryUsernamePasswordDatabaseDontUse()
    checker.addUser(USER, PASSWORD)
    return Factory(portal.Portal(Realm(), [checker]))


if __name__ == "__main__":
    smtp_peer.main(serverFactory, sendmail)
