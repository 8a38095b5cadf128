#!/bin/sh
# Starts the compose file's Kafka with SCRAM sign-in and ACLs: the secrets come from the
# kafka-secrets volume, written once by the kafka-credentials service.
set -eu
SECRETS=/run/bedboard-kafka
CONFIG=/tmp/bedboard-server.properties
umask 077
# A node of the cluster profile fills in who it is; the single node's file has nothing to fill.
sed -e "s/@NODE@/${BEDBOARD_NODE_ID:-1}/g" -e "s/@HOST_PORT@/${BEDBOARD_HOST_PORT:-9094}/g" \
  /etc/bedboard/server.properties | cat - "$SECRETS/broker-security.properties" > "$CONFIG"
# A quorum of one is formatted as such; a cluster's nodes each know every voter already.
QUORUM=--standalone
if grep -q '^controller.quorum.voters=' "$CONFIG"; then QUORUM=; fi
# The health check signs in as the operator, with the broker's own login line.
sed -n 's/^listener\.name\.broker\.scram-sha-512\.sasl\.jaas\.config=/sasl.jaas.config=/p' \
  "$SECRETS/broker-security.properties" > /tmp/bedboard-client.properties
printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n' \
  >> /tmp/bedboard-client.properties
if [ ! -f /var/lib/kafka/data/meta.properties ]; then
  # The SCRAM users exist from the first record of the metadata log (on every node: any may
  # be the first controller leader, which writes them).
  # shellcheck disable=SC2046,SC2086  # one word per argument: the passwords are URL-safe
  /opt/kafka/bin/kafka-storage.sh format $QUORUM -t "$CLUSTER_ID" -c "$CONFIG" \
    $(cat "$SECRETS/scram-arguments")
fi
exec /opt/kafka/bin/kafka-server-start.sh "$CONFIG"
