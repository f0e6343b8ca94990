package dev.canaryrelease.events.model;

/** registry-service: a verified manifest push of an app's image. */
public record ImagePushed(
        String releaseId, String app, String repository, String tag, String digest)
        implements CanaryEvent {}
