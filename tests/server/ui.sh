#!/bin/bash
# The dashboard's files as strata-server serves them (server/http_ui.c, docs/dashboard.md):
# / answers 303 to /ui; /ui is index.html; every file of ui/ is served byte for byte with
# its Content-Type, an ETag that If-None-Match turns into a bodyless 304, no-cache, the
# Content-Security-Policy and nosniff; names not embedded, traversal and a trailing slash
# 404; no credential needed.  The page's code holds no innerHTML, eval or new Function,
# names nothing of another origin, and weighs under 80 KB in at most 13 files.  No VM;
# needs curl.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/server.sh"
W=$(mktemp -d /tmp/strata-ui.XXXXXX)
chmod 755 "$W"
rm_on_exit "$W"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
hdr() { curl -s -o /dev/null -D - "$@" | tr -d '\r'; }

srv_root "$W"
check "server starts" srv_start "$W" "$W/log" --api-tokens "$W/api-tokens"

check "/ answers 303 to /ui" sh -c "hdr() { curl -s -o /dev/null -D - \"\$@\" | tr -d '\r'; }; hdr '$U/' | grep -q '^HTTP/1.1 303' && hdr '$U/' | grep -q '^Location: /ui$'"
check "/ui is index.html" sh -c "curl -s '$U/ui' | cmp -s - ui/index.html"
hdr "$U/ui" > "$W/h"
check "/ui: text/html" grep -qi '^Content-Type: text/html; charset=utf-8$' "$W/h"
check "/ui: the CSP admits this origin only" grep -q "^Content-Security-Policy: default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'$" "$W/h"
check "/ui: no-cache, nosniff, DENY, no-referrer" sh -c "grep -q '^Cache-Control: no-cache$' '$W/h' && grep -q '^X-Content-Type-Options: nosniff$' '$W/h' && grep -q '^X-Frame-Options: DENY$' '$W/h' && grep -q '^Referrer-Policy: no-referrer$' '$W/h'"
for f in ui/*.*; do
	n=${f#ui/}
	case $n in *.js) t='text/javascript; charset=utf-8' ;; *.css) t='text/css; charset=utf-8' ;;
		*.html) t='text/html; charset=utf-8' ;; *.svg) t='image/svg+xml' ;; esac
	check "/ui/$n: its bytes" sh -c "curl -s '$U/ui/$n' | cmp -s - '$f'"
	hdr "$U/ui/$n" > "$W/h"
	check "/ui/$n: $t" grep -q "^Content-Type: $t$" "$W/h"
	etag=$(sed -n 's/^ETag: //p' "$W/h")
	check "/ui/$n: ETag ${etag:-none} is its SHA-256's start" test "$etag" = "\"$(sha256sum "$f" | cut -c1-16)\""
	check "/ui/$n: If-None-Match gives 304" test "$(code -H "If-None-Match: $etag" "$U/ui/$n")" = 304
done
check "a 304 has no body" test "$(curl -s -H "If-None-Match: $(sed -n 's/^ETag: //p' "$W/h")" "$U/ui/$n" | wc -c)" = 0
check "another ETag gives 200" test "$(code -H 'If-None-Match: "0000000000000000"' "$U/ui/main.js")" = 200
check "HEAD /ui/main.js: 200" test "$(code -I "$U/ui/main.js")" = 200
for p in /ui/nope.js /ui/dev /ui/fake_lab.sh /ui/ /ui/../api/machines /ui/%2e%2e/x /ui/.hidden /ui/main.js/x /uix; do
	check "$p: 404" test "$(code --path-as-is "$U$p")" = 404
done
check "POST /ui: 405" test "$(code -X POST "$U/ui")" = 405
check "no innerHTML, eval( or Function( in ui/*.js" sh -c "! grep -n 'innerHTML\|outerHTML\|insertAdjacentHTML\|eval(\|Function(\|document.write' ui/*.js"
check "no URL of another origin in ui/ (but the SVG namespace)" sh -c "! grep -n 'https\?://' ui/*.* | grep -v 'http://www.w3.org/2000/svg'"
check "ui/ under 80 KB ($(cat ui/*.* | wc -c) bytes)" test "$(cat ui/*.* | wc -c)" -lt 81920
check "ui/ in at most 13 files ($(ls ui/*.* | wc -l))" test "$(ls ui/*.* | wc -l)" -le 13
srv_stop; rc=$?
check "clean exit on SIGTERM" test "$rc" = 0
finish
