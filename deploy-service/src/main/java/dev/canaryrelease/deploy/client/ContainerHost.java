package dev.canaryrelease.deploy.client;

import java.time.Duration;
import java.util.List;

import dev.canaryrelease.deploy.domain.ContainerSpec;
import dev.canaryrelease.deploy.domain.ImageConfig;

/**
 * One host's Docker engine, whatever the way to reach it (Docker API over TLS, a unix socket, or an
 * SSH channel to the engine's socket). Every failure is a {@link HostException} in the domain's
 * words.
 */
public interface ContainerHost extends AutoCloseable {

    /** Every container (any state) whose name is {@code name} or {@code name-<12 hex>}. */
    List<ContainerSpec> appContainers(String name);

    /** Pulls an image reference (by digest); never from Docker Hub, the reference is qualified. */
    void pull(String reference);

    /**
     * The defaults an image gives its containers (env, command, entrypoint, labels, healthcheck).
     */
    ImageConfig imageConfig(String image);

    /** The repo digests ({@code repo@sha256:...}) of a local image, empty if it has none. */
    List<String> repoDigests(String image);

    String create(String name, ContainerSpec spec);

    void start(String id);

    void stop(String id, Duration grace);

    void rename(String id, String newName);

    void remove(String id);

    /** The last {@code lines} of the container's output (stdout and stderr). */
    String logs(String id, int lines);

    /** Re-reads one container. */
    ContainerSpec inspect(String id);

    /** What this host is (for logs and reasons), e.g. {@code docker0 (docker-api tcp://...)}. */
    String describe();

    @Override
    void close();
}
