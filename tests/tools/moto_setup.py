# Set up a moto_server for tests/integration/s3.sh: a bucket whose objects anyone may read
# (a bucket policy, as a site's store needs); or, with --user, a bucket and an IAM user
# allowed s3:*, whose access key id and secret are printed ("ID SECRET"): with moto_server
# started under INITIAL_NO_AUTH_ACTION_COUNT=5 (it lets one fewer through), these four calls are the only ones it lets
# through unsigned, and it checks every later request's SigV4 signature.
#   python3 moto_setup.py ENDPOINT BUCKET [--user]
import json
import sys

import boto3

ep, bucket = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=ep, region_name='us-east-1', aws_access_key_id='setup',
          aws_secret_access_key='setup')
if '--user' in sys.argv[3:]:
    iam = boto3.client('iam', **kw)
    iam.create_user(UserName='strata')
    iam.put_user_policy(UserName='strata', PolicyName='s3', PolicyDocument=json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName='strata')['AccessKey']
    print(key['AccessKeyId'], key['SecretAccessKey'])
s3 = boto3.client('s3', **kw)
s3.create_bucket(Bucket=bucket)
if '--user' not in sys.argv[3:]:
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::%s/*" % bucket}]}))
