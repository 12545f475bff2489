# Shared by the WAN secure lab tests (sourced after lib.sh and lab_up; LAB is the lab).
# configure NODE PYTHON-EXPR...: the lab's config of NODE with wan_secure set (w is the block):
# every class `always`, the store and its key file inside the lab, then the expressions of
# WANSEC_DEFAULTS (a test's own defaults; d is the lab's state directory, node the node), then
# the arguments; the node restarted on it.
D=/run/bhlab/$LAB
WANSEC_CONFIG_DIR="$(cd "$(dirname "$0")/../../config" && pwd)"
WANSEC_DEFAULTS=()
configure() {
  local node=$1; shift
  /usr/bin/python3 - "$WANSEC_CONFIG_DIR/lab-$node.json" "$D/$node-config.json" "$D" "$node" \
    "${WANSEC_DEFAULTS[@]}" "$@" <<'PY'
import json, sys
src, dst, d, node = sys.argv[1:5]
c = json.load(open(src))
w = {"mode": {"mapi": "always", "epm": "always", "generic": "always"},
     "store": {"path": f"{d}/{node}-secure", "key_file": f"{d}/{node}-store.key"}}
for expr in sys.argv[5:]:
    exec(expr)
c["wan_secure"] = w
json.dump(c, open(dst, "w"), indent=2)
PY
  "$BHLAB" restart "$LAB" "$node" >/dev/null || fail "restart $node with its wan_secure config"
}
ws_json() { "$BHLAB" ctl "$LAB" "$1" --json show statistics wan-secure; }
field() { /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
