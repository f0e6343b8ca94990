package dev.canaryrelease.deploy.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.command.InspectContainerResponse;

import dev.canaryrelease.fleet.Fleet;

import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.connection.channel.direct.Session;

/**
 * The {@code ssh} driver: runs the {@code docker} CLI on the host over SSH (sshj). The host key is
 * checked against the fleet's known_hosts file (never accepted blindly), the client authenticates
 * with its key, and every command is built from an argument list, each argument single-quoted, so
 * nothing that came in an event can reach the remote shell as syntax.
 */
public final class SshDockerHost implements ContainerHost {
    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final String hostName;
    private final Fleet.Ssh target;
    private final String dockerHost;
    private final Duration connectTimeout;
    private final Duration callTimeout;
    private SSHClient ssh;

    public SshDockerHost(Fleet.Host host, Duration connectTimeout, Duration callTimeout) {
        this.hostName = host.name();
        Fleet.Docker d = host.docker().orElseThrow();
        this.target =
                d.ssh()
                        .orElseThrow(
                                () -> new HostException(host.name() + ": ssh driver without ssh"));
        this.dockerHost = d.endpoint();
        this.connectTimeout = connectTimeout;
        this.callTimeout = callTimeout;
    }

    @Override
    public String describe() {
        return hostName
                + " (ssh "
                + target.user()
                + "@"
                + target.host()
                + ":"
                + target.port()
                + ")";
    }

    /** POSIX shell single-quoting: the argument is one word, whatever it contains. */
    static String quote(String arg) {
        return "'" + arg.replace("'", "'\\''") + "'";
    }

    /** The remote command line for {@code docker args...}, every part quoted. */
    String commandLine(List<String> args) {
        StringBuilder sb = new StringBuilder();
        if (dockerHost != null && !dockerHost.isBlank()) {
            sb.append("env ").append(quote("DOCKER_HOST=" + dockerHost)).append(' ');
        }
        sb.append("docker");
        for (String a : args) sb.append(' ').append(quote(a));
        return sb.toString();
    }

    private synchronized SSHClient client() throws IOException {
        if (ssh != null && ssh.isConnected() && ssh.isAuthenticated()) return ssh;
        if (ssh != null) {
            try {
                ssh.close();
            } catch (IOException e) {
                // reconnecting
            }
        }
        SSHClient c = new SSHClient();
        try {
            c.loadKnownHosts(target.knownHosts().toFile());
            c.setConnectTimeout((int) connectTimeout.toMillis());
            c.setTimeout((int) callTimeout.toMillis());
            c.connect(target.host(), target.port());
            c.authPublickey(target.user(), c.loadKeys(target.privateKey().toString()));
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        ssh = c;
        return c;
    }

    record Result(int exit, String out, String err) {}

    Result run(List<String> args) {
        String line = commandLine(args);
        try {
            SSHClient c = client();
            try (Session s = c.startSession()) {
                Session.Command cmd = s.exec(line);
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                Thread errReader = new Thread(() -> copy(cmd.getErrorStream(), err), "ssh-stderr");
                errReader.setDaemon(true);
                errReader.start();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                copy(cmd.getInputStream(), out);
                cmd.join(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
                errReader.join(5000);
                Integer exit = cmd.getExitStatus();
                return new Result(
                        exit == null ? -1 : exit,
                        out.toString(StandardCharsets.UTF_8),
                        err.toString(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            synchronized (this) {
                ssh = null;
            }
            throw new HostException(describe() + ": docker " + args.get(0) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostException(describe() + ": interrupted", e);
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException e) {
            // the channel closed
        }
    }

    private String ok(String... args) {
        Result r = run(Arrays.asList(args));
        if (r.exit() != 0) {
            throw new HostException(
                    describe()
                            + ": docker "
                            + args[0]
                            + " "
                            + (args.length > 1 ? args[1] : "")
                            + " exited "
                            + r.exit()
                            + ": "
                            + r.err().strip());
        }
        return r.out();
    }

    @Override
    public List<ContainerSpec> appContainers(String name) {
        String ids =
                ok("ps", "-a", "--no-trunc", "--filter", "name=" + name, "--format", "{{.ID}}");
        List<String> args = new ArrayList<>(List.of("container", "inspect"));
        for (String id : ids.strip().split("\\s+")) {
            if (!id.isEmpty()) args.add(id);
        }
        if (args.size() == 2) return List.of();
        List<ContainerSpec> out = new ArrayList<>();
        for (ContainerSpec c : parse(ok(args.toArray(String[]::new)))) {
            String n = c.name();
            if (n.equals(name)
                    || (n.startsWith(name)
                            && DockerApiHost.RETAINED
                                    .matcher(n.substring(name.length()))
                                    .matches())) {
                out.add(c);
            }
        }
        return out;
    }

    private List<ContainerSpec> parse(String json) {
        try {
            InspectContainerResponse[] r = JSON.readValue(json, InspectContainerResponse[].class);
            return Arrays.stream(r).map(DockerApiHost::toSpec).toList();
        } catch (IOException e) {
            throw new HostException(describe() + ": unreadable docker inspect output: " + e, e);
        }
    }

    @Override
    public ContainerSpec inspect(String id) {
        return parse(ok("container", "inspect", id)).get(0);
    }

    @Override
    public void pull(String reference) {
        ok("pull", "-q", reference);
    }

    @Override
    public ImageConfig imageConfig(String image) {
        Result r = run(List.of("image", "inspect", image));
        if (r.exit() != 0) return ImageConfig.NONE;
        try {
            JsonNode c = JSON.readTree(r.out()).get(0).path("Config");
            JsonNode hc = c.path("Healthcheck").path("Test");
            boolean health = hc.isArray() && hc.size() > 0 && !"NONE".equals(hc.get(0).asText());
            @SuppressWarnings("unchecked")
            Map<String, String> labels =
                    c.path("Labels").isObject()
                            ? JSON.convertValue(c.get("Labels"), Map.class)
                            : null;
            return new ImageConfig(
                    strings(c.path("Env")),
                    strings(c.path("Cmd")),
                    strings(c.path("Entrypoint")),
                    labels,
                    health);
        } catch (IOException e) {
            throw new HostException(describe() + ": unreadable image inspect output", e);
        }
    }

    private static List<String> strings(JsonNode n) {
        if (!n.isArray()) return List.of();
        List<String> out = new ArrayList<>();
        n.forEach(x -> out.add(x.asText()));
        return out;
    }

    @Override
    public List<String> repoDigests(String image) {
        Result r = run(List.of("image", "inspect", image));
        if (r.exit() != 0) return List.of();
        try {
            return strings(JSON.readTree(r.out()).get(0).path("RepoDigests"));
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public String create(String name, ContainerSpec spec) {
        List<String> a =
                new ArrayList<>(List.of("create", "--pull", "never", "--name", name, "--init"));
        for (String e : spec.env()) a.addAll(List.of("-e", e));
        for (ContainerSpec.PortBinding p : spec.ports()) {
            String host = p.hostIp().isEmpty() ? "" : p.hostIp() + ":";
            a.addAll(List.of("-p", host + p.hostPort() + ":" + p.containerPort()));
        }
        for (Map.Entry<String, String> l : spec.labels().entrySet()) {
            a.addAll(List.of("--label", l.getKey() + "=" + l.getValue()));
        }
        if (!spec.restartPolicy().isEmpty()) {
            a.addAll(
                    List.of(
                            "--restart",
                            spec.restartPolicy().equals("on-failure")
                                            && spec.restartMaxRetries() > 0
                                    ? "on-failure:" + spec.restartMaxRetries()
                                    : spec.restartPolicy()));
        }
        if (spec.networkMode() != null && !spec.networkMode().isEmpty()) {
            a.addAll(List.of("--network", spec.networkMode()));
        }
        if (spec.hostname() != null && !spec.hostname().isEmpty()) {
            a.addAll(List.of("--hostname", spec.hostname()));
        }
        List<String> cmd = new ArrayList<>(spec.cmd());
        if (!spec.entrypoint().isEmpty()) {
            a.addAll(List.of("--entrypoint", spec.entrypoint().get(0)));
            cmd.addAll(0, spec.entrypoint().subList(1, spec.entrypoint().size()));
        }
        a.add(spec.image());
        a.addAll(cmd);
        return ok(a.toArray(String[]::new)).strip();
    }

    @Override
    public void start(String id) {
        ok("start", id);
    }

    @Override
    public void stop(String id, Duration grace) {
        ok("stop", "-t", Long.toString(grace.toSeconds()), id);
    }

    @Override
    public void rename(String id, String newName) {
        ok("rename", id, newName);
    }

    @Override
    public void remove(String id) {
        Result r = run(List.of("rm", "-f", id));
        if (r.exit() != 0 && !r.err().contains("No such container")) {
            throw new HostException(describe() + ": docker rm " + id + ": " + r.err().strip());
        }
    }

    @Override
    public String logs(String id, int lines) {
        Result r = run(List.of("logs", "--tail", Integer.toString(lines), id));
        return r.out() + r.err();
    }

    @Override
    public synchronized void close() {
        if (ssh != null) {
            try {
                ssh.close();
            } catch (IOException e) {
                // closing
            }
            ssh = null;
        }
    }
}
