package dev.canaryrelease.registry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Configuration of registry-service, under {@code canary.registry}. */
@ConfigMapping(prefix = "canary.registry")
public interface RegistryServiceConfig {

    /**
     * File holding the bearer token the registry sends with its notifications (the value of the
     * registry's {@code notifications.endpoints[].headers.Authorization: [Bearer <token>]}).
     * Without it every notification is refused with 401.
     */
    Optional<Path> notificationTokenFile();

    /** The registry's HTTP API; by default the fleet's {@code registry.url}. */
    Optional<String> url();

    /**
     * The registry user this service reads (and, for retention, deletes) as: one of the registry's
     * htpasswd users.
     */
    @WithDefault("registry-service")
    String username();

    /**
     * File (mode 0600) holding the password of {@link #username()}. Without it the service calls
     * the registry API anonymously, which a registry with auth answers 401 (logged, the push stays
     * queued).
     */
    Optional<Path> passwordFile();

    /** Connect and read timeout of each call to the registry API. */
    @WithDefault("10s")
    Duration httpTimeout();

    /**
     * How long a labelled push waits for its release's {@code build.succeeded} before it is refused
     * ({@code image.rejected}, no build). Long enough to outlast a broker outage between the push
     * and the build's event (the build-service's producer retries for up to 2 min after the broker
     * is back): the wait holds only a future, no thread.
     */
    @WithDefault("10m")
    Duration releaseWait();

    /** Threads that verify pushes against the registry API. */
    @WithDefault("2")
    int workers();

    /** Attempts at verifying a push while the registry API fails, before leaving it queued. */
    @WithDefault("8")
    int verifyAttempts();

    /** How many processed push keys are remembered to drop redeliveries. */
    @WithDefault("10000")
    int dedupeCapacity();

    /**
     * Whether each accepted notification is also forced to disk ({@code fsync}, shared by
     * concurrent requests) before the 200. Without it the push is written to the queue file before
     * the 200, which survives the process dying (the risk the registry's redelivery does not cover)
     * but not a power loss of the machine.
     */
    @WithDefault("false")
    boolean queueFsync();

    /** Retention of old manifests. */
    Retention retention();

    interface Retention {
        /**
         * How often retention runs (a Quarkus {@code every} value such as {@code 1h}), or {@code
         * off}.
         */
        @WithDefault("1h")
        String every();

        /** Delay before the first run, so the host state is read from deploy.events first. */
        @WithDefault("5m")
        String delay();

        /** Newest tags kept per repository. */
        @WithDefault("10")
        int keep();
    }
}
