#!/bin/sh
# The module map (docs/ARCHITECTURE.md): mapi/, policy/, secure/, dre/, accel/ and common/ never
# include proxy/, redirect/ or box/ headers, and never use libuv or sockets directly (I/O lives
# only in proxy/ and redirect/); nothing under proxy/ includes mapi/ (accelerators plug in
# through accel/, wired by box/); accel/ takes from policy/ only the IpAddress value type; the
# flow manager asks an accelerator what it needs (accel::Accelerator), it does not test for one
# by name: proxy/ never names policy::Accelerator::Mapi (the wire id codec::Accelerator::Mapi,
# protocol-neutral data, is fine).
top=${1:-.}
bad=0
for d in common accel mapi policy secure dre proxy/codec; do
  [ -d "$top/$d" ] || continue
  # proxy/codec may include its own headers, nothing else of proxy/ or redirect/.
  if grep -rnE '#include *[<"](proxy|redirect|box)/' "$top/$d" | grep -vE '#include *[<"]proxy/codec/'; then bad=1; fi
  if grep -rnE '#include *<(uv\.h|sys/socket\.h|netinet/in\.h|arpa/inet\.h)>' "$top/$d"; then bad=1; fi
done
# The MAPI codec library (bh_mapi_codec: mapi/dcerpc, epm, emsmdb, rop) depends on common/ only:
# its sources include nothing but common/ and the codec folders.
for d in dcerpc epm emsmdb rop; do
  [ -d "$top/mapi/$d" ] || continue
  if grep -rnE '#include *"' "$top/mapi/$d" | grep -vE '#include *"(common|mapi/(dcerpc|epm|emsmdb|rop))/'; then
    bad=1
  fi
done
if grep -rnE '#include *[<"]mapi/' "$top/proxy"; then bad=1; fi
if grep -rnE 'policy::Accelerator::Mapi|FlowKind::Mapi' "$top/proxy"; then bad=1; fi
if grep -rnE '#include *[<"](policy|mapi|dre)/' "$top/accel" | grep -vE '#include *"policy/ip_address\.h"'; then bad=1; fi
if [ $bad -ne 0 ]; then
  echo "layering: the lines above break the module map (docs/ARCHITECTURE.md)" >&2
  exit 1
fi
echo "layering: ok"
