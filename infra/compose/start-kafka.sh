#!/bin/sh
# Starts the compose file's Kafka with SCRAM sign-in and ACLs: the secrets come from the
# kafka-secrets volume, written once by the kafka-credentials service.
set -eu
SECRETS=/run/bedboard-kafka
CONFIG=/tmp/bedboard-server.properties
umask 077
cat /etc/bedboard/server.properties "$SECRETS/broker-security.properties" > "$CONFIG"
# The health check signs in as the operator, with the broker's own login line.
sed -n 's/^listener\.name\.broker\.scram-sha-512\.sasl\.jaas\.config=/sasl.jaas.config=/p' \
  "$SECRETS/broker-security.properties" > /tmp/bedboard-client.properties
printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n' \
  >> /tmp/bedboard-client.properties
if [ ! -f /var/lib/kafka/data/meta.properties ]; then
  # The SCRAM users exist from the first record of the metadata log.
  # shellcheck disable=SC2046  # one word per argument: the passwords are URL-safe
  /opt/kafka/bin/kafka-storage.sh format --standalone -t "$CLUSTER_ID" -c "$CONFIG" \
    $(cat "$SECRETS/scram-arguments")
fi
exec /opt/kafka/bin/kafka-server-start.sh "$CONFIG"
