package dev.canaryrelease.fleet;

import java.nio.file.Path;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

/**
 * Loads the fleet file named by {@code canary.fleet.path} once, at start: an invalid file stops the
 * service with every problem listed.
 */
@ApplicationScoped
public class FleetProducer {
    private static final Logger LOG = Logger.getLogger(FleetProducer.class);

    private final String path;

    public FleetProducer(@ConfigProperty(name = "canary.fleet.path") String path) {
        this.path = path;
    }

    @Produces
    @Singleton
    Fleet fleet() {
        Fleet fleet;
        try {
            fleet = FleetLoader.load(Path.of(path));
        } catch (FleetException e) {
            // the start fails on it; an asynchronous console (the gateway's) can lose its last
            // lines when the process exits at once, so the operator's error goes to stderr too
            System.err.println(e.getMessage());
            System.err.flush();
            throw e;
        }
        LOG.infof(
                "fleet %s: domain %s, %d hosts, %d apps, canary %s",
                fleet.source(),
                fleet.domain(),
                fleet.hosts().size(),
                fleet.apps().size(),
                fleet.rollout().canary());
        return fleet;
    }

    void onStart(
            @Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event,
            Fleet fleet) {
        // Injecting the fleet here, before any other start-up work (Kafka replays), makes an
        // invalid
        // file fail the start at once, not the first request.
    }
}
