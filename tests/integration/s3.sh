#!/bin/bash
# strata-image push to and from S3-compatible storage (images/host/s3.c), against
# moto_server on loopback: a first push sends every chunk and index, a second sends
# nothing (HEAD per object); a wrong secret is refused by the service, which checks each
# request's SigV4 signature; credentials from ~/.aws-style files and the endpoint from
# AWS_ENDPOINT_URL; --from fetches a layer into a new folder store, verified; a
# deployment (strata-image apply) reads its chunks straight from the bucket's HTTP
# endpoint.  And libcurl's SigV4 signature against AWS's published test vector (GET
# Object of the S3 SigV4 documentation), with the x-amz-content-sha256 header s3.c sends.
# Needs python3 with moto (moto_server, boto3): skipped with a message when missing.
. "$(dirname "$0")/../lib/common.sh"
SI=${STRATA_IMAGE:-build/san/strata-image}
TOOLS=$(dirname "$0")/../tools
need_tools curl python3
W=$(mktemp -d /tmp/strata-s3.XXXXXX)
rm_on_exit "$W"
unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 \
	AWS_SESSION_TOKEN AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE
export HOME=$W        # no ~/.aws of the machine's

# SigV4: AWS's example "GET Object" (bucket examplebucket, key test.txt, Range bytes=0-9,
# 20130524T000000Z) must sign to its published signature.
coproc CAP { python3 "$TOOLS/http_capture_request.py" "$W/req"; }
read -r -u "${CAP[0]}" cport
curl -s -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" \
	-u 'AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' \
	--connect-to "examplebucket.s3.amazonaws.com:80:127.0.0.1:$cport" -H 'Range: bytes=0-9' \
	-H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
	-H 'x-amz-date: 20130524T000000Z' http://examplebucket.s3.amazonaws.com/test.txt
wait
check "SigV4 test vector: libcurl's signature is AWS's" grep -q "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41" "$W/req"
check "... over host, range, x-amz-content-sha256, x-amz-date" grep -q "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date," "$W/req"

check "push --help" sh -c "$SI push --help | grep -q 's3://BUCKET'"
check_not "a bad bucket URL is refused" env AWS_ACCESS_KEY_ID=a AWS_SECRET_ACCESS_KEY=b $SI push --store "$W" --to s3://A/x
check_not "no credentials: refused" $SI push --store "$W" --to s3://bucket/x

if ! command -v moto_server >/dev/null || ! python3 -c 'import moto, boto3' 2>/dev/null; then
	echo "SKIP the moto_server cases: python3 moto (moto_server, boto3) is not installed"
	finish
	exit $?
fi

head -c 2000000 /dev/urandom > "$W/img"
head -c 1000000 /dev/zero >> "$W/img"
head -c 300000 /dev/urandom >> "$W/img"
L=$($SI build --store "$W/st" "$W/img" 2>/dev/null | tail -1)
nchunks=$(find "$W/st/chunks" -type f | wc -l)

# A service that checks signatures after the four set-up calls (moto lets one fewer than
# INITIAL_NO_AUTH_ACTION_COUNT through unsigned).
MP=$(free_port)
(INITIAL_NO_AUTH_ACTION_COUNT=5 exec moto_server -H 127.0.0.1 -p "$MP" >"$W/moto.log" 2>&1) &
kill_on_exit $!
E=http://127.0.0.1:$MP
# Wait for its "Running on" line, not with a request: each would use up one of the four
# unsigned calls (even a bare connection does).
for _ in $(seq 100); do grep -q "Running on" "$W/moto.log" && break; sleep 0.1; done
read -r KID KSEC < <(python3 "$TOOLS/moto_setup.py" "$E" strata-test --user)
check "moto set up with a user" test -n "$KID"
push() { AWS_ACCESS_KEY_ID=$KID AWS_SECRET_ACCESS_KEY=$KSEC $SI push --endpoint "$E" "$@"; }
check "first push sends every chunk" sh -c "$(declare -f push); KID=$KID KSEC=$KSEC SI=$SI E=$E; push --store '$W/st' --to s3://strata-test/sites/b 2>&1 | grep -x 'push: $nchunks chunks: $nchunks sent ([0-9]* bytes), 0 already there'"
check "the index is in the bucket" sh -c "python3 -c \"import boto3; boto3.client('s3', endpoint_url='$E', region_name='us-east-1', aws_access_key_id='$KID', aws_secret_access_key='$KSEC').head_object(Bucket='strata-test', Key='sites/b/layers/${L#sha256:}.idx')\""
check "second push sends nothing" sh -c "$(declare -f push); KID=$KID KSEC=$KSEC SI=$SI E=$E; push --store '$W/st' --to s3://strata-test/sites/b 2>&1 | grep -x 'push: $nchunks chunks: 0 sent (0 bytes), $nchunks already there'"
check_not "a wrong secret is refused" env AWS_ACCESS_KEY_ID="$KID" AWS_SECRET_ACCESS_KEY=wrong $SI push --endpoint "$E" --store "$W/st" --to s3://strata-test/other
mkdir -p "$W/aws"
printf '[default]\naws_access_key_id = nobody\naws_secret_access_key = nothing\n\n[lab]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$KID" "$KSEC" > "$W/aws/creds"
printf '[profile lab]\nregion = us-east-1\n' > "$W/aws/config"
check "credentials from a profile of a credentials file, endpoint from AWS_ENDPOINT_URL" env AWS_SHARED_CREDENTIALS_FILE="$W/aws/creds" AWS_CONFIG_FILE="$W/aws/config" AWS_PROFILE=lab AWS_ENDPOINT_URL="$E" $SI push --store "$W/st" --to s3://strata-test/sites/c
check "pull a layer into a new folder store" push --store "$W/st2" --from s3://strata-test/sites/b "$L"
check "... which verifies" $SI verify --store "$W/st2"
check "... and holds every chunk" test "$(find "$W/st2/chunks" -type f | wc -l)" = "$nchunks"
check_not "pull of a layer the bucket lacks fails" push --store "$W/st3" --from s3://strata-test/nothing "$L"

# The bucket's HTTP endpoint is a store: a deployment reads from it (moto lets anonymous
# readers through a bucket policy only while it does not check signatures).
MP2=$(free_port)
(exec moto_server -H 127.0.0.1 -p "$MP2" >"$W/moto2.log" 2>&1) &
kill_on_exit $!
E2=http://127.0.0.1:$MP2
for _ in $(seq 100); do curl -s -o /dev/null "$E2" && break; sleep 0.1; done
python3 "$TOOLS/moto_setup.py" "$E2" strata-site
check "push to the site's bucket" env AWS_ACCESS_KEY_ID=a AWS_SECRET_ACCESS_KEY=b $SI push --endpoint "$E2" --store "$W/st" --to s3://strata-site/b
check "a deployment reads the bucket's HTTP endpoint" $SI apply --store "$E2/strata-site/b" "$L" "$W/out"
check "... and holds the layer" cmp "$W/img" "$W/out"
check "... fetched from the bucket" grep -q "GET /strata-site/b/chunks/" "$W/moto2.log"
finish
