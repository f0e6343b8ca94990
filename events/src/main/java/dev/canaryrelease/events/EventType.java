package dev.canaryrelease.events;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

import dev.canaryrelease.events.model.*;

/**
 * Every CloudEvent type of the suite: its {@code type} attribute, its data record and the topic of
 * its one writer.
 */
public enum EventType {
    BUILD_REQUESTED("build.requested", BuildRequested.class, Topics.GATEWAY),
    BUILD_STARTED("build.started", BuildStarted.class, Topics.BUILD),
    BUILD_SUCCEEDED("build.succeeded", BuildSucceeded.class, Topics.BUILD),
    BUILD_FAILED("build.failed", BuildFailed.class, Topics.BUILD),
    IMAGE_PUSHED("image.pushed", ImagePushed.class, Topics.REGISTRY),
    IMAGE_REJECTED("image.rejected", ImageRejected.class, Topics.REGISTRY),
    RETENTION_DELETED("retention.deleted", RetentionDeleted.class, Topics.REGISTRY),
    HOST_UPDATE_REQUESTED("host.update-requested", HostUpdateRequested.class, Topics.DEPLOY),
    HOST_DRAINED("host.drained", HostDrained.class, Topics.LB),
    HOST_DRAIN_FAILED("host.drain-failed", HostDrainFailed.class, Topics.LB),
    HOST_UPDATED("host.updated", HostUpdated.class, Topics.DEPLOY),
    HOST_UPDATE_FAILED("host.update-failed", HostUpdateFailed.class, Topics.DEPLOY),
    HOST_ENABLED("host.enabled", HostEnabled.class, Topics.LB),
    HOST_ENABLE_FAILED("host.enable-failed", HostEnableFailed.class, Topics.LB),
    HOST_ANSWER_TIMED_OUT("host.answer-timed-out", HostAnswerTimedOut.class, Topics.DEPLOY),
    LB_DRIFT_CORRECTED("lb.drift-corrected", LbDriftCorrected.class, Topics.LB),
    CANARY_LIVE("canary.live", CanaryLive.class, Topics.DEPLOY),
    PROMOTION_REQUESTED("promotion.requested", PromotionRequested.class, Topics.GATEWAY),
    ABORT_REQUESTED("abort.requested", AbortRequested.class, Topics.GATEWAY),
    ROLLBACK_REQUESTED("rollback.requested", RollbackRequested.class, Topics.GATEWAY),
    PAUSE_REQUESTED("pause.requested", PauseRequested.class, Topics.GATEWAY),
    RESUME_REQUESTED("resume.requested", ResumeRequested.class, Topics.GATEWAY),
    DEPLOY_REQUESTED("deploy.requested", DeployRequested.class, Topics.GATEWAY),
    PROMOTION_REJECTED("promotion.rejected", PromotionRejected.class, Topics.DEPLOY),
    RELEASE_PROMOTED("release.promoted", ReleasePromoted.class, Topics.DEPLOY),
    RELEASE_FAILED("release.failed", ReleaseFailed.class, Topics.DEPLOY),
    RELEASE_ROLLED_BACK("release.rolled-back", ReleaseRolledBack.class, Topics.DEPLOY),
    RELEASE_SUPERSEDED("release.superseded", ReleaseSuperseded.class, Topics.DEPLOY),
    RELEASE_ABORTED("release.aborted", ReleaseAborted.class, Topics.DEPLOY),
    RELEASE_PHASE_CHANGED("release.phase-changed", ReleasePhaseChanged.class, Topics.DEPLOY),
    DNS_UPDATED("dns.updated", DnsUpdated.class, Topics.DNS),
    DNS_UPDATE_FAILED("dns.update-failed", DnsUpdateFailed.class, Topics.DNS),
    ANALYSIS_WINDOW("analysis.window", AnalysisWindow.class, Topics.LB),
    ANALYSIS_VERDICT("analysis.verdict", AnalysisVerdict.class, Topics.DEPLOY),
    CANARY_WEIGHT_REQUESTED("canary.weight-requested", CanaryWeightRequested.class, Topics.DEPLOY),
    CANARY_WEIGHT_SET("canary.weight-set", CanaryWeightSet.class, Topics.LB),
    CANARY_SHARE_SERVED("canary.share-served", CanaryShareServed.class, Topics.LB);

    /** Prefix of every {@code type} attribute. */
    public static final String PREFIX = "dev.canaryrelease.";

    private static final Map<String, EventType> BY_TYPE =
            Arrays.stream(values()).collect(Collectors.toMap(EventType::type, Function.identity()));
    private static final Map<Class<?>, EventType> BY_CLASS =
            Arrays.stream(values())
                    .collect(Collectors.toMap(EventType::dataClass, Function.identity()));

    private final String type;
    private final Class<? extends CanaryEvent> dataClass;
    private final String topic;

    EventType(String suffix, Class<? extends CanaryEvent> dataClass, String topic) {
        this.type = PREFIX + suffix;
        this.dataClass = dataClass;
        this.topic = topic;
    }

    /** The CloudEvent {@code type}, e.g. {@code dev.canaryrelease.build.requested}. */
    public String type() {
        return type;
    }

    /** The short name, e.g. {@code build.requested}. */
    public String shortName() {
        return type.substring(PREFIX.length());
    }

    public Class<? extends CanaryEvent> dataClass() {
        return dataClass;
    }

    /** The topic its one writer publishes to. */
    public String topic() {
        return topic;
    }

    public static Optional<EventType> ofType(String type) {
        return Optional.ofNullable(type).map(BY_TYPE::get);
    }

    public static EventType of(CanaryEvent data) {
        EventType t = BY_CLASS.get(data.getClass());
        if (t == null) {
            throw new IllegalArgumentException("no event type for " + data.getClass());
        }
        return t;
    }
}
