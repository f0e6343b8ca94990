package dev.canaryrelease.dns.config;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** dns-service settings (the records themselves come from the fleet's {@code dns} section). */
@ConfigMapping(prefix = "canary.dns")
public interface DnsConfig {
    /** How often the records are compared with the server (or hosts files) and fixed. */
    @WithDefault("60s")
    Duration reconcileInterval();

    /** Timeout of one DNS exchange or SSH operation. */
    @WithDefault("5s")
    Duration timeout();
}
