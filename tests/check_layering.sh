#!/bin/sh
# The module map (docs/ARCHITECTURE.md): mapi/, policy/, secure/, dre/, accel/ and common/ never
# include proxy/, redirect/ or box/ headers, and never use libuv or sockets directly (I/O lives
# only in proxy/ and redirect/); nothing under proxy/ includes mapi/ (accelerators plug in
# through accel/, wired by box/); accel/ and mapi/ include nothing of policy/; the
# flow manager asks an accelerator what it needs (accel::Accelerator), it does not test for one
# by name: proxy/ never names policy::Accelerator::Mapi (the wire id codec::Accelerator::Mapi,
# protocol-neutral data, is fine).
top=${1:-.}
bad=0
for d in common accel mapi policy secure dre proxy/codec redirect/wccp; do
  [ -d "$top/$d" ] || continue
  # proxy/codec and redirect/wccp may include their own headers, nothing else of proxy/ or
  # redirect/.
  if grep -rnE '#include *[<"](proxy|redirect|box)/' "$top/$d" | grep -vE '#include *[<"](proxy/codec|redirect/wccp)/'; then bad=1; fi
  if grep -rnE '#include *<(uv\.h|sys/socket\.h|netinet/in\.h|arpa/inet\.h)>' "$top/$d"; then bad=1; fi
done
# The MAPI codec library (bh_mapi_codec: mapi/dcerpc, epm, emsmdb, rop, drsuapi) depends on
# common/ only: its sources include nothing but common/ and the codec folders.
for d in dcerpc epm emsmdb rop drsuapi; do
  [ -d "$top/mapi/$d" ] || continue
  if grep -rnE '#include *"' "$top/mapi/$d" | grep -vE '#include *"(common|mapi/(dcerpc|epm|emsmdb|rop|drsuapi))/'; then
    bad=1
  fi
done
# One NDR layer (mapi/dcerpc/ndr.h): no other folder of the tree keeps an NDR reader of its own.
if find "$top" -path "$top/build*" -prune -o -name 'ndr.*' -print 2>/dev/null | grep -v "^$top/mapi/dcerpc/ndr\.\(h\|cc\)$"; then
  bad=1
fi
# The WCCP codec (bh_redirect_wccp) depends on common/ only.
if [ -d "$top/redirect/wccp" ] &&
  grep -rnE '#include *"' "$top/redirect/wccp" | grep -vE '#include *"(common|redirect/wccp)/'; then
  bad=1
fi
# secure/ (WAN secure: TLS, OCSP, the secure store; the encryption service's Kerberos-sealed
# DCE/RPC client) stands on common/, OpenSSL and MIT krb5, and of the MAPI codecs only the pure
# ones it frames DRSUAPI with (mapi/dcerpc, mapi/epm, mapi/drsuapi): the proxy drives it over
# byte buffers, so it includes nothing else of this tree.
if [ -d "$top/secure" ] && grep -rnE '#include *"' "$top/secure" |
  grep -vE '#include *"(common|secure|mapi/dcerpc|mapi/epm|mapi/drsuapi)/'; then
  bad=1
fi
if grep -rnE '#include *[<"]mapi/' "$top/proxy"; then bad=1; fi
# Kerberos lives in secure/ (issue 18): mapi/ reads sealed DCE/RPC only through the security
# provider interface (mapi/dcerpc/security_provider.h), never through libkrb5 or GSS-API; in
# secure/emapi only krb5_crypto.cc includes krb5 (the rest is pure DER and byte layout).
if [ -d "$top/mapi" ] && grep -rnE '#include *<(krb5|gssapi)[./]' "$top/mapi"; then bad=1; fi
if [ -d "$top/secure/emapi" ] &&
  grep -rnE '#include *<(krb5|gssapi)[./]' "$top/secure/emapi" | grep -v '/krb5_crypto\.cc:'; then
  bad=1
fi
# proxy/wan_secure's peer legs are bytes in, bytes out: the flow (proxy/flow.cc) moves their
# ciphertext to and from the sockets, so they include neither libuv nor sockets. The one file
# with a socket of its own is the OCSP transport (ocsp_revocation_checker.*), on the loop.
if [ -d "$top/proxy/wan_secure" ] &&
  grep -rnE '#include *<(uv\.h|sys/socket\.h|netinet/in\.h|arpa/inet\.h)>' "$top/proxy/wan_secure" |
  grep -v '/ocsp_revocation_checker\.'; then
  bad=1
fi
# The metrics' data and the scrape request parser are pure (proxy/metrics/box_metrics.*,
# scrape_request.*): only the listener (metrics_server.*) touches libuv and sockets.
for f in "$top"/proxy/metrics/box_metrics.* "$top"/proxy/metrics/scrape_request.*; do
  [ -f "$f" ] || continue
  if grep -nHE '#include *<(uv\.h|sys/socket\.h|netinet/in\.h|arpa/inet\.h)>' "$f"; then bad=1; fi
done
# through accel/, wired by box/); accel/ and mapi/ include nothing of policy/; the
# flow manager asks an accelerator what it needs (accel::Accelerator), it does not test for one
# by name: proxy/ never names policy::Accelerator::Mapi (the wire id codec::Accelerator::Mapi,
# protocol-neutral data, is fine).
if [ $bad -ne 0 ]; then
  echo "layering: the lines above break the module map (docs/ARCHITECTURE.md)" >&2
  exit 1
fi
echo "layering: ok"
