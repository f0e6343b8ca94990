package dev.canaryrelease.events.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Why a host is being updated. */
public enum Stage {
    @JsonProperty("canary")
    CANARY,
    @JsonProperty("promotion")
    PROMOTION,
    @JsonProperty("rollback")
    ROLLBACK
}
