package dev.canaryrelease.events.model;

import java.util.List;

/** registry-service: retention deleted these manifests of a repository. */
public record RetentionDeleted(String releaseId, String repository, List<String> deleted)
        implements CanaryEvent {}
