package dev.canaryrelease.deploy.client;

import java.io.IOException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.PullImageResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;

import dev.canaryrelease.deploy.domain.ContainerSpec;
import dev.canaryrelease.deploy.domain.ImageConfig;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.transport.HostResolver;
import dev.canaryrelease.transport.PemSslConfig;
import dev.canaryrelease.transport.SshDockerHttpClient;

/**
 * Both drivers' docker-java code: the {@code docker-api} driver (TCP with TLS client certificates,
 * or a unix socket, over the Apache httpclient5 transport) and the {@code ssh} driver (the same API
 * through an SSH channel, {@link SshDockerHttpClient}), with timeouts on every call.
 */
public final class DockerApiHost implements ContainerHost {
    static final Pattern RETAINED = Pattern.compile("-[0-9a-f]{12}");

    private final String description;
    private final DockerClient docker;
    private final Duration callTimeout;
    private final AuthConfig pullAuth;

    /** The {@code docker-api} driver, pulling anonymously. */
    public DockerApiHost(Fleet.Host host, Duration connectTimeout, Duration callTimeout) {
        this(host, connectTimeout, callTimeout, null);
    }

    /**
     * The {@code docker-api} driver: the engine's own endpoint, TLS for {@code tcp://}. {@code
     * pullAuth} (nullable: anonymous) is sent to the engine with every pull: the registry
     * credentials the engine pulls with (the engine keeps none of its own).
     */
    public DockerApiHost(
            Fleet.Host host, Duration connectTimeout, Duration callTimeout, AuthConfig pullAuth) {
        this(host, HostResolver.SYSTEM, connectTimeout, callTimeout, pullAuth);
    }

    /**
     * The {@code docker-api} driver, the endpoint's host resolved by {@code resolver} (the suite's
     * DNS for the fleet's names) when the client is made; the engine's certificate must then carry
     * that name ({@link PemSslConfig#PemSslConfig(Fleet.Tls, String)}).
     */
    public DockerApiHost(
            Fleet.Host host,
            HostResolver resolver,
            Duration connectTimeout,
            Duration callTimeout,
            AuthConfig pullAuth) {
        Fleet.Docker d = host.docker().orElseThrow();
        HostResolver.Endpoint resolved;
        try {
            resolved = resolver.endpoint(d.endpoint());
        } catch (UnknownHostException e) {
            throw new HostException(host.name() + ": " + e.getMessage());
        }
        String endpoint = resolved.uri().toString();
        this.description =
                host.name()
                        + " (docker-api "
                        + d.endpoint()
                        + (resolved.serverName() == null ? "" : " at " + resolved.uri().getHost())
                        + ")";
        this.callTimeout = callTimeout;
        this.pullAuth = pullAuth;
        DefaultDockerClientConfig.Builder cfg =
                DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(endpoint);
        if (endpoint.startsWith("tcp://")) {
            Fleet.Tls tls =
                    d.tls()
                            .orElseThrow(
                                    () ->
                                            new HostException(
                                                    host.name() + ": tcp endpoint without TLS"));
            cfg.withDockerTlsVerify(true)
                    .withCustomSslConfig(new PemSslConfig(tls, resolved.serverName()));
        } else {
            cfg.withDockerTlsVerify(false);
        }
        DefaultDockerClientConfig config = cfg.build();
        ApacheDockerHttpClient http =
                new ApacheDockerHttpClient.Builder()
                        .dockerHost(config.getDockerHost())
                        .sslConfig(config.getSSLConfig())
                        .connectionTimeout(connectTimeout)
                        .responseTimeout(callTimeout)
                        .maxConnections(8)
                        .build();
        this.docker = DockerClientImpl.getInstance(config, http);
    }

    /**
     * The same code over a prepared transport, e.g. the {@code ssh} driver's {@link
     * SshDockerHttpClient}. {@code description} names the host and the way to it, e.g. {@code
     * docker1 (ssh root@127.0.0.12:2222 → unix:///var/run/docker.sock)}; {@code endpoint} is the
     * engine as the transport reaches it. The host owns {@code http} and closes it.
     */
    public DockerApiHost(
            String description, String endpoint, DockerHttpClient http, Duration callTimeout) {
        this(description, endpoint, http, callTimeout, null);
    }

    /**
     * {@link #DockerApiHost(String, String, DockerHttpClient, Duration)}, pulling with {@code
     * pullAuth}.
     */
    public DockerApiHost(
            String description,
            String endpoint,
            DockerHttpClient http,
            Duration callTimeout,
            AuthConfig pullAuth) {
        this.description = description;
        this.callTimeout = callTimeout;
        this.pullAuth = pullAuth;
        DefaultDockerClientConfig config =
                DefaultDockerClientConfig.createDefaultConfigBuilder()
                        .withDockerHost(endpoint)
                        .withDockerTlsVerify(false)
                        .build();
        this.docker = DockerClientImpl.getInstance(config, http);
    }

    /** The {@code ssh} driver, pulling anonymously. */
    public static DockerApiHost overSsh(
            Fleet.Host host, Duration connectTimeout, Duration callTimeout) {
        return overSsh(host, connectTimeout, callTimeout, null);
    }

    /**
     * The {@code ssh} driver: this code over {@link SshDockerHttpClient}, pulling with {@code
     * pullAuth}.
     */
    public static DockerApiHost overSsh(
            Fleet.Host host, Duration connectTimeout, Duration callTimeout, AuthConfig pullAuth) {
        return overSsh(host, HostResolver.SYSTEM, connectTimeout, callTimeout, pullAuth);
    }

    /** The {@code ssh} driver, the SSH host resolved by {@code resolver}. */
    public static DockerApiHost overSsh(
            Fleet.Host host,
            HostResolver resolver,
            Duration connectTimeout,
            Duration callTimeout,
            AuthConfig pullAuth) {
        Fleet.Docker d = host.docker().orElseThrow();
        Fleet.Ssh ssh =
                d.ssh()
                        .orElseThrow(
                                () -> new HostException(host.name() + ": ssh driver without ssh"));
        SshDockerHttpClient http =
                new SshDockerHttpClient(ssh, resolver, d.endpoint(), connectTimeout, callTimeout);
        return new DockerApiHost(
                host.name() + " (" + http.describe() + ")",
                http.endpoint(),
                http,
                callTimeout,
                pullAuth);
    }

    @Override
    public String describe() {
        return description;
    }

    private HostException fail(String what, Exception e) {
        String msg = e.getMessage() == null ? e.toString() : e.getMessage().strip();
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        if (root != e && root.getMessage() != null && !msg.contains(root.getMessage().strip())) {
            msg = msg + " (" + root.getMessage().strip() + ")";
        }
        return new HostException(describe() + ": " + what + ": " + msg, e);
    }

    @Override
    public List<ContainerSpec> appContainers(String name) {
        try {
            List<ContainerSpec> out = new ArrayList<>();
            for (var c :
                    docker.listContainersCmd()
                            .withShowAll(true)
                            .withNameFilter(List.of(name))
                            .exec()) {
                String n = c.getNames() == null || c.getNames().length == 0 ? "" : c.getNames()[0];
                n = n.startsWith("/") ? n.substring(1) : n;
                if (n.equals(name)
                        || (n.startsWith(name)
                                && RETAINED.matcher(n.substring(name.length())).matches())) {
                    out.add(inspect(c.getId()));
                }
            }
            return out;
        } catch (RuntimeException e) {
            if (e instanceof HostException he) throw he;
            throw fail("list containers", e);
        }
    }

    @Override
    public ContainerSpec inspect(String id) {
        try {
            return toSpec(docker.inspectContainerCmd(id).exec());
        } catch (RuntimeException e) {
            throw fail("inspect " + id, e);
        }
    }

    static ContainerSpec toSpec(InspectContainerResponse r) {
        var cfg = r.getConfig();
        HostConfig hc = r.getHostConfig();
        List<ContainerSpec.PortBinding> ports = new ArrayList<>();
        if (hc != null && hc.getPortBindings() != null) {
            for (Map.Entry<ExposedPort, Ports.Binding[]> e :
                    hc.getPortBindings().getBindings().entrySet()) {
                if (e.getValue() == null) continue;
                for (Ports.Binding b : e.getValue()) {
                    ports.add(
                            new ContainerSpec.PortBinding(
                                    e.getKey().toString(),
                                    b.getHostIp() == null ? "" : b.getHostIp(),
                                    b.getHostPortSpec() == null ? "" : b.getHostPortSpec()));
                }
            }
        }
        var state = r.getState();
        String health =
                state != null && state.getHealth() != null ? state.getHealth().getStatus() : null;
        String name =
                r.getName() != null && r.getName().startsWith("/")
                        ? r.getName().substring(1)
                        : r.getName();
        RestartPolicy rp = hc == null ? null : hc.getRestartPolicy();
        return new ContainerSpec(
                r.getId(),
                name,
                cfg.getImage(),
                r.getImageId(),
                cfg.getEnv() == null ? List.of() : Arrays.asList(cfg.getEnv()),
                cfg.getCmd() == null ? List.of() : Arrays.asList(cfg.getCmd()),
                cfg.getEntrypoint() == null ? List.of() : Arrays.asList(cfg.getEntrypoint()),
                cfg.getHostName(),
                cfg.getLabels(),
                rp == null || rp.getName() == null ? "" : rp.getName(),
                rp == null || rp.getMaximumRetryCount() == null ? 0 : rp.getMaximumRetryCount(),
                hc == null ? null : hc.getNetworkMode(),
                ports,
                state == null ? "unknown" : state.getStatus(),
                health,
                instant(r.getCreated()),
                state == null ? null : instant(state.getFinishedAt()),
                state == null || state.getExitCodeLong() == null
                        ? null
                        : state.getExitCodeLong().intValue(),
                r.getRestartCount() == null ? 0 : r.getRestartCount());
    }

    static Instant instant(String s) {
        if (s == null || s.isBlank() || s.startsWith("0001-")) return null;
        try {
            return Instant.parse(s);
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public void pull(String reference) {
        try {
            var cmd = docker.pullImageCmd(reference);
            if (pullAuth != null) cmd.withAuthConfig(pullAuth);
            cmd.exec(new PullImageResultCallback())
                    .awaitCompletion(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
            // awaitCompletion returns false on timeout; the image must be there now.
            docker.inspectImageCmd(reference).exec();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw fail("pull " + reference, e);
        } catch (RuntimeException e) {
            throw fail("pull " + reference, e);
        }
    }

    @Override
    public ImageConfig imageConfig(String image) {
        try {
            var c = docker.inspectImageCmd(image).exec().getConfig();
            if (c == null) return ImageConfig.NONE;
            var hc = c.getHealthcheck();
            boolean health =
                    hc != null
                            && hc.getTest() != null
                            && !hc.getTest().isEmpty()
                            && !"NONE".equals(hc.getTest().get(0));
            return new ImageConfig(
                    c.getEnv() == null ? null : Arrays.asList(c.getEnv()),
                    c.getCmd() == null ? null : Arrays.asList(c.getCmd()),
                    c.getEntrypoint() == null ? null : Arrays.asList(c.getEntrypoint()),
                    c.getLabels(),
                    health);
        } catch (NotFoundException e) {
            return ImageConfig.NONE;
        } catch (RuntimeException e) {
            throw fail("inspect image " + image, e);
        }
    }

    @Override
    public List<String> repoDigests(String image) {
        try {
            List<String> d = docker.inspectImageCmd(image).exec().getRepoDigests();
            return d == null ? List.of() : d;
        } catch (NotFoundException e) {
            return List.of();
        } catch (RuntimeException e) {
            throw fail("inspect image " + image, e);
        }
    }

    @Override
    public String create(String name, ContainerSpec spec) {
        try {
            Ports bindings = new Ports();
            List<ExposedPort> exposed = new ArrayList<>();
            for (ContainerSpec.PortBinding p : spec.ports()) {
                ExposedPort ep = ExposedPort.parse(p.containerPort());
                exposed.add(ep);
                bindings.bind(
                        ep,
                        new Ports.Binding(
                                p.hostIp().isEmpty() ? null : p.hostIp(),
                                p.hostPort().isEmpty() ? null : p.hostPort()));
            }
            HostConfig hc = HostConfig.newHostConfig().withInit(true).withPortBindings(bindings);
            if (!spec.restartPolicy().isEmpty() && !spec.restartPolicy().equals("no")) {
                hc.withRestartPolicy(
                        spec.restartPolicy().equals("on-failure")
                                ? RestartPolicy.onFailureRestart(spec.restartMaxRetries())
                                : RestartPolicy.parse(spec.restartPolicy()));
            }
            if (spec.networkMode() != null && !spec.networkMode().isEmpty()) {
                hc.withNetworkMode(spec.networkMode());
            }
            CreateContainerCmd cmd =
                    docker.createContainerCmd(spec.image())
                            .withName(name)
                            .withEnv(spec.env())
                            .withLabels(spec.labels())
                            .withExposedPorts(exposed)
                            .withHostConfig(hc);
            if (!spec.cmd().isEmpty()) cmd.withCmd(spec.cmd());
            if (!spec.entrypoint().isEmpty()) cmd.withEntrypoint(spec.entrypoint());
            if (spec.hostname() != null && !spec.hostname().isEmpty()) {
                cmd.withHostName(spec.hostname());
            }
            return cmd.exec().getId();
        } catch (RuntimeException e) {
            throw fail("create " + name, e);
        }
    }

    @Override
    public void start(String id) {
        try {
            docker.startContainerCmd(id).exec();
        } catch (com.github.dockerjava.api.exception.NotModifiedException e) {
            // already running
        } catch (RuntimeException e) {
            throw fail("start " + id, e);
        }
    }

    @Override
    public void stop(String id, Duration grace) {
        try {
            docker.stopContainerCmd(id).withTimeout((int) grace.toSeconds()).exec();
        } catch (com.github.dockerjava.api.exception.NotModifiedException e) {
            // already stopped
        } catch (RuntimeException e) {
            throw fail("stop " + id, e);
        }
    }

    @Override
    public void rename(String id, String newName) {
        try {
            docker.renameContainerCmd(id).withName(newName).exec();
        } catch (RuntimeException e) {
            throw fail("rename " + id + " to " + newName, e);
        }
    }

    @Override
    public void remove(String id) {
        try {
            docker.removeContainerCmd(id).withForce(true).exec();
        } catch (NotFoundException e) {
            // gone already
        } catch (RuntimeException e) {
            throw fail("remove " + id, e);
        }
    }

    @Override
    public String logs(String id, int lines) {
        StringBuilder sb = new StringBuilder();
        try {
            docker.logContainerCmd(id)
                    .withStdOut(true)
                    .withStdErr(true)
                    .withTail(lines)
                    .exec(
                            new ResultCallback.Adapter<Frame>() {
                                @Override
                                public void onNext(Frame f) {
                                    sb.append(
                                            new String(
                                                    f.getPayload(),
                                                    java.nio.charset.StandardCharsets.UTF_8));
                                }
                            })
                    .awaitCompletion(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            return "(no logs: " + e.getMessage() + ")";
        }
        return sb.toString();
    }

    @Override
    public void close() {
        try {
            docker.close();
        } catch (IOException e) {
            // closing
        }
    }
}
