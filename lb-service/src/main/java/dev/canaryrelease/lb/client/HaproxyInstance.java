package dev.canaryrelease.lb.client;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.canaryrelease.lb.client.LoadBalancerException.Kind;
import dev.canaryrelease.lb.domain.AdminState;
import dev.canaryrelease.lb.domain.ServerCounters;
import dev.canaryrelease.lb.domain.ServerKey;
import dev.canaryrelease.lb.domain.ServerView;

/**
 * One HAProxy instance of the pool, reached through its Runtime API. Translates answers into
 * records and failures into {@link LoadBalancerException}s whose message names the instance.
 */
public final class HaproxyInstance {
    /** What {@code show info} says about the running process. */
    public record ProcessInfo(long pid, long uptimeSec) {}

    private final String name;
    private final RuntimeApiConnection connection;

    public HaproxyInstance(String name, String runtimeApi, Duration timeout) {
        this.name = name;
        this.connection = new RuntimeApiConnection(runtimeApi, timeout);
    }

    public String name() {
        return name;
    }

    public String runtimeApi() {
        return connection.endpoint();
    }

    @Override
    public String toString() {
        return "load balancer '" + name + "' (" + connection.endpoint() + ")";
    }

    /** Sends a command and returns the raw answer. */
    public String execute(String command) {
        try {
            return connection.execute(command);
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new LoadBalancerException(Kind.UNREACHABLE, this + " unreachable: " + why, e);
        }
    }

    /** Sends a command that answers nothing on success; any answer is HAProxy's error. */
    void command(String command) {
        String answer = execute(command).strip();
        if (!answer.isEmpty()) {
            throw new LoadBalancerException(
                    Kind.REJECTED, this + " refused '" + command + "': " + answer);
        }
    }

    public ProcessInfo info() {
        long pid = -1;
        long uptime = -1;
        for (String line : execute("show info").split("\n")) {
            if (line.startsWith("Pid: ")) {
                pid = Long.parseLong(line.substring(5).strip());
            } else if (line.startsWith("Uptime_sec: ")) {
                uptime = Long.parseLong(line.substring(12).strip());
            }
        }
        if (pid < 0) {
            throw new LoadBalancerException(Kind.REJECTED, this + " gave no Pid in 'show info'");
        }
        return new ProcessInfo(pid, uptime);
    }

    /** Admin state of every server ({@code show servers state}). */
    public Map<ServerKey, AdminState> adminStates() {
        // be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state ...
        return serversState(7, f -> AdminState.ofBits(Integer.parseInt(f[6])));
    }

    /**
     * The servers whose health check is configured but paused ({@code disable health}): {@code
     * srv_check_state} has CHK_ST_CONFIGURED (0x2) without CHK_ST_ENABLED (0x4).
     */
    public java.util.Set<ServerKey> checksPaused() {
        // ... srv_time_since_last_change srv_check_status srv_check_result srv_check_health
        // srv_check_state ...
        Map<ServerKey, Boolean> paused =
                serversState(
                        14,
                        f -> {
                            int bits = Integer.parseInt(f[13]);
                            return (bits & 0x2) != 0 && (bits & 0x4) == 0;
                        });
        java.util.Set<ServerKey> out = new java.util.HashSet<>();
        paused.forEach(
                (k, p) -> {
                    if (p) {
                        out.add(k);
                    }
                });
        return out;
    }

    /** A server's weight now ({@code srv_uweight}) and its configured one ({@code srv_iweight}). */
    public record Weight(int current, int configured) {}

    /** The weights of every server ({@code show servers state}). */
    public Map<ServerKey, Weight> weights() {
        // be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight
        // srv_iweight ...
        return serversState(9, f -> new Weight(Integer.parseInt(f[7]), Integer.parseInt(f[8])));
    }

    /**
     * One value per server of {@code show servers state}, read from its row's fields (rows with
     * fewer than {@code fields} fields, comments and the version line are skipped).
     */
    private <T> Map<ServerKey, T> serversState(
            int fields, java.util.function.Function<String[], T> value) {
        Map<ServerKey, T> out = new HashMap<>();
        for (String line : execute("show servers state").split("\n")) {
            if (line.isBlank() || line.startsWith("#") || !line.contains(" ")) {
                continue;
            }
            String[] f = line.strip().split(" ");
            if (f.length < fields) {
                continue;
            }
            out.put(new ServerKey(f[1], f[3]), value.apply(f));
        }
        return out;
    }

    /** {@code set weight <backend>/<server> <weight>} (0..256). */
    public void setWeight(ServerKey key, int weight) {
        command("set weight " + key + " " + weight);
    }

    /** {@code set weight <backend>/<server> 100%}: back to the configured weight. */
    public void resetWeight(ServerKey key) {
        command("set weight " + key + " 100%");
    }

    /**
     * The process id and {@code show stat}'s {@code stot} (cumulative sessions) of every server of
     * {@code backend}, by server.
     */
    public dev.canaryrelease.lb.domain.ServedShare.Reading sessions(String backend) {
        long pid = info().pid();
        String[] lines = execute("show stat").split("\n");
        if (lines.length == 0 || !lines[0].startsWith("# ")) {
            throw new LoadBalancerException(
                    Kind.REJECTED, this + " gave no CSV header in 'show stat'");
        }
        List<String> header = List.of(lines[0].substring(2).split(",", -1));
        int px = header.indexOf("pxname");
        int sv = header.indexOf("svname");
        Map<String, Long> out = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(",", -1);
            if (f.length < header.size() - 1
                    || !f[px].equals(backend)
                    || f[sv].equals("FRONTEND")
                    || f[sv].equals("BACKEND")) {
                continue;
            }
            out.put(f[sv], num(header, f, "stot"));
        }
        return new dev.canaryrelease.lb.domain.ServedShare.Reading(name, pid, Map.copyOf(out));
    }

    /** Every server of every backend: {@code show servers state} joined with {@code show stat}. */
    public List<ServerView> servers() {
        Map<ServerKey, AdminState> admin = adminStates();
        String[] lines = execute("show stat").split("\n");
        List<ServerView> out = new ArrayList<>();
        if (lines.length == 0 || !lines[0].startsWith("# ")) {
            throw new LoadBalancerException(
                    Kind.REJECTED, this + " gave no CSV header in 'show stat'");
        }
        List<String> header = List.of(lines[0].substring(2).split(",", -1));
        int px = header.indexOf("pxname");
        int sv = header.indexOf("svname");
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(",", -1);
            if (f.length < header.size() - 1) {
                continue;
            }
            String backend = f[px];
            String server = f[sv];
            if (server.equals("FRONTEND") || server.equals("BACKEND")) {
                continue;
            }
            ServerKey key = new ServerKey(backend, server);
            out.add(
                    new ServerView(
                            name,
                            backend,
                            server,
                            admin.getOrDefault(key, AdminState.READY),
                            col(header, f, "status"),
                            (int) num(header, f, "weight"),
                            (int) num(header, f, "scur"),
                            col(header, f, "req_tot").isEmpty()
                                    ? num(header, f, "stot")
                                    : num(header, f, "req_tot"),
                            num(header, f, "hrsp_5xx"),
                            col(header, f, "check_status")));
        }
        return out;
    }

    /**
     * Every server's cumulative counters ({@code show stat}) with the process's pid ({@code show
     * info}, read first): a reload gives a new pid, so a window across it is told apart from a
     * quiet one.
     */
    public List<ServerCounters> counters() {
        long pid = info().pid();
        String[] lines = execute("show stat").split("\n");
        if (lines.length == 0 || !lines[0].startsWith("# ")) {
            throw new LoadBalancerException(
                    Kind.REJECTED, this + " gave no CSV header in 'show stat'");
        }
        List<String> header = List.of(lines[0].substring(2).split(",", -1));
        int px = header.indexOf("pxname");
        int sv = header.indexOf("svname");
        List<ServerCounters> out = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(",", -1);
            if (f.length < header.size() - 1
                    || f[sv].equals("FRONTEND")
                    || f[sv].equals("BACKEND")) {
                continue;
            }
            out.add(
                    new ServerCounters(
                            name,
                            pid,
                            new ServerKey(f[px], f[sv]),
                            col(header, f, "status"),
                            col(header, f, "req_tot").isEmpty()
                                    ? num(header, f, "stot")
                                    : num(header, f, "req_tot"),
                            num(header, f, "hrsp_5xx"),
                            num(header, f, "econ"),
                            num(header, f, "eresp"),
                            num(header, f, "wretr")));
        }
        return out;
    }

    /** One server, if this instance has it. */
    public Optional<ServerView> server(ServerKey key) {
        return servers().stream().filter(s -> s.key().equals(key)).findFirst();
    }

    public void setState(ServerKey key, AdminState state) {
        command("set server " + key + " state " + state.command());
    }

    /** Forces the operational state DOWN: only HAProxy's next passing checks bring it UP. */
    public void healthDown(ServerKey key) {
        command("set server " + key + " health down");
    }

    /**
     * {@code disable health}: HAProxy sends the server no more checks until {@link #resumeChecks}
     * (its {@code show stat} status is then "no check"). Used on a drained server for its swap: a
     * check that reaches the engine's port while the new container's network is not up yet makes
     * the engine's kernel wait for an ARP answer it only asks again a second later, and every
     * connection to the container's address waits behind it, deploy-service's health probe too.
     */
    public void pauseChecks(ServerKey key) {
        command("disable health " + key);
    }

    /** {@code enable health}: checks again, from the operational state the server had. */
    public void resumeChecks(ServerKey key) {
        command("enable health " + key);
    }

    /**
     * Forces the operational state UP (HAProxy's checks go on: {@code fall} failures in a row still
     * bring it DOWN).
     */
    public void healthUp(ServerKey key) {
        command("set server " + key + " health up");
    }

    /** Kills every session still on the server. */
    public void shutdownSessions(ServerKey key) {
        command("shutdown sessions server " + key);
    }

    private static String col(List<String> header, String[] f, String name) {
        int i = header.indexOf(name);
        return i < 0 || i >= f.length ? "" : f[i];
    }

    private static long num(List<String> header, String[] f, String name) {
        String v = col(header, f, name);
        return v.isEmpty() ? 0 : Long.parseLong(v);
    }
}
