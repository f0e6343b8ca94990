package dev.canaryrelease.common.messaging;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** How the service watches its Kafka channels (see {@link ChannelWatchdog}). */
@ConfigMapping(prefix = "canary.channels")
public interface ChannelWatchdogConfig {
    /** How often the channels' liveness is read. */
    @WithDefault("2s")
    Duration watchInterval();

    /**
     * How long the orderly shutdown after a failed channel may take before the process is halted
     * (only when run as a program, never in tests).
     */
    @WithDefault("30s")
    Duration haltAfter();
}
