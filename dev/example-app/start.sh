#!/bin/sh
# Writes the page (version + host) and, unless this version is broken, the health file,
# then serves them with busybox httpd on port $PORT, 3000 by default (run the container with --init).
# ERRORS (a percentage) and SLOW_MS make a version that is healthy but bad: / is then a CGI
# script that waits SLOW_MS ms and answers 500 on about ERRORS % of requests; /health stays 200.
. /app/app.env
HOST="${CANARY_HOST:-$(hostname)}"
# CANARY_APP (dev/up --apps N: the app's name beyond the first) goes on the page too
mkdir -p /tmp/www
cat > /tmp/page.html <<PAGE
<!doctype html>
<html><head><title>example-app $VERSION</title></head>
<body><h1>example-app $VERSION on $HOST</h1><p>version=$VERSION host=$HOST${CANARY_APP:+ app=$CANARY_APP}</p></body></html>
PAGE
if [ "${ERRORS:-0}" -gt 0 ] || [ "${SLOW_MS:-0}" -gt 0 ]; then
  # no index.html: busybox httpd runs cgi-bin/index.cgi for /
  mkdir -p /tmp/www/cgi-bin
  cat > /tmp/www/cgi-bin/index.cgi <<CGI
#!/bin/sh
[ "${SLOW_MS:-0}" -gt 0 ] && usleep $(( ${SLOW_MS:-0} * 1000 ))
if [ \$(( \$(od -An -N2 -tu2 /dev/urandom) % 100 )) -lt ${ERRORS:-0} ]; then
  printf 'Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nexample-app $VERSION on $HOST: error\n'
  exit 0
fi
printf 'Content-Type: text/html\r\n\r\n'
cat /tmp/page.html
CGI
  chmod +x /tmp/www/cgi-bin/index.cgi
else
  cp /tmp/page.html /tmp/www/index.html
fi
if [ "$BROKEN" != "true" ]; then
  echo "ok $VERSION" > /tmp/www/health
fi
exec httpd -f -p "${PORT:-3000}" -h /tmp/www
