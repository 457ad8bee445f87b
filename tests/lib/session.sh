# Playing a machine's session against strata-server (images/core/session.h), with
# tests/tools/session_client.py (python3-cryptography).  Source after common.sh.
#
#   sess_register BASE MAC DIR [SERVER_PUB]  make DIR/MAC.key once, register it (v2) and
#                         print the answer line; a session's keys go to DIR/MAC.state, its
#                         signature checked with SERVER_PUB when given.  Non-zero when refused.
#   sess_url DIR MAC URL  URL signed with that session's next request number
#   sess_url_n DIR MAC N URL   URL signed with number N (a replay, or a chosen one)
SESS_CLIENT="python3 $(dirname "${BASH_SOURCE[0]}")/../tools/session_client.py"

sess_register() {
	$SESS_CLIENT key "$3/$2.key" >/dev/null &&
		$SESS_CLIENT register "$1" "$2" "$3/$2.key" "$3/$2.state" ${4:+"$4"}
}
sess_url() { $SESS_CLIENT sign "$1/$2.state" "$3"; }
sess_url_n() { $SESS_CLIENT sign-n "$1/$2.state" "$3" "$4"; }
