package dev.canaryrelease.events.model;

/**
 * The data of one CloudEvent of the suite. Every event belongs to a release: its id is the
 * CloudEvent subject. The Kafka key is the event's app ({@link OfApp}), or the release id when it
 * names none ({@link dev.canaryrelease.events.codec.CloudEventCodec#key}), so one release's events
 * stay ordered in one partition and one app's events share a partition number on every topic.
 */
public sealed interface CanaryEvent
        permits BuildRequested,
                BuildStarted,
                BuildSucceeded,
                BuildFailed,
                ImagePushed,
                ImageRejected,
                HostUpdateRequested,
                HostDrained,
                HostDrainFailed,
                HostUpdated,
                HostUpdateFailed,
                HostEnabled,
                HostEnableFailed,
                HostAnswerTimedOut,
                CanaryLive,
                PromotionRequested,
                AbortRequested,
                RollbackRequested,
                PauseRequested,
                ResumeRequested,
                DeployRequested,
                PromotionRejected,
                ReleasePromoted,
                ReleaseFailed,
                ReleaseRolledBack,
                ReleaseSuperseded,
                ReleaseAborted,
                ReleasePhaseChanged,
                LbDriftCorrected,
                RetentionDeleted,
                DnsUpdated,
                DnsUpdateFailed,
                AnalysisWindow,
                AnalysisVerdict,
                CanaryWeightRequested,
                CanaryWeightSet,
                CanaryShareServed {

    /** Release id used by events that do not belong to a release (fleet-wide DNS, LB drift). */
    String NO_RELEASE = "fleet";

    String releaseId();
}
