package dev.canaryrelease.deploy.messaging;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.canaryrelease.deploy.domain.Command;
import dev.canaryrelease.deploy.domain.HostStep;
import dev.canaryrelease.deploy.domain.Release;
import dev.canaryrelease.deploy.domain.ReplayFold;
import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.Stage;

/** The JSON records of {@code deploy.releases} (see {@link DeploySnapshots}). */
final class StoredState {
    private StoredState() {}

    /**
     * {@code release:<id>}.
     *
     * @param seq the release's place in first-seen order (a queue starts the newest waiting image)
     */
    record StoredRelease(long seq, Release release) {}

    /**
     * {@code state}: per {@code topic:partition} the next offset the releases cover, and what was
     * decided before it and not yet done.
     */
    record State(Map<String, Long> next, List<StoredPending> outstanding) {}

    /** A command and its cause. */
    record StoredPending(StoredCommand command, StoredEvent cause) {
        static StoredPending of(ReplayFold.Pending p) {
            return new StoredPending(StoredCommand.of(p.command()), StoredEvent.of(p.cause()));
        }

        ReplayFold.Pending pending() {
            return new ReplayFold.Pending(command.command(), cause.envelope());
        }
    }

    /** An event's attributes and data. */
    record StoredEvent(
            String id,
            String type,
            String source,
            String subject,
            Instant time,
            String causationId,
            JsonNode data) {
        static StoredEvent of(EventEnvelope<?> e) {
            return new StoredEvent(
                    e.id(),
                    e.type().name(),
                    e.source(),
                    e.subject(),
                    e.time(),
                    e.causationId(),
                    CloudEventCodec.JSON.valueToTree(e.data()));
        }

        EventEnvelope<CanaryEvent> envelope() {
            EventType t = EventType.valueOf(type);
            return new EventEnvelope<>(
                    id, t, source, subject, time, causationId, eventData(t, data));
        }
    }

    /** One {@link Command} of any kind; {@code kind} is the record's simple name. */
    record StoredCommand(
            String kind,
            String releaseId,
            String app,
            String host,
            Stage stage,
            String digest,
            String replacedDigest,
            HostStep awaiting,
            Instant at,
            Duration deadline,
            String eventType,
            JsonNode data) {
        static StoredCommand of(Command c) {
            String kind = c.getClass().getSimpleName();
            if (c instanceof Command.Emit e) {
                return new StoredCommand(
                        kind,
                        e.data().releaseId(),
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        EventType.of(e.data()).name(),
                        CloudEventCodec.JSON.valueToTree(e.data()));
            } else if (c instanceof Command.Swap s) {
                return new StoredCommand(
                        kind,
                        s.releaseId(),
                        s.app(),
                        s.host(),
                        s.stage(),
                        s.digest(),
                        null,
                        null,
                        null,
                        null,
                        null,
                        null);
            } else if (c instanceof Command.Restore r) {
                return new StoredCommand(
                        kind,
                        r.releaseId(),
                        r.app(),
                        r.host(),
                        null,
                        r.digest(),
                        r.replacedDigest(),
                        null,
                        null,
                        null,
                        null,
                        null);
            } else if (c instanceof Command.ScheduleAnswerDeadline a) {
                return new StoredCommand(
                        kind,
                        a.releaseId(),
                        null,
                        a.host(),
                        null,
                        null,
                        null,
                        a.awaiting(),
                        a.at(),
                        a.deadline(),
                        null,
                        null);
            } else if (c instanceof Command.ScheduleAutoPromotion a) {
                return new StoredCommand(
                        kind,
                        a.releaseId(),
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        a.at(),
                        null,
                        null,
                        null);
            } else if (c instanceof Command.SchedulePromotionDeadline d) {
                return new StoredCommand(
                        kind,
                        d.releaseId(),
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        d.at(),
                        null,
                        null,
                        null);
            }
            throw new IllegalArgumentException("unknown command " + c);
        }

        Command command() {
            return switch (kind) {
                case "Emit" -> new Command.Emit(eventData(EventType.valueOf(eventType), data));
                case "Swap" -> new Command.Swap(releaseId, app, host, stage, digest);
                case "Restore" -> new Command.Restore(releaseId, app, host, digest, replacedDigest);
                case "ScheduleAnswerDeadline" ->
                        new Command.ScheduleAnswerDeadline(releaseId, host, awaiting, at, deadline);
                case "ScheduleAutoPromotion" -> new Command.ScheduleAutoPromotion(releaseId, at);
                case "SchedulePromotionDeadline" ->
                        new Command.SchedulePromotionDeadline(releaseId, at);
                default ->
                        throw new IllegalStateException(
                                "unknown command '" + kind + "' in " + DeploySnapshots.WHAT);
            };
        }
    }

    private static CanaryEvent eventData(EventType type, JsonNode data) {
        try {
            return CloudEventCodec.JSON.treeToValue(data, type.dataClass());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(
                    "unreadable " + type.shortName() + " in " + DeploySnapshots.WHAT + ": " + e, e);
        }
    }
}
