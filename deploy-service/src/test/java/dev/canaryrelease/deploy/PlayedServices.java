package dev.canaryrelease.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * The services around deploy-service as its tests play them, on the real broker: senders as
 * registry-service, lb-service and the gateway, and a plain consumer of {@code deploy.events}.
 */
final class PlayedServices implements AutoCloseable {
    static final Duration SWAP = Duration.ofSeconds(60);

    final EventSender registry;
    final EventSender lb;
    final EventSender gateway;
    final EventCapture capture;

    private PlayedServices(String kafka) {
        registry = new EventSender(kafka, "registry-service");
        lb = new EventSender(kafka, "lb-service");
        gateway = new EventSender(kafka, "gateway");
        capture = EventCapture.start(kafka, Topics.DEPLOY);
    }

    static PlayedServices open() {
        return new PlayedServices(KafkaTestResource.bootstrapServers());
    }

    /** deploy-service's {@code host.update-requested} of {@code host} at {@code stage}. */
    @SuppressWarnings("unchecked")
    EventEnvelope<HostUpdateRequested> requested(String release, String host, Stage stage) {
        return (EventEnvelope<HostUpdateRequested>)
                (EventEnvelope<?>)
                        capture.await(
                                e ->
                                        e.releaseId().equals(release)
                                                && e.data() instanceof HostUpdateRequested r
                                                && r.host().equals(host)
                                                && r.stage() == stage,
                                SWAP);
    }

    /** Drains the host as lb would and returns deploy's answer (host.updated or update-failed). */
    EventEnvelope<CanaryEvent> drain(EventEnvelope<HostUpdateRequested> req) {
        HostUpdateRequested r = req.data();
        EventEnvelope<HostDrained> drained =
                lb.send(
                        req,
                        new HostDrained(r.releaseId(), r.app(), r.host(), r.stage(), 0, 3, false));
        return capture.await(
                e ->
                        drained.id().equals(e.causationId())
                                && (e.type() == EventType.HOST_UPDATED
                                        || e.type() == EventType.HOST_UPDATE_FAILED),
                SWAP);
    }

    /** Puts the host back in the pool as lb would after deploy's {@code host.updated}. */
    void enable(EventEnvelope<CanaryEvent> updated) {
        HostUpdated u = (HostUpdated) updated.data();
        lb.send(updated, new HostEnabled(u.releaseId(), u.app(), u.host(), u.stage()));
    }

    /** lb-service's part of a whole host cycle: drained, then enabled once deploy swapped it. */
    HostUpdated cycle(EventEnvelope<HostUpdateRequested> req) {
        EventEnvelope<CanaryEvent> updated = drain(req);
        assertEquals(EventType.HOST_UPDATED, updated.type(), updated.data().toString());
        enable(updated);
        return (HostUpdated) updated.data();
    }

    /** A whole host cycle: requested → drained → updated → enabled. */
    HostUpdated cycle(String release, String host, Stage stage) {
        return cycle(requested(release, host, stage));
    }

    @Override
    public void close() {
        registry.close();
        lb.close();
        gateway.close();
        capture.close();
    }
}
