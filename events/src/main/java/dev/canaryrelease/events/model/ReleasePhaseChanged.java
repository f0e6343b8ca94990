package dev.canaryrelease.events.model;

import dev.canaryrelease.events.release.Phase;

/**
 * deploy-service: the release moved from {@code from} to {@code phase} (DESIGN's state machine).
 * The gateway's and every monitor's view of a release's state is the last of these; the cause is
 * the event that moved it.
 */
public record ReleasePhaseChanged(String releaseId, String app, Phase phase, Phase from)
        implements CanaryEvent, OfApp {}
