package dev.canaryrelease.deploy.domain;

import java.time.Duration;
import java.time.Instant;

import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.Stage;

/** What the state machine asks the outside world to do; each is caused by the triggering event. */
public sealed interface Command {

    /** Publish an event on {@code deploy.events}. */
    record Emit(CanaryEvent data) implements Command {}

    /**
     * The host is drained: swap its app container to {@code digest}; the result is {@code
     * host.updated} or {@code host.update-failed}.
     */
    record Swap(String releaseId, String app, String host, Stage stage, String digest)
            implements Command {}

    /**
     * The host is drained: start its retained container of {@code digest} again (no pull), or keep
     * what runs when {@code digest} is null; the result is {@code host.updated{stage=rollback}}.
     */
    record Restore(String releaseId, String app, String host, String digest, String replacedDigest)
            implements Command {}

    /**
     * The deadline of lb-service's answer on {@code host}: if the host is still in {@code awaiting}
     * at {@code at} (the triggering event's time plus {@code deadline}), the service publishes
     * {@code host.answer-timed-out} and compensates. The engine waits at least {@code deadline}
     * from when it carries the command out: an event handled late (a backlog, a restart) never
     * shortens lb-service's time to answer.
     */
    record ScheduleAnswerDeadline(
            String releaseId, String host, HostStep awaiting, Instant at, Duration deadline)
            implements Command {}

    /** Promote the release by itself at {@code at} if it is still CANARY_LIVE then. */
    record ScheduleAutoPromotion(String releaseId, Instant at) implements Command {}

    /**
     * The promotion's deadline: if the release is still PROMOTING at {@code at}, abort it (every
     * host goes back to the previous image).
     */
    record SchedulePromotionDeadline(String releaseId, Instant at) implements Command {}
}
