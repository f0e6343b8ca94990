package dev.canaryrelease.gateway.config;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.gateway.domain.DeliveryIndex;
import dev.canaryrelease.gateway.domain.EventLog;
import dev.canaryrelease.gateway.domain.ReleaseStore;

/**
 * The gateway's in-memory state, sized by {@code canary.gateway.*}: the read model of releases, the
 * dedupe index of deliveries and the buffer of the event stream. They are plain classes of {@code
 * domain/}; the sizes come in here, so {@code domain/} reads no configuration.
 */
@Singleton
public class ReadModel {

    @Produces
    @Singleton
    ReleaseStore releases(Fleet fleet, GatewayConfig config) {
        return new ReleaseStore(
                fleet,
                config.cacheReleases(),
                config.timelineEvents(),
                config.indexReleases(),
                config.pageReleases());
    }

    @Produces
    @Singleton
    DeliveryIndex deliveries(GatewayConfig config) {
        return new DeliveryIndex(config.dedupeCapacity());
    }

    @Produces
    @Singleton
    EventLog stream(GatewayConfig config) {
        return new EventLog(config.streamBuffer());
    }
}
