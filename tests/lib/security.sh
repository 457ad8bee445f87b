# The security suites' set-up (tests/security/*.sh but api-auth.sh and store-abuse.sh).
# Source it after common.sh; it sources server.sh, whose srv_run starts their servers
# (srv_run "$W/main" "$W/main.log" --api-tokens "$W/api-tokens" ...) and srv_stop stops them.
#
# suite_setup BUILD_ARG NAME TOOL...
#                            sets BUILD (build_dir BUILD_ARG), SRV and SI (STRATA_SERVER,
#                            STRATA_IMAGE, else BUILD/san/...); ends the test when a tool
#                            or either binary is missing; makes the test's folder W
#                            (/tmp/strata-sec-NAME.*, removed on exit, readable by the
#                            user the server drops to when run as root) with the admin
#                            token file W/api-tokens (srv_token: SRV_TOKEN, SRV_AUTH);
#                            sets the server's sanitizer options
# lab_root DIR DEFAULT       a root a deployment can be served from: DIR/boot/boot.bin,
#                            a store with one layer (its id in LAB_LAYER, built with SI,
#                            strata-image), and an inventory with profile "lab", pc01
#                            (52:54:00:12:34:01, action=deploy) and "default DEFAULT"
# sanitizer_clean LOG...     no ASan/UBSan/LSan report in these logs
. "$(dirname "${BASH_SOURCE[0]}")/server.sh"

suite_setup() {
	local arg=$1 name=$2
	shift 2
	BUILD=$(build_dir "$arg")
	SRV=${STRATA_SERVER:-$BUILD/san/strata-server}
	SI=${STRATA_IMAGE:-$BUILD/san/strata-image}
	need_tools "$@"
	need_built "$SRV" "$SI"
	W=$(mktemp -d "/tmp/strata-sec-$name.XXXXXX")
	chmod 755 "$W"
	rm_on_exit "$W"
	srv_token "$W/api-tokens"
	server_sanitizers
}

lab_root() {
	mkdir -p "$1/boot"
	head -c 300000 /dev/urandom >"$1/boot/boot.bin"
	head -c 2000000 /dev/urandom >"$1/base.img"
	LAB_LAYER=$("$SI" build --store "$1/store" "$1/base.img" 2>/dev/null | tail -n1)
	rm -f "$1/base.img"
	cat >"$1/inventory.conf" <<EOC
default $2

profile lab
disk min-size=1G
part label=ESP type=esp size=64M layer=$LAB_LAYER
part label=CIDATA type=basic size=8M layer=machine
part label=data type=linux size=rest policy=preserve

machine 52:54:00:12:34:01 name=pc01 profile=lab action=deploy
EOC
	chmod -R a+rX "$1"
}

sanitizer_clean() { ! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|SUMMARY: ' "$@"; }
