#!/bin/sh
# Starts Asterisk in docker-compose.yml. Asterisk reads no environment in its
# configuration, so this writes what comes from it first: the AMI user's secret
# (manager.conf includes manager_secret.conf) and the address phones and the
# carrier reach (pjsip.conf includes pjsip_nat.conf). Neither has a default.
set -eu
: "${AMI_SECRET:?is not set: see docs/deployment.md}"
: "${SIP_ADDRESS:?is not set (the host address phones reach): see docs/deployment.md}"
if grep -q 'password = change-me' /etc/asterisk/pjsip.conf; then
    echo "pjsip.conf still holds the shipped phone passwords (change-me-...):" \
        "give each phone its own, see docs/deployment.md" >&2
    exit 1
fi
umask 027
printf 'secret = %s\n' "$AMI_SECRET" > /etc/asterisk/manager_secret.conf
printf 'external_media_address = %s\nexternal_signaling_address = %s\n' \
    "$SIP_ADDRESS" "$SIP_ADDRESS" > /etc/asterisk/pjsip_nat.conf
chown asterisk:asterisk /etc/asterisk/manager_secret.conf /etc/asterisk/pjsip_nat.conf
# the image's entrypoint has given `asterisk` the PUID/PGID the service runs as
exec /usr/sbin/asterisk -f -U asterisk -G asterisk -p -vvv
