# The command an SSH dev host container runs (sh -c "$(cat start-sshd.sh)"), shared by the doctor
# ssh tests and the ssh benchmark: makes the login user `tester` with $AUTHORIZED_KEY (600 in a
# 700 folder), fresh host keys, and runs sshd on 127.0.0.1:$SSHD_PORT in the foreground with its
# log on stderr. Only key logins. Written to /etc files directly: minbase has no useradd.
set -e
echo "tester:x:1000:1000:doctor ssh test:/home/tester:/bin/sh" >> /etc/passwd
echo "tester:x:1000:" >> /etc/group
echo "tester:*:19000:0:99999:7:::" >> /etc/shadow
mkdir -p /home/tester/.ssh
printf '%s\n' "$AUTHORIZED_KEY" > /home/tester/.ssh/authorized_keys
chmod 700 /home/tester/.ssh && chmod 600 /home/tester/.ssh/authorized_keys
chown -R 1000:1000 /home/tester
ssh-keygen -A >/dev/null
exec /usr/sbin/sshd -D -e -p "$SSHD_PORT" -o ListenAddress=127.0.0.1 -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no
