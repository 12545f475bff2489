# bhlab --ad (sourced by bhlab): a Samba Active Directory domain controller (Debian's
# samba-ad-dc, its own KDC and internal DNS) on the data-centre side of the lab (issue 17).
#
#   client --lan-- edge --wan-- wan --wan-- core --lan-- server      10.91.4.2  exch1.bhlab.test
#                                             \--dc0-- dc            10.91.5.1  dc1.bhlab.test
#
# The DC is namespace bh-N-dc on its own data-centre segment off the core (10.91.5.0/24,
# fd91:5::/64): the lab's data-centre LAN is a point-to-point link between core and server, and
# a bridge there would change the interfaces every other test captures on. Traffic from the
# branch to the DC (Kerberos, LDAP, DRSUAPI) crosses edge, WAN and core as it would in a real
# network. Realm BHLAB.TEST, NetBIOS domain BHLAB, DNS domain bhlab.test served by Samba; every
# lab namespace resolves through it and has the realm's krb5.conf (/etc/netns/bh-N-NODE/, which
# `ip netns exec` mounts over /etc).
#
# In the directory: the Exchange server's machine account EXCH1$ (dNSHostName exch1.bhlab.test,
# SPNs exchangeMDB/ and exchangeAB/exch1.bhlab.test, an A record 10.91.4.2), the Outlook user
# alice, the replication identity bhrepl in group "Bridgehead Key Replication", which is granted
# "Replicating Directory Changes" and "Replicating Directory Changes All" on the domain, and
# bhnorepl without them; the core's own machine account BHCORE$ (as if the box had joined the
# domain), also in that group, for the `machine` identity.
#
#   /run/bhlab/N/ad/             (0700)
#     realm                      BHLAB.TEST
#     krb5.conf                  what the lab's namespaces use
#     exch1.keytab               EXCH1$'s keys (all enctypes, kvno 2), 0600
#     bhcore.keytab              BHCORE$'s keys: what a join writes to /etc/krb5.keytab, 0600
#     administrator.password alice.password bhrepl.password bhnorepl.password   0600
#     samba.log                  the DC's log
#   /run/bhlab/N/samba.pid       the DC (in bh-N-dc)
#
# One DC per machine: Samba keeps its winbind socket in /run/samba/winbindd whatever smb.conf
# says (moving it breaks every SMB session setup), so the running DC's database is at a fixed
# place, /run/bhlab-dc (its lab named in /run/bhlab-dc.lab), and a second `up --ad` is refused.
# Tests that use it take the ctest RESOURCE_LOCK lab_dc. Provisioning takes 10-40 s, so the first
# `up --ad` provisions a template (/var/cache/bridgehead-lab/ad-template-vVERSION, root-only,
# random passwords made then) and every `up --ad` copies it: the DC answers within seconds.

AD_TEMPLATE_VERSION=3
AD_TEMPLATE=${BHLAB_AD_TEMPLATE:-/var/cache/bridgehead-lab/ad-template-v$AD_TEMPLATE_VERSION}
AD_RUN=/run/bhlab-dc
AD_OWNER=/run/bhlab-dc.lab  # the lab whose DC it is
AD_REALM=BHLAB.TEST
AD_DOMAIN=BHLAB
AD_DNS=bhlab.test
AD_DC_ADDR=10.91.5.1
AD_EXCH=EXCH1  # the account (EXCH1$); the host is exch1.bhlab.test
AD_CORE=BHCORE  # the core's machine account (BHCORE$), a `machine` identity's
AD_USERS="alice bhrepl bhnorepl"
AD_REPL_GROUP="Bridgehead Key Replication"
AD_NODES="client edge wan core server dc"

ad_base_dn() { echo "DC=${AD_DNS//./,DC=}"; }

# ad_tool ARGS...: samba-tool on the DC's database, in the DC's namespace.
ad_tool() { in_ns "$AD_NS" samba-tool "$@" -s "$AD_RUN/etc/smb.conf"; }

ad_password() { # a random password that meets AD's complexity rules
  echo "Bh-$(openssl rand -hex 12)-x9!"
}

ad_krb5_conf() {
  cat <<EOF
[libdefaults]
	default_realm = $AD_REALM
	dns_lookup_realm = false
	dns_lookup_kdc = false
	rdns = false
[realms]
	$AD_REALM = {
		kdc = $AD_DC_ADDR
		admin_server = $AD_DC_ADDR
	}
[domain_realm]
	.$AD_DNS = $AD_REALM
	$AD_DNS = $AD_REALM
EOF
}

# ad_objects SECRETS: the lab's objects in the DC's database, with Samba's own Python bindings
# (Debian's /usr/bin/python3) so that no password is ever on a command line: the Exchange
# server's dNSHostName and machine password, the core's machine password, the users, the
# replication group (bhrepl and the core's account). Passwords never expire (the template is
# reused for months).
ad_objects() {
  in_ns "$AD_NS" /usr/bin/python3 - "$AD_RUN/etc/smb.conf" "$1" "${AD_EXCH}" \
    "${AD_EXCH,,}.$AD_DNS" "$AD_REPL_GROUP" "$AD_CORE" $AD_USERS <<'EOF'
import sys
import ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

conf, secrets, exch, fqdn, group, core = sys.argv[1:7]
users = sys.argv[7:]
lp = LoadParm()
lp.load(conf)
db = SamDB(url=lp.private_path("sam.ldb"), session_info=system_session(), lp=lp)


def password(name):
    with open("%s/%s.password" % (secrets, name)) as f:
        return f.read().strip()


db.setpassword("(sAMAccountName=Administrator)", password("administrator"))
account = db.search(base=db.domain_dn(), expression="(sAMAccountName=%s$)" % exch, attrs=[])[0]
m = ldb.Message()
m.dn = account.dn
m["dNSHostName"] = ldb.MessageElement(fqdn, ldb.FLAG_MOD_REPLACE, "dNSHostName")
db.modify(m)
db.setpassword("(sAMAccountName=%s$)" % exch, password(exch.lower()))
# `samba-tool computer create` sets no password (so no keys to export) without --prepare-oldjoin.
db.setpassword("(sAMAccountName=%s$)" % core, password(core.lower()))
for u in users:
    db.newuser(u, password(u))
for u in ["Administrator"] + users:
    db.setexpiry("(sAMAccountName=%s)" % u, 0, no_expiry_req=True)
db.newgroup(group)
db.add_remove_group_members(group, ["bhrepl", core + "$"])
EOF
}

# ad_provision: a fresh domain in $AD_RUN with its objects, made into the template. Run in the
# DC's namespace (provision wants the DC's address); samba is not running.
ad_provision() {
  local t=$AD_TEMPLATE s="$AD_TEMPLATE.new"
  rm -rf "$AD_RUN" "$s"
  (umask 077 && mkdir -p "$s/secrets") || return 1
  for u in administrator $AD_USERS "${AD_EXCH,,}" "${AD_CORE,,}"; do
    ad_password >"$s/secrets/$u.password"
  done
  echo "bhlab: provisioning the lab domain's template (once; about a minute)" >&2
  # Provision makes up an administrator password; ad_objects replaces it with ours.
  in_ns "$AD_NS" samba-tool domain provision --targetdir="$AD_RUN" --realm="$AD_REALM" \
    --domain="$AD_DOMAIN" --server-role=dc --dns-backend=SAMBA_INTERNAL --host-name=dc1 \
    --host-ip="$AD_DC_ADDR" --option="interfaces = lo lan0" --option="bind interfaces only = yes" \
    >"$s/provision.log" 2>&1 || { tail -20 "$s/provision.log" >&2; return 1; }
  # Logs and pids inside the database's directory (not the machine's /var/log/samba); the
  # winbind socket stays in /run/samba/winbindd (see the head of this file). No DNS forwarder:
  # the lab reaches nothing outside.
  sed -i -e "/^\s*log file\s*=/d" -e "/^\s*dns forwarder\s*=/d" -e "/^\[global\]/a\\
	log file = $AD_RUN/log/samba.log\\
	max log size = 10000\\
	log level = 1\\
	pid directory = $AD_RUN/run\\
	ncalrpc dir = $AD_RUN/run/ncalrpc" "$AD_RUN/etc/smb.conf"
  mkdir -p "$AD_RUN/log" "$AD_RUN/run"
  local base fqdn="${AD_EXCH,,}.$AD_DNS"
  base=$(ad_base_dn)
  ad_tool computer create "$AD_EXCH" --service-principal-name="exchangeMDB/$fqdn" \
    --service-principal-name="exchangeAB/$fqdn" >/dev/null || return 1
  # The core as a joined box: its machine account (its password set by ad_objects; only its
  # keytab is handed out).
  ad_tool computer create "$AD_CORE" >/dev/null || return 1
  ad_objects "$s/secrets" >"$s/objects.log" 2>&1 || { tail -20 "$s/objects.log" >&2; return 1; }
  # The control access rights DS-Replication-Get-Changes and -Get-Changes-All (what a DC checks
  # before IDL_DRSGetNCChanges replicates secrets, MS-DRSR 4.1.10) on the domain's naming
  # context, for the group.
  for car in get-changes get-changes-all; do
    ad_tool dsacl set --objectdn="$base" --car="$car" --action=allow \
      --trusteedn="CN=$AD_REPL_GROUP,CN=Users,$base" >/dev/null || return 1
  done
  (umask 077 && ad_tool domain exportkeytab "$s/exch1.keytab" --principal="$AD_EXCH\$") \
    >"$s/keytab.log" 2>&1 || { cat "$s/keytab.log" >&2; return 1; }
  (umask 077 && ad_tool domain exportkeytab "$s/${AD_CORE,,}.keytab" --principal="$AD_CORE\$") \
    >>"$s/keytab.log" 2>&1 || { cat "$s/keytab.log" >&2; return 1; }
  # samba-tool writes no file for an account without keys, and says it exported one.
  [ -s "$s/${AD_CORE,,}.keytab" ] || { echo "bhlab: no keys exported for $AD_CORE\$" >&2; return 1; }
  cp -a "$AD_RUN" "$s/dc"
  rm -rf "$t"
  mv "$s" "$t"
}

ad_listening() { # the KDC, LDAP, SMB and the RPC server listen, and winbind's pipe exists
  local l
  l=$(in_ns "$AD_NS" ss -Hltn)
  for p in 88 389 445 135; do
    grep -q "[:.]$p " <<<"$l" || return 1
  done
  [ -S /run/samba/winbindd/pipe ]
}

# ad_up NAME: the DC namespace and link, the DC from the template, the namespaces' resolv.conf
# and krb5.conf (called by lab_build under set -e, before the daemons start).
ad_up() {
  local name=$1 d="$STATE_ROOT/$1" a="$STATE_ROOT/$1/ad"
  AD_NS=$(ns "$name" dc)
  if [ -f "$AD_OWNER" ] && [ "$(cat "$AD_OWNER")" != "$name" ] &&
    [ -d "$STATE_ROOT/$(cat "$AD_OWNER")" ]; then
    echo "bhlab: lab $(cat "$AD_OWNER") runs this machine's lab DC (one per machine: bhlab down it first)" >&2
    return 1
  fi
  command -v samba >/dev/null || { echo "bhlab: --ad needs Debian's samba-ad-dc (scripts/deps)" >&2; return 1; }
  local K
  K=$(ns "$name" core)
  ip netns add "$AD_NS"
  ip -n "$AD_NS" link set lo up
  link l5 "$K" dc0 "$AD_NS" lan0
  addr "$K" dc0 10.91.5.254/24 fd91:5::fe/64
  addr "$AD_NS" lan0 "$AD_DC_ADDR/24" fd91:5::1/64
  ip -n "$AD_NS" route add default via 10.91.5.254
  ip -n "$AD_NS" -6 route add default via fd91:5::fe
  ip -n "$(ns "$name" wan)" route add 10.91.5.0/24 via 10.91.3.2
  ip -n "$(ns "$name" wan)" -6 route add fd91:5::/64 via fd91:3::2

  (umask 077 && mkdir -p "$a")
  echo "$AD_REALM" >"$a/realm"
  ad_krb5_conf >"$a/krb5.conf"
  local n
  for n in $AD_NODES; do
    mkdir -p "/etc/netns/$(ns "$name" "$n")"
    printf 'search %s\nnameserver %s\n' "$AD_DNS" "$AD_DC_ADDR" >"/etc/netns/$(ns "$name" "$n")/resolv.conf"
    cp "$a/krb5.conf" "/etc/netns/$(ns "$name" "$n")/krb5.conf"
  done

  echo "$name" >"$AD_OWNER"
  if [ ! -d "$AD_TEMPLATE/dc" ]; then
    ad_provision || return 1
  fi
  rm -rf "$AD_RUN"
  cp -a "$AD_TEMPLATE/dc" "$AD_RUN"
  (umask 077 && cp "$AD_TEMPLATE"/secrets/*.password "$a/" && cp "$AD_TEMPLATE/exch1.keytab" \
    "$AD_TEMPLATE/${AD_CORE,,}.keytab" "$a/")
  # the machine accounts': their keytabs are what is handed out
  rm -f "$a/${AD_EXCH,,}.password" "$a/${AD_CORE,,}.password"
  ln -sf "$AD_RUN/log/samba.log" "$a/samba.log"

  in_ns "$AD_NS" samba -s "$AD_RUN/etc/smb.conf" --foreground --no-process-group \
    >"$d/samba.out" 2>&1 </dev/null &
  echo $! >"$d/samba.pid"
  local i=0
  until ad_listening; do
    i=$((i + 1))
    if [ $i -gt 600 ] || ! kill -0 "$(cat "$d/samba.pid")" 2>/dev/null; then
      echo "bhlab: the lab DC did not start:" >&2; tail -20 "$d/samba.out" "$AD_RUN/log/samba.log" >&2
      return 1
    fi
    sleep 0.1
  done
  # The Exchange server's A record, in Samba's DNS (over its RPC: the DC must be running).
  PASSWD_FILE="$a/administrator.password" in_ns "$AD_NS" samba-tool dns add 127.0.0.1 "$AD_DNS" \
    "${AD_EXCH,,}" A "$(node_addr4 server)" -U Administrator -s "$AD_RUN/etc/smb.conf" >/dev/null
}

# ad_down NAME: the DC, its namespace, the /etc/netns overlays and the DC's files (a lab_down
# hook; each step tolerates a half-built lab).
ad_down() {
  local name=$1 nsn n pid
  nsn=$(ns "$name" dc)
  if [ -f "$STATE_ROOT/$name/samba.pid" ]; then
    pid=$(cat "$STATE_ROOT/$name/samba.pid")
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  if ip netns list | grep -qw "^$nsn"; then
    # smbd-notifyd and prefork workers can outlive samba's root process.
    ip netns pids "$nsn" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
    ip netns del "$nsn" 2>/dev/null
  fi
  for n in $AD_NODES; do rm -rf "/etc/netns/$(ns "$name" "$n")"; done
  rmdir /etc/netns 2>/dev/null
  if [ -f "$AD_OWNER" ] && [ "$(cat "$AD_OWNER")" = "$name" ]; then
    rm -rf "$AD_RUN" "$AD_OWNER" /run/samba/winbindd /run/samba/msg.lock /run/samba/msg.sock \
      /run/samba/names.tdb
  fi
  return 0
}

ad_paths() { # printed by bhlab up --ad
  echo "ad: realm $AD_REALM, DC dc1.$AD_DNS ($AD_DC_ADDR, namespace $(ns "$1" dc)); files in $STATE_ROOT/$1/ad (exch1.keytab, ${AD_CORE,,}.keytab, *.password)"
}

ad_status() { # a line for bhlab status, if the lab runs the DC
  local d="$STATE_ROOT/$1"
  [ -d "$d/ad" ] || return 0
  if [ -f "$d/samba.pid" ] && kill -0 "$(cat "$d/samba.pid")" 2>/dev/null; then
    echo "  domain controller: running, dc1.$AD_DNS $AD_DC_ADDR (realm $AD_REALM, $(ns "$1" dc))"
  else
    echo "  domain controller: DEAD (see $d/ad/samba.log)"
  fi
}
