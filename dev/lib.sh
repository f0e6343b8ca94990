# Shared by dev/up, dev/down, dev/status, dev/push-change and dev/test. Source it; do not run it.
# Everything the local environment makes lives under $C (.canary/, git-ignored) and every process
# it starts has a pid file in $C/run/ and names $C on its command line, so it is stopped by that
# pid only, and only while the pid still belongs to it.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
C="$ROOT/.canary"
RUN="$C/run"
LOGS="$C/logs"

# ---- addresses (DESIGN.md "Local addresses") -----------------------------------------------
CFGMGR=127.0.0.10
FRONTEND_PORT=80
# HAProxy's per-request log lines to lb-service (UDP, canary.lb.analysis-log-port)
ANALYSIS_LOG_PORT=5140
DNS_ADDR=127.0.0.1  # named listens only on interface addresses (lo has 127.0.0.1 only)
DNS_PORT=5353
DNS_ZONE=proserveau.local
REGISTRY_ADDR=127.0.0.1:5000
# registry (htpasswd) users: one per service that talks to the registry (the gateway only reads:
# the digest of a tag an operator deploys), and dev/up's bootstrap push
REGISTRY_USERS=(gateway build-service deploy-service registry-service dev-up)
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
# Kafka is one broker (component "kafka", 127.0.0.1:9092, its controller on 9093, data in
# .canary/kafka) or, with dev/up --brokers 3, a KRaft cluster of three (components kafka-1,
# kafka-2, kafka-3 on 9092/9093, 9094/9095, 9096/9097, data in .canary/kafka-<n>): every component
# that may run, for dev/down
KAFKA_COMPONENTS=(kafka kafka-1 kafka-2 kafka-3)
# the broker count dev/up started (it holds until dev/down): 1 or 3
kafka_brokers() { cat "$C/kafka-brokers" 2>/dev/null || echo 1; }
# kafka_names N : the components of N brokers
kafka_names() { if (($1 == 1)); then echo kafka; else for ((i = 1; i <= $1; i++)); do echo "kafka-$i"; done; fi; }
# kafka_port COMPONENT : its client port (the controller's is the next one)
kafka_port() { if [[ "$1" == kafka ]]; then echo "$KAFKA_PORT"; else echo $((KAFKA_PORT + 2 * (${1#kafka-} - 1))); fi; }
# kafka_bootstrap N : the bootstrap servers of N brokers, comma-separated
kafka_bootstrap() {
  local out=() k
  for k in $(kafka_names "$1"); do out+=("127.0.0.1:$(kafka_port "$k")"); done
  (IFS=,; echo "${out[*]}")
}
ENGINES=(docker0 docker1 docker2)
declare -A LOOPBACK_ADDR=([docker0]=127.0.0.11 [docker1]=127.0.0.12 [docker2]=127.0.0.13)
# ENGINE_ADDR: each engine's address; ENGINE_HOST: how the fleet names it (the address on
# loopback, the FQDN in the netns layout); both set by apply_layout, at the end of this file
declare -A ENGINE_ADDR=() ENGINE_HOST=()
declare -A ENGINE_SUBNET=([docker0]=10.212.0 [docker1]=10.212.1 [docker2]=10.212.2)
declare -A ENGINE_BRIDGE=([docker0]=crdev0 [docker1]=crdev1 [docker2]=crdev2)
DOCKER_TLS_PORT=2376
SSHD_PORT=2222
APP_NAME=example
APP_IMAGE=example-app
APP_CONTAINER=example-app
APP_PORT=3000
GITHUB_REPO=proserveau/example-app
EXAMPLE_REPO="$C/git/proserveau/example-app.git"
EXAMPLE_WORK="$C/git/work/example-app"
# More apps (dev/up --apps N, or CANARY_DEV_APPS=N): app 1 is the example app above; app i (2..N)
# is a copy of it named example-<i>, with its own repository (proserveau/example-app-<i>, in
# .canary/git/proserveau/example-app-<i>.git), image and container example-app-<i>, port 3000+i-1
# on every engine (the app listens on $PORT) and HAProxy backend example-<i>, reached at the one
# front end by its Host header (example-<i> or example-<i>.proserveau.local). The count holds
# until dev/down.
APPS_MAX=40
dev_apps() { cat "$C/apps" 2>/dev/null || echo 1; }
app_suffix() { (($1 == 1)) || echo "-$1"; }
app_name() { echo "$APP_NAME$(app_suffix "$1")"; }
app_image() { echo "$APP_IMAGE$(app_suffix "$1")"; }
app_container() { echo "$APP_CONTAINER$(app_suffix "$1")"; }
app_port() { echo $((APP_PORT + $1 - 1)); }
app_github() { echo "$GITHUB_REPO$(app_suffix "$1")"; }
app_repo() { echo "$C/git/proserveau/example-app$(app_suffix "$1").git"; }
app_work() { echo "$C/git/work/example-app$(app_suffix "$1")"; }
# app_index NAME : the index of app NAME (example → 1, example-7 → 7), or fail
app_index() {
  local n="$1" i
  for ((i = 1; i <= APPS_MAX; i++)); do [[ "$(app_name "$i")" == "$n" ]] && { echo "$i"; return 0; }; done
  return 1
}

# ---- the namespaced layout (dev/up --netns) --------------------------------------------------
# Each engine in a network namespace of its own (canary-docker0/1/2), its one interface eth0 on
# the host bridge crnet0 through a veth pair (host side crv-docker0/1/2). cfgmgr (the services,
# HAProxy, the registry) is the host's address on that bridge: the host talks on the bridge
# directly, nothing is forwarded or masqueraded, no host sysctl or firewall rule changes. Inside
# each namespace: its own loopback, dockerd's own bridge crdevN, sshd (docker1) on port 22, and
# the firewall table of netns_firewall. The layout dev/up started holds until dev/down (.canary/layout).
NETNS_BRIDGE=crnet0
NETNS_CFGMGR=10.213.0.1
# the load balancer's address as the hosts see it: cfgmgr's, HAProxy runs there (the seed's swarm
# is a CNAME of cfgmgr)
LB_NET_ADDR="$NETNS_CFGMGR"
declare -A NETNS_ADDR=([docker0]=10.213.0.10 [docker1]=10.213.0.11 [docker2]=10.213.0.12)
# netns_of ENGINE / veth_of ENGINE : its namespace, the host side of its veth pair
netns_of() { echo "canary-$1"; }
veth_of() { echo "crv-$1"; }
# the layout that runs (or ran last): loopback (the default) or netns
layout() { cat "$C/layout" 2>/dev/null || echo loopback; }
# apply_layout LAYOUT : the addresses and ports of that layout. In netns the fleet names the hosts
# by FQDN (ENGINE_HOST), which the services resolve through the suite's BIND; dev/up's own tools
# use the addresses (this machine's resolver does not know the zone).
apply_layout() {
  LAYOUT="$1"
  local e
  if [[ "$LAYOUT" == netns ]]; then
    for e in "${ENGINES[@]}"; do ENGINE_ADDR[$e]="${NETNS_ADDR[$e]}" ENGINE_HOST[$e]="$e.$DNS_ZONE"; done
    SSHD_PORT=22
    REGISTRY_ADDR="$NETNS_CFGMGR:5000"
  else
    for e in "${ENGINES[@]}"; do ENGINE_ADDR[$e]="${LOOPBACK_ADDR[$e]}" ENGINE_HOST[$e]="${LOOPBACK_ADDR[$e]}"; done
    SSHD_PORT=2222
    REGISTRY_ADDR=127.0.0.1:5000
  fi
}
# in_engine ENGINE CMD... : CMD where ENGINE lives (in its namespace in the netns layout)
in_engine() {
  local e="$1"
  shift
  if [[ "$LAYOUT" == netns ]]; then ip netns exec "$(netns_of "$e")" "$@"; else "$@"; fi
}
# in_ns ENGINE : the command prefix for the daemons (dockerd, sshd) that start_bg execs, to be
# word-split: "nsenter --net=/run/netns/canary-docker0", or nothing on loopback. nsenter switches
# the network namespace only: ip netns exec would also give the daemon a mount namespace with a
# fresh /sys, without this machine's cgroup mounts, which dockerd needs.
in_ns() { [[ "$LAYOUT" != netns ]] || echo "nsenter --net=/run/netns/$(netns_of "$1")"; }
netns_exists() { [[ -e "/run/netns/$1" ]]; }

# netns_firewall ENGINE : the firewall table inside ENGINE's namespace (iptables of the namespace,
# never the host's): SSH (22) and Docker TLS (2376) from cfgmgr, the app (3000) from the load
# balancer, replies to what the engine itself opened (its pulls from the registry), its own loopback;
# everything else is dropped. Written whole each time (docs/architecture.md, "The test hosts").
netns_firewall() {
  local e="$1" ns
  ns="$(netns_of "$e")"
  ip netns exec "$ns" iptables -w -P INPUT ACCEPT
  ip netns exec "$ns" iptables -w -F INPUT
  ip netns exec "$ns" iptables -w -A INPUT -i lo -j ACCEPT
  ip netns exec "$ns" iptables -w -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  ip netns exec "$ns" iptables -w -A INPUT -i eth0 -s "$NETNS_CFGMGR" -p tcp --dport 22 -j ACCEPT
  ip netns exec "$ns" iptables -w -A INPUT -i eth0 -s "$NETNS_CFGMGR" -p tcp --dport "$DOCKER_TLS_PORT" -j ACCEPT
  # the apps' ports: 3000, or 3000 to 3000+N-1 with dev/up --apps N
  local ports="$APP_PORT" n="${APPS:-$(dev_apps)}"
  ((n <= 1)) || ports="$APP_PORT:$(app_port "$n")"
  ip netns exec "$ns" iptables -w -A INPUT -i eth0 -s "$LB_NET_ADDR" -p tcp --dport "$ports" -j ACCEPT
  ip netns exec "$ns" iptables -w -P INPUT DROP
  ip netns exec "$ns" iptables -w -P FORWARD DROP
}

# netns_up : the bridge, each engine's namespace, veth pair, addresses, dockerd's own bridge in
# it and its firewall (idempotent: what exists is kept, the firewall written again)
netns_up() {
  local e ns veth
  ip link show "$NETNS_BRIDGE" >/dev/null 2>&1 || ip link add "$NETNS_BRIDGE" type bridge
  ip addr replace "$NETNS_CFGMGR/24" dev "$NETNS_BRIDGE"
  ip link set "$NETNS_BRIDGE" up
  for e in "${ENGINES[@]}"; do
    ns="$(netns_of "$e")" veth="$(veth_of "$e")"
    netns_exists "$ns" || ip netns add "$ns"
    ip link show "$veth" >/dev/null 2>&1 || ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$NETNS_BRIDGE" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr replace "${NETNS_ADDR[$e]}/24" dev eth0
    ip -n "$ns" link set eth0 up
    netns_firewall "$e"
  done
}

# netns_down : removes the namespaces, veth pairs and the bridge netns_up made (by name; a
# namespace's veth end goes with it, and the host end with its peer)
netns_down() {
  local e ns veth
  for e in "${ENGINES[@]}"; do
    ns="$(netns_of "$e")" veth="$(veth_of "$e")"
    if netns_exists "$ns"; then ip netns del "$ns" && ok "removed network namespace $ns"; fi
    if ip link show "$veth" >/dev/null 2>&1; then ip link del "$veth" && ok "removed veth $veth"; fi
  done
  if ip link show "$NETNS_BRIDGE" >/dev/null 2>&1; then ip link del "$NETNS_BRIDGE" && ok "removed bridge $NETNS_BRIDGE"; fi
  return 0
}

SERVICES=(gateway build-service registry-service lb-service deploy-service dns-service)
declare -A SERVICE_PORT=([gateway]=8080 [build-service]=8081 [registry-service]=8082
  [lb-service]=8083 [deploy-service]=8084 [dns-service]=8085)

# ---- output ------------------------------------------------------------------------------
if [[ -t 1 ]]; then B=$'\e[1m'; G=$'\e[32m'; R=$'\e[31m'; Y=$'\e[33m'; N=$'\e[0m'; else B= G= R= Y= N=; fi
step() { printf '%s==>%s %s %s[%ss]%s\n' "$B" "$N" "$*" "$Y" "$SECONDS" "$N"; }
ok() { printf '    %s✓%s %s\n' "$G" "$N" "$*"; }
same() { printf '    %s=%s %s\n' "$Y" "$N" "$*"; }
die() { printf '%s✗ %s%s\n' "$R" "$*" "$N" >&2; exit 1; }
# die with the last lines of a log
die_log() {
  local what="$1" log="$2"
  printf '%s✗ %s did not come up; last lines of %s:%s\n' "$R" "$what" "$log" "$N" >&2
  tail -n 30 "$log" >&2 2>/dev/null || true
  exit 1
}

# ---- processes ----------------------------------------------------------------------------
pidfile() { echo "$RUN/$1.pid"; }

# the pid of component $1 if it runs (its pid file names a live process that names $C)
running_pid() {
  local f pid
  f="$(pidfile "$1")"
  [[ -s "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "$C" || return 1
  echo "$pid"
}

is_running() { running_pid "$1" >/dev/null; }

# fresh_log LOG : start LOG anew, the previous run's log kept as LOG.1 (what a crashed process
# said last stays readable after dev/up starts it again)
fresh_log() {
  [[ -s "$1" ]] && mv -f "$1" "$1.1"
  : >"$1"
}

# start_bg NAME LOG CMD... : start detached (own session), record the pid
start_bg() {
  local name="$1" log="$2"
  shift 2
  mkdir -p "$RUN" "$(dirname "$log")"
  setsid "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$name")"
}

# wait_for NAME LOG SECONDS CHECK... : poll CHECK every 0.1 s; die with the log tail on timeout
# or when the process exits
wait_for() {
  local name="$1" log="$2" secs="$3"
  shift 3
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    # a second look: haproxy's master re-executes itself while starting
    is_running "$name" || { sleep 0.3; is_running "$name"; } || die_log "$name (exited)" "$log"
    ((SECONDS < deadline)) || die_log "$name (timeout ${secs}s)" "$log"
    sleep 0.1
  done
}

# stop_pid NAME... [-g GRACE_SECONDS]: SIGTERM to each by pid file (all at once), wait for them,
# SIGKILL what is left after the grace period
stop_pid() {
  local grace=15 names=() n pid
  while (($#)); do
    if [[ "$1" == -g ]]; then grace="$2"; shift 2; else names+=("$1"); shift; fi
  done
  local -A pids=()
  for n in "${names[@]}"; do
    if pid="$(running_pid "$n")"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids[$n]="$pid"
    fi
  done
  local deadline=$((SECONDS + grace))
  for n in "${names[@]}"; do
    pid="${pids[$n]:-}"
    if [[ -n "$pid" ]]; then
      while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
      if alive "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
        ok "killed $n (pid $pid) after ${grace}s"
      else
        ok "stopped $n (pid $pid)"
      fi
    fi
    rm -f "$(pidfile "$n")"
  done
}

# pid $1 exists and is not a zombie
alive() { [[ -e "/proc/$1" && "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]; }

# pids of processes whose command line names $1 (a folder under $C)
pids_naming() {
  local f
  for f in $(grep -alsF -- "$1" /proc/[0-9]*/cmdline 2>/dev/null); do
    f="${f#/proc/}"
    f="${f%/cmdline}"
    # grep itself named the needle; it has exited by now
    [[ "$f" == "$$" || "$f" == "$BASHPID" || ! -e "/proc/$f" ]] || echo "$f"
  done
  return 0
}

# mount points at or under $1, deepest first
mounts_under() {
  awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print length($5), $5}' /proc/self/mountinfo |
    sort -rn | cut -d' ' -f2-
}

# ---- docker CLIs ---------------------------------------------------------------------------
docker_env() { env -u DOCKER_HOST -u DOCKER_CONTEXT -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH DOCKER_CONFIG="$C/docker-cli" DOCKER_BUILDKIT=0 DOCKER_CLI_HINTS=false "$@"; }

# dockercli ENGINE ARGS... : the docker CLI against engine ENGINE (TLS for docker0/docker2,
# the unix socket for docker1, which the suite reaches over SSH)
dockercli() {
  local e="$1"
  shift
  if [[ "$e" == docker1 ]]; then
    docker_env docker -H "unix://$C/$e/docker.sock" "$@"
  else
    docker_env docker --tlsverify --tlscacert "$C/tls/ca.pem" --tlscert "$C/tls/cert.pem" \
      --tlskey "$C/tls/key.pem" -H "tcp://${ENGINE_ADDR[$e]}:$DOCKER_TLS_PORT" "$@"
  fi
}

# run_app_container ENGINE IMAGE : the example app's container on ENGINE as the suite runs it
# (the same as deploy-service's swap creates): --init (busybox as PID 1 ignores SIGTERM), restarted
# unless stopped, its port published on the engine's address, never pulled (--pull never: images
# come from the local registry, pulled before). Prints the container id.
# A third argument I runs app I (dev/up --apps): its container name and port, PORT and CANARY_APP
# (its name, shown on its page) in its env.
run_app_container() {
  local e="$1" image="$2" i="${3:-1}" port env=()
  port="$(app_port "$i")"
  ((i == 1)) || env=(-e "PORT=$port" -e "CANARY_APP=$(app_name "$i")")
  dockercli "$e" run -d --pull never --init --name "$(app_container "$i")" --restart unless-stopped \
    -p "${ENGINE_ADDR[$e]}:$port:$port" -e "CANARY_HOST=$e" "${env[@]}" "$image"
}

# remove_apps_from I : removes apps I.. (dev/up --apps: the ones beyond the new count; dev/down:
# every app but the example app): their containers on each running engine, the ones
# deploy-service retained (<container>-<sha12>) too, and their repositories
remove_apps_from() {
  local first="$1" e i names
  for e in "${ENGINES[@]}"; do
    is_running "$e" || continue
    names="$(dockercli "$e" ps -a --format '{{.Names}}' 2>/dev/null || true)"
    for ((i = first; i <= APPS_MAX; i++)); do
      local c
      c="$(app_container "$i")"
      grep -E "^$c(-[0-9a-f]{12})?\$" <<<"$names" | xargs -r dockercli "$e" rm -f >/dev/null 2>&1 || true
    done
  done
  for ((i = first; i <= APPS_MAX; i++)); do
    rm -rf "$(app_repo "$i")" "${C}/git/proserveau/example-app$(app_suffix "$i")" "$(app_work "$i")"
  done
}

# ssh into the dedicated sshd (docker1), host key pinned
sshcli() {
  ssh -F /dev/null -i "$C/ssh/id_ed25519" -p "$SSHD_PORT" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o UserKnownHostsFile="$C/ssh/known_hosts" -o StrictHostKeyChecking=yes \
    -o ConnectTimeout=5 "root@${ENGINE_ADDR[docker1]}" "$@"
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

# curl to the registry: TLS checked against the suite's CA, as user dev-up (the password goes to
# curl on stdin, never on a command line)
registry_curl() {
  printf 'user = "dev-up:%s"\n' "$(cat "$C/secrets/registry-dev-up.password")" |
    curl -K - --cacert "$C/tls/ca.pem" "$@"
}

# The user a dockerd started with --userns-remap=default maps its containers' root to, made the
# way dockerd makes it on its first start (a system user and group dockremap, 65536 subordinate
# ids after the highest range already given): made here first so that dev/up can give .canary to
# its group before that dockerd starts (dockerd refuses a data root its remapped root cannot reach).
ensure_dockremap() {
  id dockremap >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin --user-group dockremap
  local f start
  for f in /etc/subuid /etc/subgid; do
    touch "$f"
    grep -q '^dockremap:' "$f" && continue
    start=$(awk -F: 'BEGIN { m = 100000 } { e = $2 + $3; if (e > m) m = e } END { print m }' "$f")
    echo "dockremap:$start:65536" >>"$f"
  done
}

# The Debian packages of every binary the suite and its tests drive (dev/up, dev/test): missing
# ones are installed with apt-get, their system services never started.
ensure_packages() {
  declare -A PKG=([dockerd]=docker.io [docker]=docker.io [containerd]=containerd [runc]=runc
    [docker-registry]=docker-registry [haproxy]=haproxy [named]=bind9 [tsig-keygen]=bind9
    [named-checkconf]=bind9-utils [dig]=bind9-dnsutils [nsupdate]=bind9-dnsutils
    [sshd]=openssh-server [ssh]=openssh-client [ssh-keygen]=openssh-client [busybox]=busybox-static
    [kcat]=kcat [wrk]=wrk [socat]=socat [openssl]=openssl [ip]=iproute2 [curl]=curl [git]=git
    [java]=openjdk-17-jdk-headless [javac]=openjdk-17-jdk-headless [mvn]=maven [setsid]=util-linux
    [python3]=python3 [docker-compose]=docker-compose [column]=bsdextrautils [ss]=iproute2 [htpasswd]=apache2-utils [ps]=procps
    [chromium]=chromium [chromedriver]=chromium-driver)
  missing=()
  for b in "${!PKG[@]}"; do
    command -v "$b" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$b" >/dev/null 2>&1 ||
      missing+=("${PKG[$b]}")
  done
  # the app image is FROM scratch: busybox must be the static one
  if command -v busybox >/dev/null && ldd "$(command -v busybox)" >/dev/null 2>&1; then
    missing+=(busybox-static)
  fi
  if ((${#missing[@]})); then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    command -v apt-get >/dev/null || die "missing Debian packages: ${missing[*]}"
    step "installing ${missing[*]}"
    # Debian would start the packaged daemons (the system dockerd would rewrite iptables): forbid
    # service starts during the install with a policy-rc.d, removed right after
    policy=/usr/sbin/policy-rc.d made_policy=false
    if [[ ! -e "$policy" ]]; then
      printf '#!/bin/sh\n# dev/up: no service starts while installing\nexit 101\n' >"$policy"
      chmod +x "$policy"
      made_policy=true
    fi
    install_ok=true
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" ||
      { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; } ||
      install_ok=false
    $made_policy && rm -f "$policy"
    $install_ok || die "could not install ${missing[*]}"
    ok "installed ${missing[*]} (their system services were not started)"
  else
    same "all present"
  fi
}

# ---- the compose suite (dev/images, dev/compose) -----------------------------------------------
# the uid and gid every image runs as (user canary), and that owns the compose configuration
COMPOSE_UID=10001
# engine_env NAME : export DOCKER_HOST (and TLS) of dev/up's engine NAME, which the docker CLI and
# docker-compose read
engine_env() {
  case "$1" in
    docker0 | docker2)
      export DOCKER_HOST="tcp://${ENGINE_ADDR[$1]}:$DOCKER_TLS_PORT" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$C/tls" ;;
    docker1) export DOCKER_HOST="unix://$C/docker1/docker.sock"; unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH ;;
    *) die "unknown engine $1 (dev/up's engines: ${ENGINES[*]})" ;;
  esac
  export DOCKER_CONFIG="$C/docker-cli"
}
# dk ARGS... : the docker CLI against the environment's engine (DOCKER_HOST), legacy builder
dk() { env DOCKER_BUILDKIT=0 DOCKER_CLI_HINTS=false docker "$@"; }

# the layout that runs (dev/up applies the one it is told)
apply_layout "$(layout)"
