#!/bin/bash
# Makes the eMAPI unwrap/seal layer's vectors (issue 18): Kerberos-sealed DCE/RPC sessions
# between Samba's rpcclient and the lab's Samba AD DC (bhlab up --ad), captured on the DC's
# link, with the DC's keytab (DC1$: every key of the account rpcclient's host/dc1 ticket is for).
# Independent implementations on both ends: Samba's gensec (Heimdal GSS-API) seals, Samba's DC
# unseals; tshark, given the keytab, must decrypt the SAMR calls (the oracle of §3.2 of
# ../shared/references/emapi-lab.md). Run as root from the source tree after building
# bh-wanem; uses the machine's one lab DC, so run it under the helpers' lock:
#   flock /run/lock/bh-helper-dc.lock tests/vectors/emapi/make_captures.sh
# Writes, next to this script: CASE.pcap for each case below, dc1.keytab. Then run
# extract_vectors.py (offline) to cut the PDUs the unit tests read.
#
# Cases (auth_type 16 = [krb5,seal], 9 = [spnego,seal]; the SAMR calls querydominfo and
# enumdomusers, at packet privacy):
#   aes_krb5, aes_spnego  - the realm's defaults: aes256-cts-hmac-sha1-96 tickets and subkeys
#   rc4_krb5, rc4_spnego  - the client limited to arcfour-hmac (RFC 4757) in its krb5.conf and
#                           smb.conf; which enctypes the tokens really use is in README.md
#   aes_krb5_sign, rc4_spnego_sign - [krb5,sign] / [spnego,sign]: packet integrity (MIC tokens)
# Arguments name the cases to make (default: all); the keytab is exported each time (the lab
# DC comes from a template, so DC1$'s keys are the same every time).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../../.." && pwd)
BH_BIN=${BH_BIN:-$SRC/build/bin}
export BH_BIN
. "$SRC/tests/lab/lib.sh"

lab_up emapi --ad --no-bridgehead
A=/run/bhlab/$LAB/ad
DC_NS=bh-$LAB-dc
D=$(mktemp -d /tmp/emapi-vectors.XXXXXX)
chmod 700 "$D"
cap=""
trap 'rc=$?; [ -n "$cap" ] && kill "$cap" 2>/dev/null; rm -rf "$D"; (exit $rc); cleanup_labs' EXIT

# The service key: DC1$'s keys (aes256, aes128, arcfour) as the DC holds them.
ip netns exec "$DC_NS" samba-tool domain exportkeytab "$D/dc1.keytab" --principal='DC1$' \
  -s /run/bhlab-dc/etc/smb.conf >/dev/null 2>&1 || fail "samba-tool exportkeytab DC1\$"

# The client: alice's TGT (MIT kinit, password from the lab's file on stdin), then rpcclient
# from the core's namespace (one hop from the DC, no WAN delay).
printf '[global]\n\tworkgroup = BHLAB\n\trealm = BHLAB.TEST\n\tclient use kerberos = required\n' \
  >"$D/client.conf"
printf '[global]\n\tworkgroup = BHLAB\n\trealm = BHLAB.TEST\n\tclient use kerberos = required\n\tkerberos encryption types = legacy\n' \
  >"$D/client-rc4.conf"
# RC4 only, in both MIT's and Heimdal's words (rpcclient's GSS-API is Samba's Heimdal).
sed 's/^\[libdefaults\]$/[libdefaults]\n\tdefault_tkt_enctypes = arcfour-hmac\n\tdefault_tgs_enctypes = arcfour-hmac\n\tpermitted_enctypes = arcfour-hmac\n\tdefault_etypes = arcfour-hmac-md5\n\tallow_weak_crypto = true/' \
  "$A/krb5.conf" >"$D/krb5-rc4.conf"

session() { # session CASE AUTH LEVEL CONF [KRB5_CONFIG]
  local case=$1 auth=$2 level=$3 conf=$4 kconf=${5:-/etc/krb5.conf} cc="FILE:$D/$1.ccache"
  in_lab "$LAB" core env KRB5_CONFIG="$kconf" KRB5CCNAME="$cc" kinit alice@BHLAB.TEST \
    <"$A/alice.password" >"$D/$case.kinit" 2>&1 || fail "kinit alice ($case): $(cat "$D/$case.kinit")"
  ip netns exec "$DC_NS" dumpcap -q -P -i lan0 -f 'tcp and not port 88 and not port 53' \
    -w "$D/$case.pcap" >/dev/null 2>&1 &
  cap=$!
  wait_for 10 "dumpcap to start in the DC's namespace" eval '[ -s "$D/$case.pcap" ]'
  in_lab "$LAB" core env KRB5_CONFIG="$kconf" KRB5CCNAME="$cc" rpcclient -s "$D/$conf" \
    --use-krb5-ccache="$cc" "ncacn_ip_tcp:dc1.bhlab.test[$auth,$level]" \
    -c 'querydominfo; enumdomusers' >"$D/$case.out" 2>&1 ||
    fail "rpcclient $case: $(cat "$D/$case.out")"
  grep -q 'alice' "$D/$case.out" || fail "rpcclient $case did not list alice: $(cat "$D/$case.out")"
  wait_for 10 "the capture to hold every connection's close" capture_closed "$D/$case.pcap" 135
  # The SAMR connection's port is the one EPM gave: every connection not to 135.
  local port
  port=$(tshark -r "$D/$case.pcap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport != 135' \
    -T fields -e tcp.dstport 2>/dev/null | head -1)
  [ -n "$port" ] || fail "$case: no SAMR connection in the capture"
  wait_for 10 "the SAMR connection's close" capture_closed "$D/$case.pcap" "$port"
  kill "$cap"; wait "$cap" 2>/dev/null; cap=""
  in_lab "$LAB" core env KRB5_CONFIG="$kconf" KRB5CCNAME="$cc" klist -e >"$D/$case.klist" 2>&1
  cp "$D/$case.pcap" "$HERE/$case.pcap"
  pass "$case: rpcclient [$auth,$level] querydominfo + enumdomusers; $(grep -A1 'host/dc1' "$D/$case.klist" | tr -s ' \t\n' ' ')"
}

CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=(aes_krb5 aes_spnego rc4_krb5 rc4_spnego aes_krb5_sign rc4_spnego_sign)
for c in "${CASES[@]}"; do
  case $c in
    aes_krb5) session aes_krb5 krb5 seal client.conf ;;
    aes_spnego) session aes_spnego spnego seal client.conf ;;
    rc4_krb5) session rc4_krb5 krb5 seal client-rc4.conf "$D/krb5-rc4.conf" ;;
    rc4_spnego) session rc4_spnego spnego seal client-rc4.conf "$D/krb5-rc4.conf" ;;
    aes_krb5_sign) session aes_krb5_sign krb5 sign client.conf ;;
    rc4_spnego_sign) session rc4_spnego_sign spnego sign client-rc4.conf "$D/krb5-rc4.conf" ;;
    *) fail "unknown case $c" ;;
  esac
done

cp "$D/dc1.keytab" "$HERE/dc1.keytab"
chmod 644 "$HERE"/*.pcap "$HERE/dc1.keytab"
klist -k -e -t "$HERE/dc1.keytab" | sed 's/^/  /'

# The oracle: tshark with the keytab decrypts SAMR (the domain name BHLAB in LookupDomain, the
# user names of EnumDomainUsers); without it, it reads neither.
O=(-o kerberos.decrypt:TRUE -o "kerberos.file:$HERE/dc1.keytab")
# (At packet integrity the stubs are plain text: tshark reads them with or without the key.)
for c in "${CASES[@]}"; do
  tshark -r "$HERE/$c.pcap" "${O[@]}" -Y samr 2>/dev/null >"$D/$c.samr"
  grep -q 'LookupDomain request, BHLAB' "$D/$c.samr" || fail "$c: tshark did not read LookupDomain: $(cat "$D/$c.samr")"
  bad=$(tshark -r "$HERE/$c.pcap" "${O[@]}" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | wc -l)
  [ "$bad" -eq 0 ] || fail "$c: tshark: $bad malformed or erroneous packets"
  case $c in
    *_sign) ;;
    *) tshark -r "$HERE/$c.pcap" -Y samr 2>/dev/null | grep -q 'BHLAB' && fail "$c: tshark read BHLAB without the key" ;;
  esac
  toks=$(tshark -r "$HERE/$c.pcap" "${O[@]}" -Y 'samr' -T fields -e spnego.krb5.tok_id 2>/dev/null | sort -u | tr '\n' ' ')
  pass "$c: tshark reads $(wc -l <"$D/$c.samr") SAMR PDUs with the keytab (token ids: $toks)"
done
