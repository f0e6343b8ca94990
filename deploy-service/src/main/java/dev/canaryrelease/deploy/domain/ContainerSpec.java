package dev.canaryrelease.deploy.domain;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.canaryrelease.events.ImageLabels;

/**
 * What the swap needs to know about a container and to create its successor: its settings (image,
 * env, ports, labels, restart policy, network, command, hostname) and its state.
 *
 * @param imageId the local image id ({@code sha256:...} of the config)
 * @param state {@code created}, {@code running}, {@code exited}, ...
 * @param health Docker healthcheck status ({@code starting}, {@code healthy}, {@code unhealthy}) or
 *     null when the image has no healthcheck
 * @param finishedAt when it last stopped (null if never), to find the most recent previous one
 * @param exitCode the exit code of its last run (null when unknown or it never ran)
 * @param restartCount how often Docker's restart policy started it again since it was last started
 */
public record ContainerSpec(
        String id,
        String name,
        String image,
        String imageId,
        List<String> env,
        List<String> cmd,
        List<String> entrypoint,
        String hostname,
        Map<String, String> labels,
        String restartPolicy,
        int restartMaxRetries,
        String networkMode,
        List<PortBinding> ports,
        String state,
        String health,
        Instant created,
        Instant finishedAt,
        Integer exitCode,
        int restartCount) {

    /** A published port: {@code containerPort} like {@code 3000/tcp}; hostIp may be empty. */
    public record PortBinding(String containerPort, String hostIp, String hostPort) {}

    public ContainerSpec {
        env = env == null ? List.of() : List.copyOf(env);
        cmd = cmd == null ? List.of() : List.copyOf(cmd);
        entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        ports = ports == null ? List.of() : List.copyOf(ports);
    }

    /** Without an exit code or restarts: a container never seen to exit. */
    public ContainerSpec(
            String id,
            String name,
            String image,
            String imageId,
            List<String> env,
            List<String> cmd,
            List<String> entrypoint,
            String hostname,
            Map<String, String> labels,
            String restartPolicy,
            int restartMaxRetries,
            String networkMode,
            List<PortBinding> ports,
            String state,
            String health,
            Instant created,
            Instant finishedAt) {
        this(
                id,
                name,
                image,
                imageId,
                env,
                cmd,
                entrypoint,
                hostname,
                labels,
                restartPolicy,
                restartMaxRetries,
                networkMode,
                ports,
                state,
                health,
                created,
                finishedAt,
                null,
                0);
    }

    /** Running, or about to run again (Docker's restart policy restarts it). */
    public boolean running() {
        return "running".equals(state) || "restarting".equals(state);
    }

    /** The settings of this container with another image and digest labels. */
    public ContainerSpec successor(String image, String digest, String previousDigest) {
        Map<String, String> l = new HashMap<>(labels);
        l.put(ImageLabels.DIGEST, digest);
        if (previousDigest != null) {
            l.put(ImageLabels.PREVIOUS_DIGEST, previousDigest);
        } else {
            l.remove(ImageLabels.PREVIOUS_DIGEST);
        }
        return new ContainerSpec(
                null,
                name,
                image,
                null,
                env,
                cmd,
                entrypoint,
                hostname,
                l,
                restartPolicy,
                restartMaxRetries,
                networkMode,
                ports,
                null,
                null,
                null,
                null);
    }

    /** The host port published for {@code containerPort/tcp}, if any. */
    public PortBinding published(int containerPort) {
        return ports.stream()
                .filter(p -> p.containerPort().equals(containerPort + "/tcp"))
                .findFirst()
                .orElse(null);
    }
}
