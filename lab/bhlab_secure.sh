# bhlab --secure (sourced by bhlab): the lab's PKI for WAN secure (issue 16) and Debian's
# `openssl ocsp` responder on the data-centre side.
#
#   /run/bhlab/N/pki/            (0700)
#     ca.pem ca.key              the lab CA (P-256; key 0600); also the CA bundle of both ends
#     edge.pem edge.key          edge's certificate and key (0600), serial 1001
#     core.pem core.key          core's certificate and key (0600), serial 1002
#     ocsp.pem ocsp.key          the responder's signing certificate (id-kp-OCSPSigning, issued by
#                                the CA: a delegated responder, RFC 6960 4.2.2.2) and key (0600)
#     index.txt                  the responder's CA database (`openssl ca` format: V or R lines)
#     revoked                    the nodes revoked now (bhlab revoke/unrevoke), one a line
#     openssl.cnf                the config the CA and requests were made with
#   /run/bhlab/N/ocsp.pid, ocsp.log   the responder (in the server namespace)
#
# Edge and core certificates carry serverAuth+clientAuth and an AIA naming the responder,
# http://10.91.4.2:8888/ (the server node: reachable from the edge over the WAN and from the core
# over the data-centre LAN). Answers say nextUpdate = now + 1 minute (-nmin 1), so an answer a
# box caches is at most a minute old: after `bhlab unrevoke`, flows are secured again within a
# minute without restarting anything.
#
# The responder reads a changed index one request late (it looks at the file before it waits for
# the next connection), so revoke/unrevoke rewrite index.txt and restart the responder: the
# next request is answered from the new index. Never connect to the responder without sending a
# request: `openssl ocsp -ignore_err` (OpenSSL 3.0.x) then spins at 100% CPU. bhlab waits for it
# with `ss`, not by connecting.

SECURE_OCSP_PORT=8888
SECURE_NMIN=1

secure_ocsp_url() { echo "http://$(node_addr4 server):$SECURE_OCSP_PORT/"; }

secure_serial() { # secure_serial NODE: the fixed serial (hex) of a lab certificate
  case "$1" in edge) echo 1001 ;; core) echo 1002 ;; ocsp) echo 1003 ;; *) return 1 ;; esac
}

# secure_issue PKI NAME SERIAL EXTENSIONS: a P-256 key (0600) and a certificate issued by the
# lab CA for 30 days with the given extensions (openssl x509 -extfile syntax).
secure_issue() {
  local p=$1 n=$2 serial=$3 ext=$4
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$p/$n.key") || return 1
  printf '%s\n' "$ext" >"$p/$n.ext"
  openssl req -config "$p/openssl.cnf" -new -key "$p/$n.key" -subj "/O=bhlab/CN=$n" -out "$p/$n.csr" &&
    openssl x509 -req -in "$p/$n.csr" -CA "$p/ca.pem" -CAkey "$p/ca.key" -set_serial "0x$serial" \
      -days 30 -sha256 -extfile "$p/$n.ext" -out "$p/$n.pem" 2>/dev/null || return 1
  rm -f "$p/$n.csr" "$p/$n.ext"
}

# secure_index_line PKI NODE STATUS: the CA-database line of NODE's certificate, V or R.
secure_index_line() {
  local p=$1 node=$2 status=$3 end expiry revoked=""
  end=$(openssl x509 -in "$p/$node.pem" -noout -enddate | sed 's/^notAfter=//')
  expiry=$(date -u -d "$end" +%y%m%d%H%M%SZ) || return 1
  [ "$status" = R ] && revoked=$(date -u +%y%m%d%H%M%SZ)
  printf '%s\t%s\t%s\t%s\tunknown\t/O=bhlab/CN=%s\n' "$status" "$expiry" "$revoked" \
    "$(secure_serial "$node")" "$node"
}

# secure_write_index NAME: index.txt from pki/revoked (the nodes revoked now), through a new file.
secure_write_index() {
  local p="$STATE_ROOT/$1/pki" node status
  : >"$p/index.txt.new"
  for node in edge core; do
    status=V
    grep -qx "$node" "$p/revoked" 2>/dev/null && status=R
    secure_index_line "$p" "$node" "$status" >>"$p/index.txt.new" || return 1
  done
  mv "$p/index.txt.new" "$p/index.txt"
}

secure_responder_listening() {
  [ -n "$(in_ns "$(ns "$1" server)" ss -Hltn "sport = :$SECURE_OCSP_PORT")" ]
}

# secure_start_responder NAME: openssl ocsp in the server namespace; returns when it listens.
secure_start_responder() {
  local name=$1 d="$STATE_ROOT/$1" p="$STATE_ROOT/$1/pki"
  # A simple command (not the in_ns function, which would run in a subshell of its own), and
  # ip netns exec execs openssl: $! is the responder's own pid.
  ip netns exec "$(ns "$name" server)" openssl ocsp -index "$p/index.txt" \
    -port "$SECURE_OCSP_PORT" -rsigner "$p/ocsp.pem" -rkey "$p/ocsp.key" -CA "$p/ca.pem" \
    -nmin "$SECURE_NMIN" -ignore_err >>"$d/ocsp.log" 2>&1 </dev/null &
  echo $! >"$d/ocsp.pid"
  local i=0
  until secure_responder_listening "$name"; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$(cat "$d/ocsp.pid")" 2>/dev/null; then
      echo "bhlab: the OCSP responder did not start:" >&2; tail -5 "$d/ocsp.log" >&2
      return 1
    fi
    sleep 0.05
  done
}

secure_stop_responder() {
  local d="$STATE_ROOT/$1" pid
  [ -f "$d/ocsp.pid" ] || return 0
  pid=$(cat "$d/ocsp.pid")
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null
  # The port is free once its listener is gone (no SO_REUSEADDR worries: nothing connected).
  for _ in $(seq 100); do secure_responder_listening "$1" || break; sleep 0.05; done
  rm -f "$d/ocsp.pid"
}

# secure_up NAME: the PKI and the responder (called by lab_build under set -e; a failure makes
# bhlab up remove everything, this included).
secure_up() {
  local name=$1 p="$STATE_ROOT/$1/pki" url
  url=$(secure_ocsp_url)
  (umask 077 && mkdir -p "$p") || return 1
  # Our own openssl config: the machine's openssl.cnf would add its v3_ca extensions.
  printf '%s\n' '[req]' 'distinguished_name = dn' 'x509_extensions = ca' '[dn]' '[ca]' \
    'basicConstraints = critical,CA:TRUE' 'keyUsage = critical,keyCertSign,cRLSign' \
    'subjectKeyIdentifier = hash' >"$p/openssl.cnf"
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$p/ca.key") || return 1
  openssl req -config "$p/openssl.cnf" -new -x509 -key "$p/ca.key" \
    -subj "/O=bhlab/CN=bhlab $name lab CA" -days 365 -sha256 -out "$p/ca.pem" || return 1
  local node
  for node in edge core; do
    secure_issue "$p" "$node" "$(secure_serial "$node")" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
authorityInfoAccess=OCSP;URI:$url" || return 1
  done
  secure_issue "$p" ocsp "$(secure_serial ocsp)" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=OCSPSigning
noCheck=ignored
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid" || return 1
  : >"$p/revoked"
  secure_write_index "$name" || return 1
  secure_start_responder "$name"
}

secure_paths() { # printed by bhlab up --secure
  local p="$STATE_ROOT/$1/pki"
  echo "pki: $p (ca.pem; edge.pem edge.key; core.pem core.key; index.txt)"
  echo "ocsp responder: $(secure_ocsp_url) on server (openssl ocsp -nmin $SECURE_NMIN, log $STATE_ROOT/$1/ocsp.log)"
}

# cmd_revoke NAME NODE R|V: mark NODE's certificate revoked (R) or good (V), then restart the
# responder so that its next answer says so.
cmd_revoke() {
  local name=$1 node=$2 status=$3 p="$STATE_ROOT/$1/pki"
  valid_name "$name"
  [ -f "$p/index.txt" ] || die "lab '$name' has no PKI (bhlab up --secure)"
  case "$node" in edge | core) ;; *) die "no certificate for '$node' (edge or core)" ;; esac
  grep -vx "$node" "$p/revoked" >"$p/revoked.new" || true
  [ "$status" = R ] && echo "$node" >>"$p/revoked.new"
  mv "$p/revoked.new" "$p/revoked"
  secure_write_index "$name" || die "cannot write $p/index.txt"
  secure_stop_responder "$name"
  secure_start_responder "$name" || die "the OCSP responder did not restart"
  if [ "$status" = R ]; then
    echo "lab $name: $node's certificate revoked (answers cached by a box hold until their nextUpdate, at most ${SECURE_NMIN} min)"
  else
    echo "lab $name: $node's certificate good again (cached 'revoked' answers expire within ${SECURE_NMIN} min)"
  fi
}

secure_status() { # a line for bhlab status, if the lab has the responder
  local d="$STATE_ROOT/$1"
  [ -f "$d/pki/index.txt" ] || return 0
  if [ -f "$d/ocsp.pid" ] && kill -0 "$(cat "$d/ocsp.pid")" 2>/dev/null; then
    echo "  OCSP responder: running, $(secure_ocsp_url) (revoked: $(tr '\n' ' ' <"$d/pki/revoked"))"
  else
    echo "  OCSP responder: DEAD (see $d/ocsp.log)"
  fi
}
