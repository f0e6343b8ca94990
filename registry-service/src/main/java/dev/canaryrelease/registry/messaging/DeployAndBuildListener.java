package dev.canaryrelease.registry.messaging;

import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.common.annotation.Blocking;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.messaging.EventInbox;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.registry.domain.BuildTracker;
import dev.canaryrelease.registry.domain.HostDigests;

/**
 * Consumes deploy.events ({@code host.updated}: which digest runs where, and the rollback stock)
 * and build.events ({@code build.succeeded}: the cause of a release's {@code image.pushed}).
 */
@ApplicationScoped
public class DeployAndBuildListener {
    /** The incoming channel (deploy.events and build.events). */
    public static final String CHANNEL = "registry-in";

    private static final Logger LOG = Logger.getLogger(DeployAndBuildListener.class);

    private final HostDigests hosts;
    private final BuildTracker builds;

    public DeployAndBuildListener(HostDigests hosts, BuildTracker builds) {
        this.hosts = hosts;
        this.builds = builds;
    }

    @Incoming(CHANNEL)
    @Blocking
    public CompletionStage<Void> onMessage(Message<byte[]> message) {
        return EventInbox.process(message, this::handle);
    }

    void handle(EventEnvelope<CanaryEvent> event) {
        if (event.data() instanceof HostUpdated u) {
            if (hosts.update(u.app(), u.host(), u.digest(), u.previousDigest(), event.time())) {
                LOG.infof(
                        "release %s: host %s runs %s of %s (previous %s)",
                        u.releaseId(), u.host(), u.digest(), u.app(), u.previousDigest());
            }
        } else if (event.data() instanceof BuildSucceeded b) {
            LOG.debugf("release %s: build succeeded with %s", b.releaseId(), b.digest());
            builds.succeeded(event);
        }
    }
}
