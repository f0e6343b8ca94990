package dev.canaryrelease.registry.client;

import java.time.Instant;
import java.util.Map;

/** The parts of an image's config blob that registry-service reads. */
public record ImageConfig(String digest, Map<String, String> labels, Instant created) {}
