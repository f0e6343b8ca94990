package dev.canaryrelease.builder.client;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.BuildResponseItem;
import com.github.dockerjava.api.model.PushResponseItem;
import com.github.dockerjava.api.model.ResponseItem;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;

import dev.canaryrelease.builder.config.BuildConfig;
import dev.canaryrelease.builder.domain.BuildFailure;
import dev.canaryrelease.builder.domain.BuildLog;
import dev.canaryrelease.builder.domain.Cancellation;
import dev.canaryrelease.builder.domain.Reasons;
import dev.canaryrelease.common.registry.RegistryLogin;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.transport.HostResolver;
import dev.canaryrelease.transport.PemSslConfig;

/**
 * The build engine of the fleet ({@code build.host}), through docker-java: TLS with the host's
 * client certificate for {@code tcp://} endpoints, or its unix socket. Builds never pull (base
 * images are checked before, see {@code DockerfileCheck}); errors come back as {@link
 * BuildFailure}s in the words of {@link Reasons}.
 */
@ApplicationScoped
public class DockerEngineClient {
    private static final Pattern STEP = Pattern.compile("^Step \\d+/\\d+ : .*");
    private static final Pattern RUNNING_IN = Pattern.compile("---> Running in ([0-9a-f]{12,64})");
    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final Pattern PUSHED_DIGEST = Pattern.compile("digest: (sha256:[0-9a-f]{64})");

    private final Fleet fleet;
    private final BuildConfig config;

    /**
     * build-service's registry user, or null (anonymous pushes, which an authenticated registry
     * refuses).
     */
    private final AuthConfig pushAuth;

    private DockerClient client;
    private DockerHttpClient http;

    public DockerEngineClient(Fleet fleet, BuildConfig config, RegistryLogin registryLogin) {
        this.fleet = fleet;
        this.config = config;
        this.pushAuth =
                registryLogin
                        .credentials()
                        .map(
                                c ->
                                        new AuthConfig()
                                                .withUsername(c.user())
                                                .withPassword(c.password())
                                                .withRegistryAddress(fleet.registry().address()))
                        .orElse(null);
    }

    /** The name of the build host and its endpoint, for logs and reasons. */
    public String describe() {
        return fleet.buildHost() + " (" + docker().endpoint() + ")";
    }

    private Fleet.Docker docker() {
        return fleet.host(fleet.buildHost())
                .flatMap(Fleet.Host::docker)
                .orElseThrow(
                        () ->
                                new IllegalStateException(
                                        "build host " + fleet.buildHost() + " has no engine"));
    }

    private synchronized DockerClient client() {
        if (client == null) {
            Fleet.Docker d = docker();
            // the endpoint's name through the suite's DNS; the engine's certificate must carry it
            HostResolver.Endpoint resolved;
            try {
                resolved = HostResolver.of(fleet).endpoint(d.endpoint());
            } catch (UnknownHostException e) {
                throw new UncheckedIOException(e);
            }
            http =
                    new ApacheDockerHttpClient.Builder()
                            .dockerHost(resolved.uri())
                            .sslConfig(
                                    d.tls()
                                            .map(t -> new PemSslConfig(t, resolved.serverName()))
                                            .orElse(null))
                            .connectionTimeout(config.build().engineConnectTimeout())
                            // without it the connect timeout stays the socket's read timeout, and
                            // a build step silent for that long failed; the deadline bounds it
                            .responseTimeout(longestDeadline().plusMinutes(1))
                            .maxConnections(16)
                            .build();
            var cfg =
                    DefaultDockerClientConfig.createDefaultConfigBuilder()
                            .withDockerHost(resolved.uri().toString())
                            .withDockerTlsVerify(false)
                            .build();
            client = DockerClientImpl.getInstance(cfg, http);
        }
        return client;
    }

    /** The longest build deadline of any app (the service's default or the fleet's). */
    private Duration longestDeadline() {
        Duration d = config.build().deadline();
        for (Fleet.App a : fleet.apps()) {
            Duration own = a.build().deadline().orElse(d);
            d = own.compareTo(d) > 0 ? own : d;
        }
        return d;
    }

    /** Checks that the engine answers; {@code engine unreachable} otherwise. */
    public void ping() throws BuildFailure {
        try {
            client().pingCmd().exec();
        } catch (RuntimeException e) {
            throw new BuildFailure(
                    Reasons.of(Reasons.ENGINE_UNREACHABLE, describe() + ": " + rootMessage(e)), e);
        }
    }

    /**
     * Checks that the engine runs its containers in a user namespace ({@code userns} or {@code
     * rootless} among its security options), so that {@code nproc} bounds root steps too; {@code
     * engine not isolated} otherwise, unless {@code canary.build.require-userns=false}.
     */
    public void checkIsolation(String app) throws BuildFailure {
        if (!config.build().requireUserns()) {
            return;
        }
        List<String> options;
        try {
            options = client().infoCmd().exec().getSecurityOptions();
        } catch (RuntimeException e) {
            throw new BuildFailure(
                    Reasons.of(Reasons.ENGINE_UNREACHABLE, describe() + ": " + rootMessage(e)), e);
        }
        if (!isolated(options)) {
            throw new BuildFailure(
                    Reasons.of(
                            Reasons.ENGINE_NOT_ISOLATED,
                            describe()
                                    + " runs build steps as the host's root (no --userns-remap,"
                                    + " not rootless), where the kernel does not apply the pids"
                                    + " limit (fleet: apps."
                                    + app
                                    + ".build.pids); start its dockerd with"
                                    + " --userns-remap=default, or set"
                                    + " canary.build.require-userns=false to accept it"));
        }
    }

    /**
     * Whether {@code docker info}'s security options name a user namespace or a rootless engine.
     */
    static boolean isolated(List<String> securityOptions) {
        if (securityOptions == null) {
            return false;
        }
        for (String o : securityOptions) {
            for (String part : o.split(",")) {
                if (part.equals("name=userns") || part.equals("name=rootless")) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Builds {@code context} (its Dockerfile is {@link ContextTar#DOCKERFILE}) tagged {@code
     * imageRef}, each step bounded by {@code limits}. Returns the image id.
     *
     * <p>The request is made here rather than through docker-java's {@code BuildImageCmd}, which
     * has no {@code cpuquota}, {@code cpuperiod} or {@code ulimits}. The classic builder gives each
     * {@code RUN} step's container {@code memory} and {@code memswap} (the same value: no swap), a
     * CFS quota of {@code cpus} cores ({@code cpuperiod} 100 ms, {@code cpuquota}) and the {@code
     * nproc} ulimit; its build options have no pids limit (moby {@code hostConfigFromOptions}
     * copies no {@code PidsLimit}), so {@code nproc} is the bound on processes the build API
     * offers. The kernel applies {@code RLIMIT_NPROC} per user of the host and not to its uid 0, so
     * it bounds root steps only on an engine whose containers run in a user namespace, which {@link
     * #checkIsolation} requires. The count is per host uid: builds that run at once on one engine,
     * and its other containers, share it.
     *
     * <p>A cancel (newer commit, deadline) closes the request: the engine cancels the build and
     * removes the step's container ({@code forcerm}); the containers this build started are then
     * removed by id, in case one outlived the stream, and the build thread returns.
     */
    public String build(
            ContextTar context,
            String imageRef,
            Fleet.BuildLimits limits,
            BuildLog log,
            Cancellation cancel)
            throws BuildFailure {
        BuildCallback cb = new BuildCallback(log);
        try {
            client();
            InputStream tar = context.stream();
            cancel.onCancel(tar);
            DockerHttpClient.Request request =
                    DockerHttpClient.Request.builder()
                            .method(DockerHttpClient.Request.Method.POST)
                            .path("/build?" + buildQuery(imageRef, limits))
                            .putHeader("Content-Type", "application/x-tar")
                            // XX                            .putHeader("X-Registry-Config",
                            // registryConfig())
                            .body(tar)
                            .build();
            try (DockerHttpClient.Response response = http.execute(request)) {
                cancel.onCancel(response);
                if (response.getStatusCode() != 200) {
                    String body = new String(response.getBody().readAllBytes(), UTF_8);
                    cb.error = errorMessage(body, response.getStatusCode());
                    log.line("ERROR: " + cb.error);
                } else {
                    try (MappingIterator<BuildResponseItem> items =
                            JSON.readerFor(BuildResponseItem.class)
                                    .readValues(response.getBody())) {
                        while (items.hasNextValue()) {
                            cb.onNext(items.nextValue());
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            cancel.check();
            if (cb.error == null) {
                throw engineFailure(Reasons.BUILD_FAILED, e);
            }
        } finally {
            cancel.clear();
            if (cancel.cancelled()) {
                removeContainers(cb.containers, log);
            }
        }
        cancel.check();
        if (cb.error != null) {
            int n = config.build().reasonLogLines();
            String errorLine = "ERROR: " + cb.error.strip();
            List<String> tail =
                    log.lastLines(n + 1).stream().filter(l -> !l.equals(errorLine)).toList();
            tail = tail.subList(Math.max(0, tail.size() - n), tail.size());
            String detail =
                    (cb.lastStep == null ? "" : cb.lastStep + " → ")
                            + cb.error.strip()
                            + (tail.isEmpty()
                                    ? ""
                                    : "\nlast log lines:\n" + String.join("\n", tail));
            throw new BuildFailure(
                    Reasons.of(
                            cb.lastStep == null ? Reasons.BUILD_FAILED : Reasons.STEP_FAILED,
                            detail));
        }
        if (cb.imageId == null) {
            throw new BuildFailure(
                    Reasons.of(
                            Reasons.BUILD_FAILED, "the engine ended the build without an image"));
        }
        return cb.imageId;
    }

    /**
     * The {@code X-Registry-Config} of {@code POST /build}: the service's registry credentials for
     * the fleet's registry (base64url of {@code {"<address>": {"username", "password"}}}), so a
     * {@code FROM <registry>/…} base the engine lacks is pulled as build-service; {@code {}} when
     * pushes are anonymous. Sent to the engine only, never logged.
     */
    private String registryConfig() {
        var auth = pushAuth;
        var node = JSON.createObjectNode();
        if (auth != null) {
            node.putObject(auth.getRegistryAddress())
                    .put("username", auth.getUsername())
                    .put("password", auth.getPassword());
        }
        return java.util.Base64.getUrlEncoder().encodeToString(node.toString().getBytes(UTF_8));
    }

    /** The query of {@code POST /build}: tag, Dockerfile, no pull, cleanup and the limits. */
    static String buildQuery(String imageRef, Fleet.BuildLimits limits) {
        long period = 100_000;
        long quota = Math.max(1000, Math.round(limits.cpus() * period));
        String ulimits =
                "[{\"Name\":\"nproc\",\"Soft\":"
                        + limits.pids()
                        + ",\"Hard\":"
                        + limits.pids()
                        + "}]";
        return "t="
                + enc(imageRef)
                + "&dockerfile="
                + enc(ContextTar.DOCKERFILE)
                + "&rm=1&forcerm=1"
                + "&memory="
                + limits.memoryBytes()
                + "&memswap="
                + limits.memoryBytes()
                + "&cpuperiod="
                + period
                + "&cpuquota="
                + quota
                + "&ulimits="
                + enc(ulimits);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, UTF_8);
    }

    private static String errorMessage(String body, int status) {
        try {
            JsonNode m = JSON.readTree(body).get("message");
            if (m != null && !m.asText().isBlank()) {
                return m.asText();
            }
        } catch (IOException e) {
            // not JSON: the body itself
        }
        return "HTTP " + status + ": " + body.strip();
    }

    /**
     * Removes the step containers of a stopped build that the engine left (it removes them itself
     * when the stream closes; this makes sure). Best effort: what cannot be removed is logged.
     */
    private void removeContainers(List<String> ids, BuildLog log) {
        for (String id : ids) {
            try {
                client().removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
                log.linef("stopped: removed the build step's container %s", id);
            } catch (NotFoundException gone) {
                // the engine removed it already
            } catch (RuntimeException e) {
                log.linef("stopped: cannot remove the build step's container %s: %s", id, e);
            }
        }
    }

    /**
     * Pushes {@code image:tag} to its registry with build-service's registry credentials; returns
     * the manifest digest the registry gave.
     */
    public String push(String image, String tag, BuildLog log, Cancellation cancel)
            throws BuildFailure {
        PushCallback cb = new PushCallback(log);
        try {
            var cmd = client().pushImageCmd(image).withTag(tag);
            if (pushAuth != null) cmd.withAuthConfig(pushAuth);
            cmd.exec(cb);
            cancel.onCancel(cb);
            cb.awaitCompletion();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel.check();
            throw new BuildFailure(Reasons.of(Reasons.PUSH_REFUSED, "interrupted"));
        } catch (RuntimeException e) {
            cancel.check();
            if (cb.error == null) {
                throw engineFailure(Reasons.PUSH_REFUSED, e);
            }
        } finally {
            cancel.clear();
            closeQuietly(cb);
        }
        cancel.check();
        if (cb.error != null) {
            throw new BuildFailure(
                    Reasons.of(
                            Reasons.PUSH_REFUSED,
                            "registry "
                                    + registryOf(image)
                                    + " refused "
                                    + image
                                    + ":"
                                    + tag
                                    + ": "
                                    + cb.error.strip()));
        }
        if (cb.digest == null) {
            throw new BuildFailure(
                    Reasons.of(
                            Reasons.PUSH_REFUSED,
                            "registry "
                                    + registryOf(image)
                                    + " returned no digest for "
                                    + image
                                    + ":"
                                    + tag));
        }
        return cb.digest;
    }

    /** Removes the local tag after a push (the layers stay as cache). Best effort. */
    public void untag(String imageRef) {
        try {
            client().removeImageCmd(imageRef).withNoPrune(true).exec();
        } catch (RuntimeException e) {
            // left for the next build to reuse or overwrite
        }
    }

    private BuildFailure engineFailure(String prefix, Exception e) {
        String msg = rootMessage(e);
        Throwable root = root(e);
        if (root instanceof java.net.ConnectException
                || root instanceof java.net.NoRouteToHostException
                || root instanceof javax.net.ssl.SSLException
                || root instanceof java.net.SocketTimeoutException
                || root instanceof java.io.IOException && msg.contains("Connection refused")) {
            return new BuildFailure(
                    Reasons.of(Reasons.ENGINE_UNREACHABLE, describe() + ": " + msg), e);
        }
        return new BuildFailure(Reasons.of(prefix, msg), e);
    }

    private static String registryOf(String image) {
        int slash = image.indexOf('/');
        return slash < 0 ? "docker.io" : image.substring(0, slash);
    }

    private static Throwable root(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    static String rootMessage(Throwable e) {
        Throwable r = root(e);
        String m = r.getMessage() == null ? r.getClass().getSimpleName() : r.getMessage();
        return r == e || e.getMessage() == null || e.getMessage().contains(m)
                ? m
                : m + " (" + r.getClass().getSimpleName() + ")";
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @PreDestroy
    synchronized void close() {
        if (client != null) {
            closeQuietly(client);
        }
    }

    private static String errorOf(ResponseItem item) {
        if (item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null) {
            return item.getErrorDetail().getMessage();
        }
        return item.getError();
    }

    private static final class BuildCallback extends ResultCallback.Adapter<BuildResponseItem> {
        private final BuildLog log;
        final List<String> containers = new CopyOnWriteArrayList<>();
        volatile String lastStep;
        volatile String error;
        volatile String imageId;

        BuildCallback(BuildLog log) {
            this.log = log;
        }

        @Override
        public void onNext(BuildResponseItem item) {
            if (item.getStream() != null) {
                for (String line : item.getStream().split("\\r?\\n")) {
                    if (STEP.matcher(line).matches()) {
                        lastStep = line.strip();
                    }
                    Matcher running = RUNNING_IN.matcher(line);
                    if (running.find()) {
                        containers.add(running.group(1));
                    }
                }
                log.line(item.getStream());
            }
            if (item.getStatus() != null) {
                log.line(item.getStatus());
            }
            if (item.isErrorIndicated()) {
                error = errorOf(item);
                log.line("ERROR: " + error);
            }
            if (item.getImageId() != null) {
                imageId = item.getImageId();
            }
        }
    }

    private static final class PushCallback extends ResultCallback.Adapter<PushResponseItem> {
        private final BuildLog log;
        volatile String error;
        volatile String digest;

        PushCallback(BuildLog log) {
            this.log = log;
        }

        @Override
        public void onNext(PushResponseItem item) {
            if (item.isErrorIndicated()) {
                error = errorOf(item);
                log.line("push: ERROR: " + error);
                return;
            }
            if (item.getAux() != null && item.getAux().getDigest() != null) {
                digest = item.getAux().getDigest();
            }
            String status = item.getStatus();
            if (status != null && item.getProgressDetail() == null) {
                log.line("push: " + (item.getId() == null ? "" : item.getId() + ": ") + status);
                Matcher m = PUSHED_DIGEST.matcher(status);
                if (digest == null && m.find()) {
                    digest = m.group(1);
                }
            } else if (status != null
                    && (status.equals("Pushed") || status.startsWith("Layer already exists"))) {
                log.line("push: " + item.getId() + ": " + status);
            }
        }
    }
}
