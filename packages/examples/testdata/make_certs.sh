#!/usr/bin/env bash
# Makes the TEST-ONLY certificates in this folder with openssl (3.x). Run
# once; the output is committed. The private keys are public: never trust
# ca.pem outside tests.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
san="subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"

# The test CA, valid for about 27 years.
key ca.key
openssl req -x509 -new -key ca.key -days 10000 -subj "/O=Twixt/CN=Twixt Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem

# `openssl ca` signs with explicit start and end dates (the expired one).
touch "$work/index.txt"
cat >"$work/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
database = $work/index.txt
new_certs_dir = $work
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = any
rand_serial = yes
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
organizationName = optional
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
$san
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
CNF
sign() { # name subject extensions startdate enddate
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$work/$1.csr"
  openssl ca -batch -notext -config "$work/ca.cnf" -extensions "$3" \
    -startdate "$4" -enddate "$5" -in "$work/$1.csr" -out "$1.pem" 2>/dev/null
}
# localhost and 127.0.0.1, signed by the CA, valid 2025 to 2050.
sign server "/O=Twixt/CN=localhost" server 20250101000000Z 20500101000000Z
# The same names, signed by the CA, but expired in 2001.
sign expired "/O=Twixt/CN=localhost" server 20000101000000Z 20010101000000Z
# A client certificate, for servers that ask for one.
sign client "/O=Twixt/CN=Twixt test client" client 20250101000000Z 20500101000000Z
# localhost and 127.0.0.1, self-signed: trusted by nobody.
key untrusted.key
openssl req -x509 -new -key untrusted.key -days 9000 -subj "/O=Elsewhere/CN=localhost" \
  -addext "$san" -out untrusted.pem
