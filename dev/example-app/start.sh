#!/bin/sh
# Writes the page (version + host) and, unless this version is broken, the health file,
# then serves them with busybox httpd on port 3000 (run the container with --init).
. /app/app.env
HOST="${CANARY_HOST:-$(hostname)}"
mkdir -p /tmp/www
cat > /tmp/www/index.html <<PAGE
<!doctype html>
<html><head><title>example-app $VERSION</title></head>
<body><h1>example-app $VERSION on $HOST</h1><p>version=$VERSION host=$HOST</p></body></html>
PAGE
if [ "$BROKEN" != "true" ]; then
  echo "ok $VERSION" > /tmp/www/health
fi
exec httpd -f -p 3000 -h /tmp/www
