package dev.canaryrelease.gateway.messaging;

import java.io.IOException;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.messaging.EventInbox;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.gateway.domain.DeliveryIndex;
import dev.canaryrelease.gateway.domain.EventLog;
import dev.canaryrelease.gateway.domain.ReleaseStore;

/**
 * Reads every {@code *.events} topic into the release read model, the delivery index and the live
 * event log: from the checkpoint of the gateway's snapshot ({@link ReleaseSnapshots}), or from the
 * beginning when there is none (a fresh consumer group per start, nothing committed).
 */
@ApplicationScoped
public class ReadModelListener {
    private static final Logger LOG = Logger.getLogger(ReadModelListener.class);

    /** The incoming channel (all six topics). */
    public static final String CHANNEL = "gateway-in";

    private final ReleaseStore store;
    private final DeliveryIndex deliveries;
    private final EventLog log;
    private final ReplayTracker replay;

    public ReadModelListener(
            ReleaseStore store, DeliveryIndex deliveries, EventLog log, ReplayTracker replay) {
        this.store = store;
        this.deliveries = deliveries;
        this.log = log;
        this.replay = replay;
    }

    @Incoming(CHANNEL)
    public CompletionStage<Void> onMessage(Message<byte[]> msg) {
        @SuppressWarnings("unchecked")
        IncomingKafkaRecordMetadata<String, byte[]> meta =
                msg.getMetadata(IncomingKafkaRecordMetadata.class).orElse(null);
        CompletionStage<Void> done =
                EventInbox.process(
                        msg,
                        e -> {
                            if (meta == null) {
                                apply(e, null, 0, 0, msg.getPayload());
                            } else {
                                apply(
                                        e,
                                        meta.getTopic(),
                                        meta.getPartition(),
                                        meta.getOffset(),
                                        msg.getPayload());
                            }
                        });
        if (meta != null) {
            store.passed(meta.getTopic(), meta.getPartition(), meta.getOffset());
            replay.read(meta.getTopic(), meta.getPartition(), meta.getOffset());
        }
        return done;
    }

    void apply(
            EventEnvelope<CanaryEvent> e, String topic, int partition, long offset, byte[] body) {
        String position = topic == null ? null : topic + ":" + partition + ":" + offset;
        String app = store.apply(e, position);
        if (e.data() instanceof BuildRequested b) {
            deliveries.remember(
                    new DeliveryIndex.Accepted(
                            b.releaseId(), b.app(), b.ref(), b.commitSha(), b.deliveryId()));
        }
        if (topic != null) {
            log.append(
                    new EventLog.Logged(
                            topic,
                            partition,
                            offset,
                            e.releaseId(),
                            app,
                            e.type().type(),
                            structured(e, body)));
        }
    }

    /** The CloudEvent in structured JSON mode, as SSE clients get it. */
    static String structured(EventEnvelope<CanaryEvent> e, byte[] body) {
        ObjectNode n = CloudEventCodec.JSON.createObjectNode();
        n.put("specversion", CloudEventCodec.SPEC_VERSION);
        n.put("id", e.id());
        n.put("type", e.type().type());
        n.put("source", e.source());
        n.put("subject", e.subject());
        n.put("time", e.time().toString());
        if (e.causationId() != null) {
            n.put("causationid", e.causationId());
        }
        n.put("datacontenttype", CloudEventCodec.CONTENT_TYPE);
        try {
            JsonNode data = CloudEventCodec.JSON.readTree(body);
            n.set("data", data);
        } catch (IOException ex) {
            LOG.debugf("event %s: body not JSON", e.id());
            n.set("data", CloudEventCodec.JSON.valueToTree(e.data()));
        }
        return n.toString();
    }
}
