package dev.canaryrelease.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The whole suite as an operator runs it: {@code dev/up} (real Kafka broker, three dockerd,
 * registry, HAProxy, named, sshd and the six services from their jars), {@code dev/push-change},
 * and the gateway's HTTP API. Started once per test JVM; {@code dev/down} at exit.
 */
final class Suite {
    /** The six services, in the order of their ports 8080-8085. */
    static final List<String> SERVICES =
            List.of(
                    "gateway",
                    "build-service",
                    "registry-service",
                    "lb-service",
                    "deploy-service",
                    "dns-service");

    private static Suite instance;

    final Path root;
    final Map<String, String> env;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Suite(Path root, Map<String, String> env) {
        this.root = root;
        this.env = env;
    }

    static synchronized Suite get() {
        return start();
    }

    /**
     * The suite running {@code apps} apps ({@code dev/up --apps}): started so, or {@code dev/up}
     * again with that count (a changed fleet restarts the services).
     */
    static synchronized Suite get(int apps) {
        if (instance == null) return start("--apps", Integer.toString(apps));
        if (instance.apps().size() != apps) {
            Result r =
                    run(
                            instance.root,
                            Duration.ofMinutes(10),
                            "dev/up",
                            "--no-build",
                            "--apps",
                            Integer.toString(apps));
            assertEquals(0, r.code(), "dev/up --apps " + apps + " failed:\n" + r.output());
            instance = new Suite(instance.root, readEnv(instance.root.resolve(".canary/env")));
        }
        return instance;
    }

    /** The apps dev/up runs ({@code CANARY_APPS} of .canary/env), the example app first. */
    List<String> apps() {
        String all = env.getOrDefault("CANARY_APPS", env("EXAMPLE_APP"));
        return List.of(all.strip().split("\\s+"));
    }

    private static Suite start(String... options) {
        if (instance == null) {
            Path root =
                    Path.of(System.getProperty("canary.root", "..")).toAbsolutePath().normalize();
            String[] cmd = new String[options.length + 2];
            cmd[0] = "dev/up";
            cmd[1] = "--no-build";
            System.arraycopy(options, 0, cmd, 2, options.length);
            Result up = run(root, Duration.ofMinutes(10), cmd);
            if (up.code() != 0) {
                fail("dev/up failed:\n" + up.output());
            }
            instance = new Suite(root, readEnv(root.resolve(".canary/env")));
            if (!"1".equals(System.getenv("CANARY_E2E_KEEP"))) {
                Runtime.getRuntime()
                        .addShutdownHook(
                                new Thread(() -> run(root, Duration.ofMinutes(3), "dev/down")));
            }
        }
        return instance;
    }

    /** Whether {@link #get()} started {@code dev/up} in this JVM (and stops it at exit). */
    static synchronized boolean started() {
        return instance != null;
    }

    /**
     * The suite whose infrastructure runs already (e.g. {@code dev/up --compose-infra}): its {@code
     * .canary/env}, no {@code dev/up}.
     */
    static Suite attach(Path root) {
        return new Suite(root, readEnv(root.resolve(".canary/env")));
    }

    String env(String name) {
        String v = env.get(name);
        if (v == null) fail(".canary/env has no " + name);
        return v;
    }

    record Result(int code, String output) {}

    static Result run(Path root, Duration timeout, String... cmd) {
        return run(root, timeout, true, cmd);
    }

    static Result run(Path root, Duration timeout, boolean print, String... cmd) {
        try {
            Path log = Files.createTempFile("e2e-cmd", ".log");
            Process p =
                    new ProcessBuilder(cmd)
                            .directory(root.toFile())
                            .redirectErrorStream(true)
                            .redirectOutput(log.toFile())
                            .start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return new Result(
                        -1, String.join(" ", cmd) + " timed out:\n" + Files.readString(log));
            }
            String out = Files.readString(log);
            Files.deleteIfExists(log);
            if (print) System.out.println("$ " + String.join(" ", cmd) + "\n" + out);
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    Result run(String... cmd) {
        return run(root, Duration.ofMinutes(5), cmd);
    }

    private static Map<String, String> readEnv(Path file) {
        Map<String, String> env = new HashMap<>();
        try {
            for (String line : Files.readAllLines(file)) {
                Matcher m = Pattern.compile("^export ([A-Z0-9_]+)=(.*)$").matcher(line.strip());
                if (m.matches()) {
                    String v = m.group(2);
                    if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                        v = v.substring(1, v.length() - 1);
                    }
                    env.put(m.group(1), v);
                }
            }
        } catch (IOException e) {
            fail("cannot read " + file + ": " + e);
        }
        return env;
    }

    /** Commits the next version of the example app and sends GitHub's push webhook. */
    String pushChange(boolean broken) {
        return broken ? pushChange("--broken") : pushChange(new String[0]);
    }

    /** {@code dev/push-change} with these options; the release id the gateway answered. */
    String pushChange(String... options) {
        String[] cmd = new String[options.length + 1];
        cmd[0] = "dev/push-change";
        System.arraycopy(options, 0, cmd, 1, options.length);
        Result r = run(cmd);
        assertEquals(0, r.code(), "dev/push-change failed:\n" + r.output());
        Matcher m = Pattern.compile("\"releaseId\"\\s*:\\s*\"([^\"]+)\"").matcher(r.output());
        if (!m.find()) fail("no release id in the gateway's answer:\n" + r.output());
        return m.group(1);
    }

    /** The pid of a component started by dev/up (from its pid file). */
    long pid(String component) {
        try {
            return Long.parseLong(
                    Files.readString(root.resolve(".canary/run/" + component + ".pid")).strip());
        } catch (IOException e) {
            throw new IllegalStateException("no pid file for " + component, e);
        }
    }

    /** {@code kill -9} of a component, as a crash. */
    void crash(String component) {
        long pid = pid(component);
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        ProcessHandle.of(pid)
                .ifPresent(
                        h -> {
                            try {
                                h.onExit().get(30, TimeUnit.SECONDS);
                            } catch (Exception e) {
                                fail(component + " did not die: " + e);
                            }
                        });
    }

    /**
     * The last {@code max} WARN and ERROR lines (not the Kafka client's) of a service's log under
     * {@code .canary/logs}, to put beside a failure: what the service itself said went wrong.
     */
    String warnings(String service, int max) {
        Path log = root.resolve(".canary/logs/" + service + ".log");
        Path before = root.resolve(".canary/logs/" + service + ".log.1");
        try {
            List<String> lines = new ArrayList<>();
            if (Files.exists(before)) lines.addAll(Files.readAllLines(before));
            lines.addAll(Files.readAllLines(log));
            List<String> hits =
                    lines.stream()
                            .filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))
                            .filter(l -> !l.contains("[or.ap.ka.")) // Kafka client chatter
                            .toList();
            List<String> tail = hits.subList(Math.max(0, hits.size() - max), hits.size());
            return service
                    + " warnings (last "
                    + tail.size()
                    + "):\n  "
                    + String.join("\n  ", tail)
                    + "\n";
        } catch (IOException | RuntimeException e) {
            return service + ": cannot read " + log + ": " + e + "\n";
        }
    }

    /** {@code dev/up} again: starts what is not running, changes nothing else. */
    void upAgain() {
        Result r = run(root, Duration.ofMinutes(5), "dev/up", "--no-build");
        assertEquals(0, r.code(), "dev/up failed:\n" + r.output());
    }

    HttpResponse<String> get(String url, String token) {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return send(b.GET().build());
    }

    HttpResponse<String> post(String url, String token, String json) {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json");
        if (token != null) b.header("Authorization", "Bearer " + token);
        return send(
                b.POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)).build());
    }

    private HttpResponse<String> send(HttpRequest r) {
        try {
            return http.send(r, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(r.uri() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The HAProxy runtime API through socat, as an operator would ask it. */
    String haproxy(String command) {
        Result r =
                run(
                        root,
                        Duration.ofSeconds(30),
                        false,
                        "bash",
                        "-c",
                        "echo '"
                                + command
                                + "' | socat stdio UNIX-CONNECT:"
                                + env("HAPROXY_SOCKET"));
        assertEquals(0, r.code(), r.output());
        return r.output();
    }

    static List<String> lines(String s) {
        return new ArrayList<>(List.of(s.split("\n")));
    }
}
