package dev.canaryrelease.events.model;

import java.util.List;

/** deploy-service: every canary host serves the new image. */
public record CanaryLive(String releaseId, String app, List<String> hosts, String digest)
        implements CanaryEvent, OfApp {}
