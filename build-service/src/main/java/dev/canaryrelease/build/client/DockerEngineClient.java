package dev.canaryrelease.build.client;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.BuildResponseItem;
import com.github.dockerjava.api.model.PushResponseItem;
import com.github.dockerjava.api.model.ResponseItem;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;

import dev.canaryrelease.build.config.BuildConfig;
import dev.canaryrelease.build.config.RegistryAuth;
import dev.canaryrelease.build.domain.BuildFailure;
import dev.canaryrelease.build.domain.BuildLog;
import dev.canaryrelease.build.domain.Cancellation;
import dev.canaryrelease.build.domain.Reasons;
import dev.canaryrelease.fleet.Fleet;

/**
 * The build engine of the fleet ({@code build.host}), through docker-java: TLS with the host's
 * client certificate for {@code tcp://} endpoints, or its unix socket. Builds never pull (base
 * images are checked before, see {@code DockerfileCheck}); errors come back as {@link
 * BuildFailure}s in the words of {@link Reasons}.
 */
@ApplicationScoped
public class DockerEngineClient {
    private static final Pattern STEP = Pattern.compile("^Step \\d+/\\d+ : .*");
    private static final Pattern PUSHED_DIGEST = Pattern.compile("digest: (sha256:[0-9a-f]{64})");

    private final Fleet fleet;
    private final BuildConfig config;
    private final RegistryAuth registryAuth;
    private DockerClient client;

    public DockerEngineClient(Fleet fleet, BuildConfig config, RegistryAuth registryAuth) {
        this.fleet = fleet;
        this.config = config;
        this.registryAuth = registryAuth;
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
            var http =
                    new ApacheDockerHttpClient.Builder()
                            .dockerHost(URI.create(d.endpoint()))
                            .sslConfig(d.tls().map(PemSslConfig::new).orElse(null))
                            .connectionTimeout(config.build().engineConnectTimeout())
                            .maxConnections(16)
                            .build();
            var cfg =
                    DefaultDockerClientConfig.createDefaultConfigBuilder()
                            .withDockerHost(d.endpoint())
                            .withDockerTlsVerify(false)
                            .build();
            client = DockerClientImpl.getInstance(cfg, http);
        }
        return client;
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
     * Builds {@code dockerfile} with {@code context}, tagged {@code imageRef}, with {@code labels}.
     * Returns the image id.
     */
    public String build(
            Path context, Path dockerfile, String imageRef, BuildLog log, Cancellation cancel)
            throws BuildFailure {
        BuildCallback cb = new BuildCallback(log);
        try {
            var cmd = client().buildImageCmd();
            if (Files.exists(context.resolve(".dockerignore"))) {
                // docker-java applies .dockerignore (and gzips the context)
                cmd.withBaseDirectory(context.toFile()).withDockerfile(dockerfile.toFile());
            } else {
                // an uncompressed tar streamed as it is written, as the docker CLI sends it
                cmd.withTarInputStream(ContextTar.stream(context))
                        .withDockerfilePath(
                                context.relativize(dockerfile).toString().replace('\\', '/'));
            }
            cmd.withTags(Set.of(imageRef))
                    .withPull(false)
                    .withRemove(true)
                    .withForcerm(true)
                    .exec(cb);
            cancel.onCancel(cb);
            cb.awaitCompletion();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel.check();
            throw new BuildFailure(Reasons.of(Reasons.BUILD_FAILED, "interrupted"));
        } catch (IOException e) {
            throw new BuildFailure(
                    Reasons.of(Reasons.BUILD_FAILED, "cannot read the build context: " + e), e);
        } catch (RuntimeException e) {
            cancel.check();
            if (cb.error == null) {
                throw engineFailure(Reasons.BUILD_FAILED, e);
            }
        } finally {
            cancel.clear();
            closeQuietly(cb);
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
     * Pushes {@code image:tag} to its registry with build-service's registry credentials; returns
     * the manifest digest the registry gave.
     */
    public String push(String image, String tag, BuildLog log, Cancellation cancel)
            throws BuildFailure {
        PushCallback cb = new PushCallback(log);
        try {
            var cmd = client().pushImageCmd(image).withTag(tag);
            if (registryAuth.authConfig() != null) cmd.withAuthConfig(registryAuth.authConfig());
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

    private BuildFailure engineFailure(String prefix, RuntimeException e) {
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
