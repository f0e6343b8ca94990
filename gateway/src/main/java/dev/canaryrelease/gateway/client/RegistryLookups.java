package dev.canaryrelease.gateway.client;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.gateway.config.GatewayConfig;

/** Makes the gateway's one {@link RegistryLookup} at start: a bad password file fails the start. */
@ApplicationScoped
public class RegistryLookups {
    private static final Logger LOG = Logger.getLogger(RegistryLookups.class);

    /**
     * The registry lookups of {@code POST /apps/{app}/deploy}: the fleet's registry URL and CA, the
     * gateway's own registry user. A missing or empty password file stops the start.
     */
    @Produces
    @Singleton
    RegistryLookup registry(Fleet fleet, GatewayConfig config) {
        Fleet.Registry r = fleet.registry();
        if (r == null || r.url() == null) {
            LOG.warn("the fleet names no registry: POST /apps/{app}/deploy is answered 503");
            return RegistryLookup.none();
        }
        RegistryLookup l =
                new RegistryLookup(
                        r.url(),
                        r.ca(),
                        config.registryUsername(),
                        config.registryPasswordFile(),
                        config.registryTimeout());
        LOG.infof(
                "registry lookups at %s (%s, %s)",
                l.base(),
                r.ca() == null ? "the JDK's trusted CAs" : "trusting " + r.ca(),
                l.authenticated()
                        ? "as user " + config.registryUsername()
                        : "anonymous: canary.gateway.registry-password-file is not set");
        return l;
    }

    void onStart(@Observes StartupEvent event, RegistryLookup registry) {
        // Injecting it here makes a bad file fail the start, not the first deploy.
    }
}
